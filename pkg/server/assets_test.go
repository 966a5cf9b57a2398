package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/forjinn/forjctl/pkg/authz"
	"github.com/forjinn/forjctl/pkg/forj"
)

func assetsURL(wsID string) string { return "/api/v1/workspace/" + wsID + "/assets" }

func (e *env) createAsset(token, wsID string, body any) forj.Asset {
	e.t.Helper()
	var a forj.Asset
	e.must(201, e.do("POST", assetsURL(wsID), token, body)).decode(e.t, &a)
	return a
}

func (e *env) transfer(token string, req forj.TransferRequest) forj.TransferResponse {
	e.t.Helper()
	var out forj.TransferResponse
	e.must(200, e.do("POST", "/api/v1/assets/transfer", token, req)).decode(e.t, &out)
	return out
}

func (e *env) listAssets(token, wsID, query string) []forj.Asset {
	e.t.Helper()
	var l forj.List[forj.Asset]
	e.must(200, e.do("GET", assetsURL(wsID)+query, token, nil)).decode(e.t, &l)
	return l.Data
}

func results(r forj.TransferResponse) string {
	var parts []string
	for _, it := range r.Items {
		s := it.Name + ":" + it.Result
		if it.NewName != "" {
			s += "→" + it.NewName
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestAssetCRUD(t *testing.T) { forEachStore(t, testAssetCRUD) }

func testAssetCRUD(t *testing.T, sk storeKind) {
	e := newEnvOn(t, sk)
	a, b := e.newWorkspace("alpha"), e.newWorkspace("bravo")
	dev, devTok := e.newUser("dev@example.com")
	e.addMember(a.ID, dev.ID, authz.RoleDeveloper)

	f := e.createAsset(devTok, a.ID, map[string]any{"kind": "flow", "name": "welcome", "description": "hi",
		"labels": map[string]string{"team": "support"}, "spec": map[string]any{"nodes": []int{1, 2}, "z": 1.50}})
	if f.Version != 1 || f.WorkspaceID != a.ID || f.CreatedBy != dev.ID || string(f.Spec) != `{"nodes":[1,2],"z":1.5}` {
		t.Fatalf("created %+v spec %s", f, f.Spec)
	}
	// Same name: conflict for the same kind, fine for another kind or workspace.
	r := e.do("POST", assetsURL(a.ID), devTok, map[string]string{"kind": "flow", "name": "welcome"})
	if r.Code != 409 || !strings.Contains(r.String(), `flow named \"welcome\" already exists`) {
		t.Errorf("duplicate: %d %s", r.Code, r.Body)
	}
	e.createAsset(devTok, a.ID, map[string]string{"kind": "agent", "name": "welcome"})
	e.createAsset(e.ownerToken, b.ID, map[string]string{"kind": "flow", "name": "welcome"})
	// Bad input.
	for body, want := range map[string]string{
		`{"kind":"robot","name":"x"}`:                     "unknown asset kind",
		`{"kind":"flow","name":"a/b"}`:                    "slash",
		`{"kind":"flow","name":"x","spec":[1]}`:           "must be a JSON object",
		`{"kind":"flow","name":"x","secret":{"k":"v"}}`:   "holds no secret",
		`{"kind":"flow","name":"x","labels":{"A B":"v"}}`: "label key",
		`{"kind":"flow","name":"x","version":3}`:          "unknown field",
	} {
		if r := e.do("POST", assetsURL(a.ID), devTok, body); r.Code != 400 || !strings.Contains(r.String(), want) {
			t.Errorf("%s: %d %s, want 400 mentioning %q", body, r.Code, r.Body, want)
		}
	}
	// Filters.
	if got := e.listAssets(devTok, a.ID, "?kind=flow"); len(got) != 1 || got[0].ID != f.ID {
		t.Errorf("?kind=flow: %v", got)
	}
	if got := e.listAssets(devTok, a.ID, "?label=team=support"); len(got) != 1 || got[0].ID != f.ID {
		t.Errorf("?label: %v", got)
	}
	if got := e.listAssets(devTok, a.ID, "?label=team=sales"); len(got) != 0 {
		t.Errorf("?label=team=sales: %v", got)
	}
	// Reached through its own workspace only.
	e.addMember(b.ID, dev.ID, authz.RoleViewer)
	if r := e.do("GET", assetsURL(b.ID)+"/"+f.ID, devTok, nil); r.Code != 404 {
		t.Errorf("asset of A through B: %d %s", r.Code, r.Body)
	}
	// Optimistic concurrency.
	url := assetsURL(a.ID) + "/" + f.ID
	r = e.must(200, e.do("PATCH", url, devTok, `{"description":"v2"}`, "If-Match", `"1"`))
	if r.Header.Get("ETag") != `"2"` {
		t.Errorf("ETag after update %q", r.Header.Get("ETag"))
	}
	if r := e.do("PATCH", url, devTok, `{"description":"v3"}`, "If-Match", `"1"`); r.Code != 412 || r.errCode() != forj.EConflict {
		t.Errorf("stale If-Match: %d %s", r.Code, r.Body)
	}
	if r := e.do("DELETE", url, devTok, nil, "If-Match", `"1"`); r.Code != 412 {
		t.Errorf("stale delete: %d %s", r.Code, r.Body)
	}
	// Search across the workspaces the caller may read.
	var l forj.List[forj.Asset]
	e.must(200, e.do("GET", "/api/v1/assets?kind=flow&name=welcome", devTok, nil)).decode(t, &l)
	if len(l.Data) != 2 {
		t.Errorf("search sees %d flows named welcome, want 2 (A and B)", len(l.Data))
	}
	_, strangerTok := e.newUser("stranger@example.com")
	e.must(200, e.do("GET", "/api/v1/assets?name=welcome", strangerTok, nil)).decode(t, &l)
	if len(l.Data) != 0 {
		t.Errorf("a stranger's search sees %v", l.Data)
	}
	e.must(204, e.do("DELETE", url, devTok, nil, "If-Match", `"2"`))
	e.must(404, e.do("GET", url, devTok, nil))
	for _, action := range []string{"asset.create", "asset.update", "asset.delete"} {
		if len(e.audit(action)) == 0 {
			t.Errorf("no %s audit event", action)
		}
	}
}

func TestCredentialSecretIsWriteOnlyAndSealed(t *testing.T) { forEachStore(t, testCredentialSecret) }

func testCredentialSecret(t *testing.T, sk storeKind) {
	e := newEnvOn(t, sk)
	a, b := e.newWorkspace("alpha"), e.newWorkspace("bravo")
	const secret = "sk-live-0123456789-very-secret"
	c := e.createAsset(e.ownerToken, a.ID, map[string]any{"kind": "credential", "name": "openai", "secret": map[string]string{"apiKey": secret}})
	if !c.HasSecret {
		t.Fatalf("created credential without hasSecret: %+v", c)
	}
	var sealed []byte
	e.view(func(tx forj.Tx) error {
		var err error
		sealed, err = tx.GetAssetSecret(c.ID)
		return err
	})
	if bytes.Contains(sealed, []byte(secret)) || len(sealed) == 0 {
		t.Fatalf("stored secret is not sealed: %q", sealed)
	}
	if plain, err := e.srv.openSecret(c.ID, sealed); err != nil || !strings.Contains(string(plain), secret) {
		t.Fatalf("open: %q %v", plain, err)
	}
	if _, err := e.srv.openSecret("ast_other", sealed); err == nil {
		t.Error("a sealed secret opened under another asset id")
	}
	// Copy it to B: the copy holds the same secret, sealed under its own id.
	out := e.transfer(e.ownerToken, forj.TransferRequest{Mode: "copy", From: a.ID, To: b.ID, IDs: []string{c.ID}})
	copyID := out.Items[0].TargetID
	e.view(func(tx forj.Tx) error {
		s, err := tx.GetAssetSecret(copyID)
		if err != nil {
			return err
		}
		plain, err := e.srv.openSecret(copyID, s)
		if err != nil || !strings.Contains(string(plain), secret) {
			t.Errorf("copy's secret: %q %v", plain, err)
		}
		return nil
	})
	// Update without touching the secret keeps it; null removes it.
	e.must(200, e.do("PATCH", assetsURL(a.ID)+"/"+c.ID, e.ownerToken, `{"description":"rotated monthly"}`))
	var got forj.Asset
	e.must(200, e.do("GET", assetsURL(a.ID)+"/"+c.ID, e.ownerToken, nil)).decode(t, &got)
	if !got.HasSecret {
		t.Error("an update without secret dropped it")
	}
	// The secret is nowhere in any answer or audit event.
	for _, path := range []string{assetsURL(a.ID), assetsURL(a.ID) + "/" + c.ID, assetsURL(b.ID), "/api/v1/assets?kind=credential", "/api/v1/audit?limit=500"} {
		if r := e.must(200, e.do("GET", path, e.ownerToken, nil)); strings.Contains(r.String(), secret) || strings.Contains(r.String(), "apiKey") {
			t.Errorf("GET %s shows the secret: %s", path, r.Body)
		}
	}
	got = forj.Asset{}
	e.must(200, e.do("PATCH", assetsURL(a.ID)+"/"+c.ID, e.ownerToken, `{"secret":null}`)).decode(t, &got)
	if got.HasSecret {
		t.Error("secret null did not remove it")
	}
}

func TestDocumentsStream(t *testing.T) { forEachStore(t, testDocumentsStream) }

func testDocumentsStream(t *testing.T, sk storeKind) {
	e := newEnvOn(t, sk)
	a := e.newWorkspace("alpha")
	ds := e.createAsset(e.ownerToken, a.ID, map[string]string{"kind": "dataset", "name": "manuals"})
	flow := e.createAsset(e.ownerToken, a.ID, map[string]string{"kind": "flow", "name": "f"})
	data := make([]byte, 2*forj.BlobChunkSize+12345)
	for i := range data {
		data[i] = byte(i * 7 % 251)
	}
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	url := assetsURL(a.ID) + "/" + ds.ID + "/documents/guide.pdf"
	var d forj.Document
	e.must(201, e.do("PUT", url, e.ownerToken, data, "X-Content-SHA256", hexSum)).decode(t, &d)
	if d.Size != int64(len(data)) || d.SHA256 != hexSum {
		t.Fatalf("document %+v", d)
	}
	r := e.must(200, e.do("GET", url, e.ownerToken, nil))
	if !bytes.Equal(r.Body, data) || r.Header.Get("X-Content-SHA256") != hexSum {
		t.Fatalf("download: %d bytes, sha header %q", len(r.Body), r.Header.Get("X-Content-SHA256"))
	}
	// A wrong announced checksum stores nothing.
	bad := assetsURL(a.ID) + "/" + ds.ID + "/documents/bad.txt"
	if r := e.do("PUT", bad, e.ownerToken, "abc", "X-Content-SHA256", hexSum); r.Code != 400 {
		t.Errorf("wrong sha: %d %s", r.Code, r.Body)
	}
	e.must(404, e.do("GET", bad, e.ownerToken, nil))
	// Replace → 200; only datasets hold documents; names are checked.
	e.must(200, e.do("PUT", url, e.ownerToken, "v2"))
	if r := e.must(200, e.do("GET", url, e.ownerToken, nil)); r.String() != "v2" {
		t.Errorf("after replace: %q", r.Body)
	}
	if r := e.do("PUT", assetsURL(a.ID)+"/"+flow.ID+"/documents/x", e.ownerToken, "x"); r.Code != 400 {
		t.Errorf("document on a flow: %d %s", r.Code, r.Body)
	}
	if r := e.do("PUT", assetsURL(a.ID)+"/"+ds.ID+"/documents/..", e.ownerToken, "x"); r.Code < 300 {
		// The mux cleans the path first (a redirect); either way nothing is stored.
		t.Errorf("document named ..: %d %s", r.Code, r.Body)
	}
	var l forj.List[forj.Document]
	e.must(200, e.do("GET", assetsURL(a.ID)+"/"+ds.ID+"/documents", e.ownerToken, nil)).decode(t, &l)
	if len(l.Data) != 1 || l.Data[0].Name != "guide.pdf" || l.Data[0].Size != 2 {
		t.Errorf("documents %+v", l.Data)
	}
	e.must(204, e.do("DELETE", url, e.ownerToken, nil))
	e.must(404, e.do("GET", url, e.ownerToken, nil))
	// The replaced and deleted contents are orphans; the collector removes them once old.
	e.clock.Advance(orphanBlobAge + 1)
	if n, err := e.srv.CollectGarbage(t.Context()); err != nil || n < 2 {
		t.Errorf("CollectGarbage = %d, %v; want ≥ 2 orphans removed", n, err)
	}
}

func TestTransfer(t *testing.T) { forEachStore(t, testTransfer) }

func testTransfer(t *testing.T, sk storeKind) {
	e := newEnvOn(t, sk)
	a, b := e.newWorkspace("alpha"), e.newWorkspace("bravo")
	dev, devTok := e.newUser("dev@example.com")
	e.addMember(a.ID, dev.ID, authz.RoleDeveloper)
	e.addMember(b.ID, dev.ID, authz.RoleViewer)
	var ids []string
	for i := range 3 {
		ids = append(ids, e.createAsset(devTok, a.ID, map[string]string{"kind": "flow", "name": fmt.Sprintf("f%d", i)}).ID)
	}
	// Developer or more on both sides.
	if r := e.do("POST", "/api/v1/assets/transfer", devTok, forj.TransferRequest{Mode: "move", From: a.ID, To: b.ID, IDs: ids}); r.Code != 403 {
		t.Fatalf("viewer in the target: %d %s", r.Code, r.Body)
	}
	e.update(func(tx forj.Tx) error { _, err := tx.SetMemberRole(b.ID, dev.ID, authz.RoleDeveloper); return err })

	// A dry run changes nothing and says what would happen.
	out := e.transfer(devTok, forj.TransferRequest{Mode: "move", From: a.ID, To: b.ID, IDs: ids, DryRun: true})
	if results(out) != "f0:moved f1:moved f2:moved" || !out.DryRun {
		t.Errorf("dry run: %s", results(out))
	}
	if got := e.listAssets(devTok, a.ID, ""); len(got) != 3 {
		t.Fatalf("dry run moved something: %d left in A", len(got))
	}
	// f1 exists in B: fail leaves it (and only it) alone.
	e.createAsset(devTok, b.ID, map[string]string{"kind": "flow", "name": "f1"})
	out = e.transfer(devTok, forj.TransferRequest{Mode: "move", From: a.ID, To: b.ID, IDs: ids})
	if results(out) != "f0:moved f1:failed f2:moved" || out.Items[1].Error.Code != forj.EConflict || out.Summary["moved"] != 2 {
		t.Errorf("move with a conflict: %s %+v", results(out), out.Summary)
	}
	// Moving keeps ids; a re-run answers unchanged for what already moved.
	out = e.transfer(devTok, forj.TransferRequest{Mode: "move", From: a.ID, To: b.ID, IDs: ids, OnConflict: "rename"})
	if results(out) != "f0:unchanged f1:renamed→f1-2 f2:unchanged" || out.Items[0].TargetID != ids[0] {
		t.Errorf("re-run: %s", results(out))
	}
	if got := e.listAssets(devTok, a.ID, ""); len(got) != 0 {
		t.Errorf("%d assets left in A", len(got))
	}
	// Copy back twice: the second run finds the copies by origin.
	out = e.transfer(devTok, forj.TransferRequest{Mode: "copy", From: b.ID, To: a.ID, IDs: ids})
	if results(out) != "f0:copied f1-2:copied f2:copied" {
		t.Errorf("copy: %s", results(out))
	}
	again := e.transfer(devTok, forj.TransferRequest{Mode: "copy", From: b.ID, To: a.ID, IDs: ids})
	if results(again) != "f0:unchanged f1-2:unchanged f2:unchanged" || again.Items[0].TargetID != out.Items[0].TargetID {
		t.Errorf("copy again: %s", results(again))
	}
	if got := e.listAssets(devTok, a.ID, ""); len(got) != 3 || got[0].Origin != ids[0] {
		t.Errorf("after two copies A has %d assets (%+v)", len(got), got)
	}
	// Skip and overwrite; copy within a workspace renames.
	f0b := e.listAssets(devTok, b.ID, "?name=f0")[0]
	f0a := e.listAssets(devTok, a.ID, "?name=f0")[0]
	if f0a.Origin != f0b.ID {
		t.Errorf("copy's origin %q, want %q", f0a.Origin, f0b.ID)
	}
	clone := e.transfer(devTok, forj.TransferRequest{Mode: "copy", From: b.ID, To: b.ID, IDs: []string{f0b.ID}, OnConflict: "rename"})
	if results(clone) != "f0:renamed→f0-2" {
		t.Errorf("clone: %s", results(clone))
	}
	// A new source with a taken name: skip, then overwrite.
	n := e.createAsset(devTok, b.ID, map[string]any{"kind": "flow", "name": "f2-new", "spec": map[string]int{"v": 2}})
	e.must(200, e.do("PATCH", assetsURL(b.ID)+"/"+n.ID, devTok, `{"name":"shared"}`))
	e.createAsset(devTok, a.ID, map[string]string{"kind": "flow", "name": "shared"})
	if out := e.transfer(devTok, forj.TransferRequest{Mode: "copy", From: b.ID, To: a.ID, IDs: []string{n.ID}, OnConflict: "skip"}); results(out) != "shared:skipped" {
		t.Errorf("skip: %s", results(out))
	}
	out = e.transfer(devTok, forj.TransferRequest{Mode: "copy", From: b.ID, To: a.ID, IDs: []string{n.ID}, OnConflict: "overwrite"})
	if results(out) != "shared:overwritten" {
		t.Errorf("overwrite: %s", results(out))
	}
	if got := e.listAssets(devTok, a.ID, "?name=shared"); len(got) != 1 || string(got[0].Spec) != `{"v":2}` {
		t.Errorf("after overwrite: %+v", got)
	}
	// A dataset's copy shares its documents' contents.
	ds := e.createAsset(devTok, b.ID, map[string]string{"kind": "dataset", "name": "kb"})
	e.must(201, e.do("PUT", assetsURL(b.ID)+"/"+ds.ID+"/documents/faq.md", devTok, "# FAQ"))
	out = e.transfer(devTok, forj.TransferRequest{Mode: "copy", From: b.ID, To: a.ID, IDs: []string{ds.ID}})
	if r := e.must(200, e.do("GET", assetsURL(a.ID)+"/"+out.Items[0].TargetID+"/documents/faq.md", devTok, nil)); r.String() != "# FAQ" {
		t.Errorf("copied document: %q", r.Body)
	}
	e.must(204, e.do("DELETE", assetsURL(b.ID)+"/"+ds.ID, devTok, nil))
	if r := e.must(200, e.do("GET", assetsURL(a.ID)+"/"+out.Items[0].TargetID+"/documents/faq.md", devTok, nil)); r.String() != "# FAQ" {
		t.Errorf("copied document after deleting the source: %q", r.Body)
	}
	// Unknown and foreign ids fail alone; bad requests are refused whole.
	out = e.transfer(devTok, forj.TransferRequest{Mode: "move", From: a.ID, To: b.ID, IDs: []string{"ast_nope"}})
	if results(out) != ":failed" || out.Items[0].Error.Code != forj.ENotFound {
		t.Errorf("unknown id: %s", results(out))
	}
	for _, req := range []forj.TransferRequest{
		{Mode: "teleport", From: a.ID, To: b.ID, IDs: ids},
		{Mode: "move", From: a.ID, To: b.ID},
		{Mode: "move", From: a.ID, To: b.ID, IDs: []string{ids[0], ids[0]}},
		{Mode: "move", From: a.ID, To: b.ID, IDs: ids, OnConflict: "merge"},
	} {
		if r := e.do("POST", "/api/v1/assets/transfer", devTok, req); r.Code != 400 {
			t.Errorf("%+v: %d %s", req, r.Code, r.Body)
		}
	}
	if len(e.audit("asset.move")) != 2*3 || len(e.audit("asset.copy")) < 4 {
		t.Errorf("audit: %d moves, %d copies", len(e.audit("asset.move")), len(e.audit("asset.copy")))
	}
}
