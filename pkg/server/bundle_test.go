package server

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/forjinn/forjctl/pkg/bundle"
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

// manifestOf decodes a bundle's manifest.json.
func manifestOf(t *testing.T, tgz []byte) *bundle.Manifest {
	t.Helper()
	for _, f := range bundletest.Files(tgz) {
		if f.Header.Name == bundle.ManifestPath {
			var m bundle.Manifest
			if err := json.Unmarshal(f.Data, &m); err != nil {
				t.Fatalf("manifest: %v", err)
			}
			return &m
		}
	}
	t.Fatal("no manifest.json in the bundle")
	return nil
}

func encodeManifest(t *testing.T, m *bundle.Manifest) []byte {
	t.Helper()
	raw, err := bundle.EncodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	return raw
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
	// The manifests too, byte for byte, once B's names the workspace A's names.
	if ma, mb := manifestOf(t, exportA), manifestOf(t, exportB); ma.Workspace.ID != a.ID || mb.Workspace.ID != b.ID {
		t.Errorf("manifests name workspaces %s and %s, want %s and %s", ma.Workspace.ID, mb.Workspace.ID, a.ID, b.ID)
	} else if mb.Workspace = ma.Workspace; !bytes.Equal(encodeManifest(t, mb), encodeManifest(t, ma)) {
		t.Errorf("manifests differ beyond the workspace:\n%s\n%s", encodeManifest(t, ma), encodeManifest(t, mb))
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

// Every hostile bundle is refused with a message naming its entry, and changes nothing: not
// in an empty workspace, and not in one that holds the same assets edited, where an import
// under overwrite that applied anything would show in the next export.
func TestImportHostileBundles(t *testing.T) {
	e := newEnv(t)
	ws, full := e.newWorkspace("alpha"), e.newWorkspace("bravo")
	cases := bundletest.Hostile()
	if len(cases) < 20 {
		t.Fatalf("only %d hostile bundles", len(cases))
	}
	e.must(200, e.importBundle(e.ownerToken, full.ID, "", bundletest.Valid()))
	flow := e.listAssets(e.ownerToken, full.ID, "?name=flow-b")[0]
	e.must(200, e.do("PATCH", assetsURL(full.ID)+"/"+flow.ID, e.ownerToken, `{"description":"edited in bravo"}`))
	before := e.must(200, e.do("GET", "/api/v1/workspace/"+full.ID+"/export", e.ownerToken, nil)).Body
	// Asset changes are audited; the exports that check the workspace are too, and are left out.
	changes := func() (n int) {
		for _, ev := range e.audit("asset.") {
			if ev.Action != "asset.export" {
				n++
			}
		}
		return n
	}
	changesBefore := changes()
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
		if r := e.importBundle(e.ownerToken, full.ID, "?onConflict=overwrite", hc.Bundle); r.Code != 400 {
			t.Errorf("%s under overwrite: %d %s", hc.Name, r.Code, r.Body)
		}
		if after := e.must(200, e.do("GET", "/api/v1/workspace/"+full.ID+"/export", e.ownerToken, nil)).Body; !bytes.Equal(after, before) {
			t.Fatalf("%s: an import under overwrite that was refused changed the workspace", hc.Name)
		}
	}
	if n := changes() - changesBefore; n != 0 {
		t.Errorf("%d asset audit events after refused imports", n)
	}
}
