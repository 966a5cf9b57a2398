package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
)

// Assets, documents and transfers against the real server.

func TestAssetsLifecycle(t *testing.T) {
	rs := startServer(t)
	ctx := context.Background()
	c := rs.owner
	ws := must[*forj.Workspace](t)(c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "team"}))

	for i, name := range []string{"delta", "alpha", "charlie", "bravo"} {
		labels := map[string]string{"team": "support"}
		if i%2 == 1 {
			labels["lang"] = "en"
		}
		must[*forj.Asset](t)(c.CreateAsset(ctx, ws.ID, forj.CreateAssetRequest{
			Kind: forj.KindFlow, Name: name, Labels: labels, Spec: json.RawMessage(`{"n":1}`),
		}))
	}
	must[*forj.Asset](t)(c.CreateAsset(ctx, ws.ID, forj.CreateAssetRequest{Kind: forj.KindTool, Name: "alpha"}))

	// The iterator walks every page, sorted by name; the filters apply.
	var names []string
	for a, err := range c.AllAssets(ctx, ws.ID, client.AssetListOptions{Kind: forj.KindFlow, ListOptions: client.ListOptions{Limit: 2}}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, a.Name)
	}
	if strings.Join(names, ",") != "alpha,bravo,charlie,delta" {
		t.Errorf("AllAssets = %v", names)
	}
	page := must[*forj.List[forj.Asset]](t)(c.ListAssets(ctx, ws.ID, client.AssetListOptions{
		Kind: forj.KindFlow, Labels: map[string]string{"lang": "en", "team": "support"},
	}))
	if len(page.Data) != 2 || page.Data[0].Name != "alpha" || page.Data[1].Name != "bravo" {
		t.Errorf("ListAssets by labels = %+v", page.Data)
	}

	// By name and by id; the kind matters.
	alpha := must[*forj.Asset](t)(c.ResolveAsset(ctx, ws.ID, forj.KindFlow, "alpha"))
	if byID := must[*forj.Asset](t)(c.ResolveAsset(ctx, ws.ID, forj.KindFlow, alpha.ID)); byID.Name != "alpha" || byID.Kind != forj.KindFlow {
		t.Errorf("ResolveAsset(id) = %+v", byID)
	}
	if _, err := c.ResolveAsset(ctx, ws.ID, forj.KindTool, alpha.ID); !forj.IsNotFound(err) {
		t.Errorf("a flow's id as a tool: %v, want not found", err)
	}
	_, err := c.ResolveAsset(ctx, ws.ID, forj.KindAgent, "alpha")
	if fe := wantCode(t, err, forj.ENotFound, 0); fe.Message != `agent "alpha" not found in workspace team` ||
		fe.Hint != "see the workspace's agents with: forjctl agent list" {
		t.Errorf("not found = %#v", fe)
	}

	// If-Match on update and delete.
	desc := "first"
	upd := must[*forj.Asset](t)(c.UpdateAsset(ctx, ws.ID, alpha.ID, forj.UpdateAssetRequest{Description: &desc}, alpha.Version))
	if upd.Description != "first" || upd.Version != alpha.Version+1 {
		t.Errorf("UpdateAsset = %+v", upd)
	}
	_, err = c.UpdateAsset(ctx, ws.ID, alpha.ID, forj.UpdateAssetRequest{Description: &desc}, alpha.Version)
	wantCode(t, err, forj.EConflict, http.StatusPreconditionFailed)
	wantCode(t, c.DeleteAsset(ctx, ws.ID, alpha.ID, alpha.Version), forj.EConflict, http.StatusPreconditionFailed)
	if err := c.DeleteAsset(ctx, ws.ID, alpha.ID, upd.Version); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetAsset(ctx, ws.ID, alpha.ID)
	wantCode(t, err, forj.ENotFound, http.StatusNotFound)
}

// TestResolveAssetSaysWhereItIs: the platform's most common support question.
func TestResolveAssetSaysWhereItIs(t *testing.T) {
	rs := startServer(t)
	ctx := context.Background()
	c := rs.owner
	dev := must[*forj.Workspace](t)(c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "dev"}))
	prod := must[*forj.Workspace](t)(c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "prod team"}))
	must[*forj.Asset](t)(c.CreateAsset(ctx, prod.ID, forj.CreateAssetRequest{Kind: forj.KindFlow, Name: "faq"}))

	_, err := c.ResolveAsset(ctx, dev.ID, forj.KindFlow, "faq")
	fe := wantCode(t, err, forj.ENotFound, 0)
	if fe.Message != `flow "faq" not found in workspace dev; it is in workspace prod team` ||
		fe.Hint != "switch with: forjctl workspace switch 'prod team' (or add -w 'prod team' to this command)" {
		t.Errorf("err = %#v", fe)
	}
	// Search sees it; another kind of the same name is not "elsewhere".
	found := must[[]forj.Asset](t)(c.SearchAssets(ctx, forj.KindFlow, "faq"))
	if len(found) != 1 || found[0].WorkspaceID != prod.ID {
		t.Errorf("SearchAssets = %+v", found)
	}
	_, err = c.ResolveAsset(ctx, dev.ID, forj.KindTool, "faq")
	if fe := wantCode(t, err, forj.ENotFound, 0); strings.Contains(fe.Message, "it is in") {
		t.Errorf("a tool lookup mentions the flow: %#v", fe)
	}
}

