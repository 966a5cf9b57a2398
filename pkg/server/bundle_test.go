package server

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/forjinn/forjctl/pkg/bundle/bundletest"
	"github.com/forjinn/forjctl/pkg/forj"
)

func (e *env) importBundle(token, wsID, query string, body []byte, hdr ...string) *resp {
	e.t.Helper()
	return e.do("POST", "/api/v1/workspace/"+wsID+"/import"+query, token, body, hdr...)
}

// withoutManifest drops manifest.json, whose workspace block names the source.
func withoutManifest(tgz []byte) map[string]string {
	out := map[string]string{}
	for _, f := range bundletest.Files(tgz) {
		if f.Header.Name != "manifest.json" {
			out[f.Header.Name] = string(f.Data)
		}
	}
	return out
}

func TestExportImportRoundTrip(t *testing.T) { forEachStore(t, testExportImportRoundTrip) }

func testExportImportRoundTrip(t *testing.T, sk storeKind) {
	e := newEnvOn(t, sk)
	a, b := e.newWorkspace("alpha"), e.newWorkspace("bravo")
	sample := bundletest.Valid()
	var ir forj.ImportResponse
	e.must(200, e.importBundle(e.ownerToken, a.ID, "", sample)).decode(t, &ir)
	if ir.Summary[forj.ItemCreated] != 9 || ir.Documents != 3 {
		t.Fatalf("import: %+v", ir)
	}
	exportA := e.must(200, e.do("GET", "/api/v1/workspace/"+a.ID+"/export", e.ownerToken, nil)).Body
	if again := e.must(200, e.do("GET", "/api/v1/workspace/"+a.ID+"/export", e.ownerToken, nil)).Body; !bytes.Equal(again, exportA) {
		t.Error("two exports of the same workspace differ")
	}
	// Export → import into another workspace → export: the same entries.
	e.must(200, e.importBundle(e.ownerToken, b.ID, "", exportA))
	exportB := e.must(200, e.do("GET", "/api/v1/workspace/"+b.ID+"/export", e.ownerToken, nil)).Body
	ea, eb := withoutManifest(exportA), withoutManifest(exportB)
	if len(ea) != 12 || len(ea) != len(eb) {
		t.Fatalf("entries: %d vs %d", len(ea), len(eb))
	}
	for p, data := range ea {
		if eb[p] != data {
			t.Errorf("%s differs after export → import → export", p)
		}
	}
	if want := withoutManifest(sample); len(want) != len(ea) {
		t.Errorf("sample has %d entries, export %d", len(want), len(ea))
	}
	// Re-importing the same bundle changes nothing.
	e.must(200, e.importBundle(e.ownerToken, b.ID, "", exportA)).decode(t, &ir)
	if ir.Summary[forj.ItemUnchanged] != 9 {
		t.Errorf("re-import: %+v", ir.Summary)
	}
	// A changed asset conflicts under fail (nothing applied), updates under overwrite.
	flow := e.listAssets(e.ownerToken, b.ID, "?name=flow-b")[0]
	e.must(200, e.do("PATCH", assetsURL(b.ID)+"/"+flow.ID, e.ownerToken, `{"description":"edited in bravo"}`))
	r := e.importBundle(e.ownerToken, b.ID, "", exportA)
	if r.Code != 409 || !strings.Contains(r.String(), "assets/flow/flow-b.json") {
		t.Errorf("conflicting re-import: %d %s", r.Code, r.Body)
	}
	e.must(200, e.importBundle(e.ownerToken, b.ID, "?onConflict=overwrite&dryRun=true", exportA)).decode(t, &ir)
	if ir.Summary[forj.ItemUpdated] != 1 || !ir.DryRun {
		t.Errorf("dry run: %+v", ir.Summary)
	}
	if got := e.listAssets(e.ownerToken, b.ID, "?name=flow-b")[0]; got.Description != "edited in bravo" {
		t.Error("a dry run changed the asset")
	}
	e.must(200, e.importBundle(e.ownerToken, b.ID, "?onConflict=overwrite", exportA)).decode(t, &ir)
	if ir.Summary[forj.ItemUpdated] != 1 || ir.Summary[forj.ItemUnchanged] != 8 {
		t.Errorf("overwrite: %+v", ir.Summary)
	}
	if got := e.listAssets(e.ownerToken, b.ID, "?name=flow-b")[0]; got.Description != "" || got.ID != flow.ID {
		t.Errorf("after overwrite: %+v", got)
	}
}