func TestDocumentsRoundTrip(t *testing.T) {
	rs := startServer(t)
	ctx := context.Background()
	c := rs.owner
	ws := must[*forj.Workspace](t)(c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "team"}))
	ds := must[*forj.Asset](t)(c.CreateAsset(ctx, ws.ID, forj.CreateAssetRequest{Kind: forj.KindDataset, Name: "kb"}))

	content := bytes.Repeat([]byte("0123456789abcdef"), 3*forj.BlobChunkSize/16+7) // three chunks and a bit
	sum := sha256.Sum256(content)
	hexSum := hex.EncodeToString(sum[:])
	d := must[*forj.Document](t)(c.UploadDocument(ctx, ws.ID, ds.ID, "faq.txt", bytes.NewReader(content), int64(len(content)), client.UploadOptions{SHA256: hexSum}))
	if d.Name != "faq.txt" || d.Size != int64(len(content)) || d.SHA256 != hexSum {
		t.Errorf("UploadDocument = %+v", d)
	}
	// Unknown length (chunked) works too.
	must[*forj.Document](t)(c.UploadDocument(ctx, ws.ID, ds.ID, "small.txt", io.MultiReader(strings.NewReader("hi")), -1, client.UploadOptions{}))
	// A wrong digest is refused.
	_, err := c.UploadDocument(ctx, ws.ID, ds.ID, "bad.txt", strings.NewReader("x"), 1, client.UploadOptions{SHA256: hexSum})
	if err == nil {
		t.Error("an upload with a wrong X-Content-SHA256 was accepted")
	}

	docs := must[[]forj.Document](t)(c.ListDocuments(ctx, ws.ID, ds.ID))
	if len(docs) != 2 || docs[0].Name != "faq.txt" || docs[1].Name != "small.txt" {
		t.Errorf("ListDocuments = %+v", docs)
	}
	dl := must[*client.Download](t)(c.DownloadDocument(ctx, ws.ID, ds.ID, "faq.txt"))
	got, err := io.ReadAll(dl)
	dl.Close()
	if err != nil || !bytes.Equal(got, content) || dl.SHA256 != hexSum {
		t.Errorf("download: %d bytes, %v, sha %s", len(got), err, dl.SHA256)
	}
	if err := c.DeleteDocument(ctx, ws.ID, ds.ID, "small.txt"); err != nil {
		t.Fatal(err)
	}
	_, err = c.DownloadDocument(ctx, ws.ID, ds.ID, "small.txt")
	wantCode(t, err, forj.ENotFound, http.StatusNotFound)
}

func TestTransferReplayAndReRun(t *testing.T) {
	rs := startServer(t)
	ctx := context.Background()
	c := rs.owner
	dev := must[*forj.Workspace](t)(c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "dev"}))
	prod := must[*forj.Workspace](t)(c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "prod"}))
	a := must[*forj.Asset](t)(c.CreateAsset(ctx, dev.ID, forj.CreateAssetRequest{Kind: forj.KindFlow, Name: "a"}))
	b := must[*forj.Asset](t)(c.CreateAsset(ctx, dev.ID, forj.CreateAssetRequest{Kind: forj.KindFlow, Name: "b"}))

	req := forj.TransferRequest{Mode: forj.TransferCopy, From: dev.ID, To: prod.ID, IDs: []string{a.ID, b.ID}}
	first := must[*forj.TransferResponse](t)(c.Transfer(ctx, req, client.WithIdempotencyKey("copy-1")))
	if first.Summary[forj.ItemCopied] != 2 {
		t.Fatalf("copy = %+v", first)
	}
	// The same key replays the answer; a new request finds the copies by origin.
	replay := must[*forj.TransferResponse](t)(c.Transfer(ctx, req, client.WithIdempotencyKey("copy-1")))
	if replay.Summary[forj.ItemCopied] != 2 || replay.Items[0].TargetID != first.Items[0].TargetID {
		t.Errorf("replay = %+v", replay)
	}
	again := must[*forj.TransferResponse](t)(c.Transfer(ctx, req))
	if again.Summary[forj.ItemUnchanged] != 2 {
		t.Errorf("copy again = %+v, want 2 unchanged", again)
	}
	n := 0
	for _, err := range c.AllAssets(ctx, prod.ID, client.AssetListOptions{Kind: forj.KindFlow}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 {
		t.Errorf("prod holds %d flows, want 2", n)
	}
}