func TestExportSecrets(t *testing.T) { forEachStore(t, testExportSecrets) }

func testExportSecrets(t *testing.T, sk storeKind) {
	e := newEnvOn(t, sk)
	a, b := e.newWorkspace("alpha"), e.newWorkspace("bravo")
	const secret = "sk-live-never-in-a-plain-bundle"
	e.createAsset(e.ownerToken, a.ID, map[string]any{"kind": "credential", "name": "openai", "secret": map[string]string{"apiKey": secret}})
	plain := e.must(200, e.do("GET", "/api/v1/workspace/"+a.ID+"/export", e.ownerToken, nil)).Body
	for p, data := range withoutManifest(plain) {
		if strings.Contains(data, secret) || strings.Contains(data, "apiKey") {
			t.Errorf("%s holds the secret", p)
		}
	}
	if r := e.do("GET", "/api/v1/workspace/"+a.ID+"/export?includeSecrets=true", e.ownerToken, nil); r.Code != 400 {
		t.Errorf("secrets without a passphrase: %d", r.Code)
	}
	const pass = "correct horse battery"
	sealed := e.must(200, e.do("GET", "/api/v1/workspace/"+a.ID+"/export?includeSecrets=true", e.ownerToken, nil, forj.BundlePassphraseHeader, pass)).Body
	if bytes.Contains(sealed, []byte(secret)) {
		t.Error("the sealed bundle shows the secret")
	}
	if r := e.importBundle(e.ownerToken, b.ID, "", sealed); r.Code != 400 {
		t.Errorf("sealed bundle without passphrase: %d %s", r.Code, r.Body)
	}
	if r := e.importBundle(e.ownerToken, b.ID, "", sealed, forj.BundlePassphraseHeader, "wrong passphrase"); r.Code != 400 {
		t.Errorf("wrong passphrase: %d %s", r.Code, r.Body)
	}
	e.must(200, e.importBundle(e.ownerToken, b.ID, "", sealed, forj.BundlePassphraseHeader, pass))
	c := e.listAssets(e.ownerToken, b.ID, "?kind=credential")[0]
	e.view(func(tx forj.Tx) error {
		s, err := tx.GetAssetSecret(c.ID)
		if err != nil {
			return err
		}
		got, err := e.srv.openSecret(c.ID, s)
		if err != nil || !strings.Contains(string(got), secret) {
			t.Errorf("imported secret %q %v", got, err)
		}
		return nil
	})
}

// Every hostile bundle is refused with a message naming its entry, and changes nothing.
func TestImportHostileBundles(t *testing.T) {
	e := newEnv(t)
	ws := e.newWorkspace("alpha")
	cases := bundletest.Hostile()
	if len(cases) < 20 {
		t.Fatalf("only %d hostile bundles", len(cases))
	}
	for _, hc := range cases {
		r := e.importBundle(e.ownerToken, ws.ID, "", hc.Bundle)
		var eb forj.ErrorBody
		r.decode(t, &eb)
		msg := eb.Error.Message + "\n" + strings.Join(eb.Error.Details, "\n")
		if r.Code != 400 || !strings.Contains(msg, hc.Want) || (hc.Entry != "" && !strings.Contains(msg, strconv.Quote(hc.Entry))) {
			t.Errorf("%s: %d %s; want 400 naming %q with %q", hc.Name, r.Code, r.Body, hc.Entry, hc.Want)
		}
		if got := e.listAssets(e.ownerToken, ws.ID, ""); len(got) != 0 {
			t.Fatalf("%s: %d assets were created", hc.Name, len(got))
		}
	}
	if n := len(e.audit("asset.")); n != 0 {
		t.Errorf("%d asset audit events after refused imports", n)
	}
}
