package storetest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

// Asset, document and blob tests. Contract details they pin down, beyond pkg/forj/store.go:
//   - CreateAsset fills in the id (ast_…) when empty, version 1, the timestamps when zero and
//     HasSecret; Labels nil are stored (and read) as an empty map, an empty Spec as {}.
//   - ListAssets sorts by kind, name, id; a nil id list (WorkspaceIDs, IDs, Origins) does
//     not filter, an empty non-nil one matches nothing.
//   - UpdateAsset sets HasSecret from Secret; a WorkspaceID that does not exist is
//     ENotFound, a missing asset ENotFound, a stale version EConflict.
//   - PutDocument sets CreatedAt/UpdatedAt to Now() when zero; replacing a document keeps its
//     CreatedAt (given back in d).
//   - CreateBlob of an id in use is EConflict; PutBlobChunk to a complete blob, or of a seq
//     already written, is EConflict; CompleteBlob checks that the chunks, numbered from 0
//     without a gap, hold size bytes (else EInvalid); BlobChunk past the end is ENotFound.

// asset creates an asset directly and returns it.
func (e *env) asset(wsID, kind, name string, labels map[string]string) *forj.Asset {
	e.t.Helper()
	a := &forj.Asset{WorkspaceID: wsID, Kind: kind, Name: name, Labels: labels, Spec: json.RawMessage(`{"n":1}`),
		CreatedBy: "usr_a", UpdatedBy: "usr_a"}
	e.update(func(tx forj.Tx) error { return tx.CreateAsset(a) })
	return a
}

// blob writes data as a complete blob, one chunk of chunk bytes per transaction.
func (e *env) blob(data []byte, chunk int) string {
	e.t.Helper()
	id := forj.NewID(forj.PrefixBlob)
	e.update(func(tx forj.Tx) error { return tx.CreateBlob(id) })
	for seq := 0; seq*chunk < len(data); seq++ {
		part := data[seq*chunk : min((seq+1)*chunk, len(data))]
		e.update(func(tx forj.Tx) error { return tx.PutBlobChunk(id, seq, part) })
	}
	e.update(func(tx forj.Tx) error { return tx.CompleteBlob(id, int64(len(data)), fmt.Sprintf("sum-%d", len(data))) })
	return id
}

// readBlob reads a blob back, one chunk per View, until BlobChunk says there is no more.
func (e *env) readBlob(id string) []byte {
	e.t.Helper()
	var out []byte
	for seq := 0; ; seq++ {
		var chunk []byte
		err := e.s.View(context.Background(), func(tx forj.Tx) error {
			var err error
			chunk, err = tx.BlobChunk(id, seq)
			return err
		})
		if forj.IsNotFound(err) {
			return out
		}
		if err != nil {
			e.t.Fatalf("BlobChunk(%s, %d): %v", id, seq, err)
		}
		out = append(out, chunk...)
	}
}

func (e *env) document(assetID, name, blobID string, size int64) *forj.Document {
	e.t.Helper()
	d := &forj.Document{AssetID: assetID, Name: name, BlobID: blobID, Size: size, SHA256: fmt.Sprintf("sum-%d", size)}
	e.update(func(tx forj.Tx) error { return tx.PutDocument(d) })
	return d
}

func assetIDs(as []forj.Asset) []string { return ids(as, func(a forj.Asset) string { return a.ID }) }

func docNames(ds []forj.Document) []string {
	return ids(ds, func(d forj.Document) string { return d.Name })
}

func testAssets(t *testing.T, e *env) {
	now := e.clock.Now()
	ws, other := e.workspace("w"), e.workspace("other")
	a := &forj.Asset{WorkspaceID: ws.ID, Kind: forj.KindFlow, Name: "welcome", Description: "greets",
		Labels: map[string]string{"team": "support", "tier": "1"}, Spec: json.RawMessage(`{"nodes":[1,2],"z":1.50}`),
		CreatedBy: "usr_a", UpdatedBy: "usr_b"}
	e.update(func(tx forj.Tx) error { return tx.CreateAsset(a) })
	if !forj.HasPrefix(a.ID, forj.PrefixAsset) || a.Version != 1 || a.HasSecret {
		t.Errorf("CreateAsset = id %q version %d hasSecret %v; want an %s_ id, version 1, no secret", a.ID, a.Version, a.HasSecret, forj.PrefixAsset)
	}
	sameTime(t, "CreatedAt", a.CreatedAt, now)
	sameTime(t, "UpdatedAt", a.UpdatedAt, now)

	check := func(what string, got *forj.Asset) {
		t.Helper()
		if got.ID != a.ID || got.WorkspaceID != ws.ID || got.Kind != forj.KindFlow || got.Name != "welcome" ||
			got.Description != "greets" || got.Version != 1 || got.Origin != "" || got.HasSecret || got.Secret != nil ||
			got.CreatedBy != "usr_a" || got.UpdatedBy != "usr_b" || !maps.Equal(got.Labels, a.Labels) ||
			string(got.Spec) != `{"nodes":[1,2],"z":1.50}` {
			t.Errorf("%s = %+v (spec %s), want %+v", what, got, got.Spec, a)
		}
		sameTime(t, what+" CreatedAt", got.CreatedAt, now)
		sameTime(t, what+" UpdatedAt", got.UpdatedAt, now)
	}
	e.view(func(tx forj.Tx) error {
		got, err := tx.GetAsset(a.ID)
		if err != nil {
			t.Fatalf("GetAsset: %v", err)
		}
		check("GetAsset", got)
		got, err = tx.GetAssetByName(ws.ID, forj.KindFlow, "welcome")
		if err != nil {
			t.Fatalf("GetAssetByName: %v", err)
		}
		check("GetAssetByName", got)
		list, next, err := tx.ListAssets(forj.AssetFilter{WorkspaceID: ws.ID})
		if err != nil || len(list) != 1 || next != "" {
			t.Fatalf("ListAssets = %d assets, %q, %v; want 1", len(list), next, err)
		}
		check("ListAssets", &list[0])

		_, err = tx.GetAsset("ast_missing")
		wantCode(t, err, forj.ENotFound, "ast_missing")
		_, err = tx.GetAssetByName(ws.ID, forj.KindFlow, "nope")
		wantCode(t, err, forj.ENotFound, `"nope"`)
		// Names match exactly, within one kind and workspace.
		for _, k := range [][3]string{{ws.ID, forj.KindFlow, "Welcome"}, {ws.ID, forj.KindAgent, "welcome"}, {other.ID, forj.KindFlow, "welcome"}} {
			_, err = tx.GetAssetByName(k[0], k[1], k[2])
			wantCode(t, err, forj.ENotFound)
		}
		_, err = tx.GetAssetSecret("ast_missing")
		wantCode(t, err, forj.ENotFound, "ast_missing")
		n, err := tx.CountAssets(ws.ID)
		if err != nil || n != 1 {
			t.Errorf("CountAssets = %d, %v; want 1", n, err)
		}
		return nil
	})

	// Nil labels and an empty spec read back as {}.
	bare := &forj.Asset{WorkspaceID: ws.ID, Kind: forj.KindTool, Name: "bare"}
	e.update(func(tx forj.Tx) error { return tx.CreateAsset(bare) })
	e.view(func(tx forj.Tx) error {
		got, err := tx.GetAsset(bare.ID)
		if err != nil {
			return err
		}
		if got.Labels == nil || len(got.Labels) != 0 || string(got.Spec) != `{}` {
			t.Errorf("bare asset: labels %#v spec %q; want an empty map and {}", got.Labels, got.Spec)
		}
		return nil
	})

	// A missing workspace is not found.
	err := e.updateErr(func(tx forj.Tx) error {
		return tx.CreateAsset(&forj.Asset{WorkspaceID: "ws_missing", Kind: forj.KindFlow, Name: "x"})
	})
	wantCode(t, err, forj.ENotFound, "ws_missing")
	// An id in use is a conflict that names it.
	err = e.updateErr(func(tx forj.Tx) error {
		return tx.CreateAsset(&forj.Asset{ID: a.ID, WorkspaceID: other.ID, Kind: forj.KindAgent, Name: "x"})
	})
	wantCode(t, err, forj.EConflict, a.ID)

	// Delete.
	e.update(func(tx forj.Tx) error { return tx.DeleteAsset(bare.ID) })
	err = e.updateErr(func(tx forj.Tx) error { return tx.DeleteAsset(bare.ID) })
	wantCode(t, err, forj.ENotFound, bare.ID)
	e.view(func(tx forj.Tx) error {
		_, err := tx.GetAsset(bare.ID)
		wantCode(t, err, forj.ENotFound)
		n, err := tx.CountAssets("")
		if err != nil || n != 1 {
			t.Errorf("CountAssets(all) = %d, %v; want 1", n, err)
		}
		return nil
	})
}

func testAssetNames(t *testing.T, e *env) {
	ws, other := e.workspace("w"), e.workspace("other")
	e.asset(ws.ID, forj.KindFlow, "welcome", nil)
	// The same name is fine in another kind or another workspace.
	e.asset(ws.ID, forj.KindAgent, "welcome", nil)
	moved := e.asset(other.ID, forj.KindFlow, "welcome", nil)

	err := e.updateErr(func(tx forj.Tx) error {
		return tx.CreateAsset(&forj.Asset{WorkspaceID: ws.ID, Kind: forj.KindFlow, Name: "welcome"})
	})
	wantCode(t, err, forj.EConflict, `flow named "welcome" already exists`)
	var fe *forj.Error
	if !errors.As(err, &fe) || fe.Hint == "" {
		t.Errorf("name conflict %v has no hint", err)
	}
	// Renaming onto a taken name, or moving onto one, conflicts too.
	renamed := e.asset(ws.ID, forj.KindFlow, "other", nil)
	err = e.updateErr(func(tx forj.Tx) error {
		renamed.Name = "welcome"
		return tx.UpdateAsset(renamed)
	})
	wantCode(t, err, forj.EConflict, `flow named "welcome" already exists`)
	err = e.updateErr(func(tx forj.Tx) error {
		moved.WorkspaceID = ws.ID
		return tx.UpdateAsset(moved)
	})
	wantCode(t, err, forj.EConflict, `"welcome"`)

	// A conflict fails only its statement: the transaction goes on and commits the rest.
	e.update(func(tx forj.Tx) error {
		err := tx.CreateAsset(&forj.Asset{WorkspaceID: ws.ID, Kind: forj.KindFlow, Name: "welcome"})
		if forj.ErrorCode(err) != forj.EConflict {
			t.Errorf("duplicate in a transaction: %v, want conflict", err)
		}
		return tx.CreateAsset(&forj.Asset{WorkspaceID: ws.ID, Kind: forj.KindFlow, Name: "after-conflict"})
	})
	e.view(func(tx forj.Tx) error {
		_, err := tx.GetAssetByName(ws.ID, forj.KindFlow, "after-conflict")
		return err
	})
}

func testAssetUpdate(t *testing.T, e *env) {
	ws := e.workspace("w")
	a := e.asset(ws.ID, forj.KindCredential, "db", map[string]string{"env": "prod"})
	created := a.CreatedAt
	later := e.clock.Advance(time.Minute)
	e.update(func(tx forj.Tx) error {
		a.Name, a.Description, a.Labels, a.Spec, a.UpdatedBy = "database", "the db", nil, json.RawMessage(`{"host":"h"}`), "usr_c"
		a.Secret = []byte("sealed\x00bytes")
		// Fields the update leaves alone.
		a.CreatedBy, a.CreatedAt = "usr_ignored", later
		return tx.UpdateAsset(a)
	})
	if a.Version != 2 || !a.HasSecret {
		t.Errorf("after UpdateAsset: version %d hasSecret %v; want 2, true", a.Version, a.HasSecret)
	}
	sameTime(t, "UpdatedAt", a.UpdatedAt, later)
	e.view(func(tx forj.Tx) error {
		got, err := tx.GetAsset(a.ID)
		if err != nil {
			return err
		}
		if got.Name != "database" || got.Description != "the db" || len(got.Labels) != 0 || got.Labels == nil ||
			string(got.Spec) != `{"host":"h"}` || got.UpdatedBy != "usr_c" || got.CreatedBy != "usr_a" || got.Version != 2 {
			t.Errorf("updated asset = %+v", got)
		}
		sameTime(t, "stored CreatedAt", got.CreatedAt, created)
		sameTime(t, "stored UpdatedAt", got.UpdatedAt, later)
		// The secret is never in Get or List, only HasSecret.
		if !got.HasSecret || got.Secret != nil {
			t.Errorf("GetAsset: hasSecret %v secret %q; want true and none", got.HasSecret, got.Secret)
		}
		list, _, err := tx.ListAssets(forj.AssetFilter{Kind: forj.KindCredential})
		if err != nil || len(list) != 1 || !list[0].HasSecret || list[0].Secret != nil {
			t.Errorf("ListAssets = %+v, %v; want one with HasSecret and no Secret", list, err)
		}
		secret, err := tx.GetAssetSecret(a.ID)
		if err != nil || string(secret) != "sealed\x00bytes" {
			t.Errorf("GetAssetSecret = %q, %v", secret, err)
		}
		return nil
	})

	// A stale version conflicts and changes nothing.
	stale := *a
	stale.Version = 1
	stale.Description = "stale"
	err := e.updateErr(func(tx forj.Tx) error { return tx.UpdateAsset(&stale) })
	wantCode(t, err, forj.EConflict, "version 2")
	err = e.updateErr(func(tx forj.Tx) error {
		return tx.UpdateAsset(&forj.Asset{ID: "ast_missing", WorkspaceID: ws.ID, Kind: forj.KindFlow, Name: "x", Version: 1})
	})
	wantCode(t, err, forj.ENotFound, "ast_missing")
	err = e.updateErr(func(tx forj.Tx) error {
		b := *a
		b.WorkspaceID = "ws_missing"
		return tx.UpdateAsset(&b)
	})
	wantCode(t, err, forj.ENotFound, "ws_missing")

	// A nil Secret clears it.
	e.update(func(tx forj.Tx) error {
		a.Secret = nil
		return tx.UpdateAsset(a)
	})
	e.view(func(tx forj.Tx) error {
		got, err := tx.GetAsset(a.ID)
		if err != nil || got.HasSecret || got.Version != 3 || got.Description != "the db" {
			t.Errorf("after clearing the secret: %+v, %v", got, err)
		}
		secret, err := tx.GetAssetSecret(a.ID)
		if err != nil || secret != nil {
			t.Errorf("GetAssetSecret after clearing = %q, %v; want nil", secret, err)
		}
		return nil
	})
}

// A move (UpdateAsset with another workspace) keeps the id, the documents and the origin.
func testAssetMove(t *testing.T, e *env) {
	from, to := e.workspace("from"), e.workspace("to")
	ds := e.asset(from.ID, forj.KindDataset, "manuals", nil)
	data := []byte("the manual")
	e.document(ds.ID, "guide.txt", e.blob(data, 4), int64(len(data)))
	e.update(func(tx forj.Tx) error {
		ds.WorkspaceID = to.ID
		return tx.UpdateAsset(ds)
	})
	e.view(func(tx forj.Tx) error {
		got, err := tx.GetAssetByName(to.ID, forj.KindDataset, "manuals")
		if err != nil || got.ID != ds.ID || got.Version != 2 {
			t.Errorf("moved asset = %+v, %v; want id %s version 2", got, err, ds.ID)
		}
		_, err = tx.GetAssetByName(from.ID, forj.KindDataset, "manuals")
		wantCode(t, err, forj.ENotFound)
		for _, c := range []struct {
			ws   string
			want int
		}{{from.ID, 0}, {to.ID, 1}} {
			n, err := tx.CountAssets(c.ws)
			if err != nil || n != c.want {
				t.Errorf("CountAssets(%s) = %d, %v; want %d", c.ws, n, err, c.want)
			}
		}
		docs, err := tx.ListDocuments(ds.ID)
		if err != nil || len(docs) != 1 || docs[0].Name != "guide.txt" {
			t.Errorf("documents after the move = %+v, %v", docs, err)
		}
		return nil
	})
	d := e.getDocument(ds.ID, "guide.txt")
	if got := e.readBlob(d.BlobID); !bytes.Equal(got, data) {
		t.Errorf("document after the move reads %q, want %q", got, data)
	}
}

func (e *env) getDocument(assetID, name string) *forj.Document {
	e.t.Helper()
	var d *forj.Document
	e.view(func(tx forj.Tx) error {
		var err error
		d, err = tx.GetDocument(assetID, name)
		return err
	})
	return d
}

// Every filter, alone and together, applies across pages.
func testAssetFilter(t *testing.T, e *env) {
	w1, w2, w3 := e.workspace("w1"), e.workspace("w2"), e.workspace("w3")
	prod := map[string]string{"env": "prod", "team": "a"}
	dev := map[string]string{"env": "dev", "team": "a"}
	src := e.asset(w1.ID, forj.KindFlow, "b", prod)
	var all []*forj.Asset
	all = append(all, src,
		e.asset(w1.ID, forj.KindFlow, "a", dev),
		e.asset(w1.ID, forj.KindAgent, "a", prod),
		e.asset(w1.ID, forj.KindTool, "c", nil),
		e.asset(w2.ID, forj.KindFlow, "a", prod),
		e.asset(w2.ID, forj.KindFlow, "d", map[string]string{"env": "prod"}),
		e.asset(w3.ID, forj.KindFlow, "a", nil))
	copy1 := &forj.Asset{WorkspaceID: w2.ID, Kind: forj.KindFlow, Name: "b", Origin: src.ID, Labels: prod}
	copy2 := &forj.Asset{WorkspaceID: w3.ID, Kind: forj.KindFlow, Name: "b-2", Origin: src.ID}
	e.update(func(tx forj.Tx) error {
		if err := tx.CreateAsset(copy1); err != nil {
			return err
		}
		return tx.CreateAsset(copy2)
	})
	all = append(all, copy1, copy2)
	// The list order: kind, then name, then id (names repeat across workspaces).
	slices.SortFunc(all, func(a, b *forj.Asset) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	idsOf := func(as ...*forj.Asset) []string {
		return ids(as, func(a *forj.Asset) string { return a.ID })
	}
	labelled := func(want map[string]string) func(*forj.Asset) bool {
		return func(a *forj.Asset) bool {
			for k, v := range want {
				if got, ok := a.Labels[k]; !ok || got != v {
					return false
				}
			}
			return true
		}
	}
	cases := []struct {
		name string
		f    forj.AssetFilter
		want func(*forj.Asset) bool
	}{
		{"all", forj.AssetFilter{}, func(*forj.Asset) bool { return true }},
		{"workspace", forj.AssetFilter{WorkspaceID: w1.ID}, func(a *forj.Asset) bool { return a.WorkspaceID == w1.ID }},
		{"workspaces", forj.AssetFilter{WorkspaceIDs: []string{w2.ID, w3.ID}}, func(a *forj.Asset) bool { return a.WorkspaceID != w1.ID }},
		{"one of workspaces", forj.AssetFilter{WorkspaceIDs: []string{w3.ID}}, func(a *forj.Asset) bool { return a.WorkspaceID == w3.ID }},
		{"no workspaces", forj.AssetFilter{WorkspaceIDs: []string{}}, func(*forj.Asset) bool { return false }},
		{"workspace and workspaces", forj.AssetFilter{WorkspaceID: w1.ID, WorkspaceIDs: []string{w2.ID}}, func(*forj.Asset) bool { return false }},
		{"kind", forj.AssetFilter{Kind: forj.KindAgent}, func(a *forj.Asset) bool { return a.Kind == forj.KindAgent }},
		{"flows", forj.AssetFilter{Kind: forj.KindFlow}, func(a *forj.Asset) bool { return a.Kind == forj.KindFlow }},
		{"workspace and kind", forj.AssetFilter{WorkspaceID: w2.ID, Kind: forj.KindFlow},
			func(a *forj.Asset) bool { return a.WorkspaceID == w2.ID && a.Kind == forj.KindFlow }},
		{"name", forj.AssetFilter{Name: "a"}, func(a *forj.Asset) bool { return a.Name == "a" }},
		{"kind and name", forj.AssetFilter{Kind: forj.KindFlow, Name: "a"}, func(a *forj.Asset) bool { return a.Kind == forj.KindFlow && a.Name == "a" }},
		{"ids", forj.AssetFilter{IDs: idsOf(all[0], all[3], all[8])}, func(a *forj.Asset) bool { return slices.Contains(idsOf(all[0], all[3], all[8]), a.ID) }},
		{"one id", forj.AssetFilter{IDs: idsOf(all[4])}, func(a *forj.Asset) bool { return a == all[4] }},
		{"no ids", forj.AssetFilter{IDs: []string{}}, func(*forj.Asset) bool { return false }},
		{"unknown id", forj.AssetFilter{IDs: []string{"ast_missing"}}, func(*forj.Asset) bool { return false }},
		{"origin", forj.AssetFilter{Origins: []string{src.ID}}, func(a *forj.Asset) bool { return a.Origin == src.ID }},
		{"origin in a workspace", forj.AssetFilter{WorkspaceID: w3.ID, Origins: []string{src.ID}}, func(a *forj.Asset) bool { return a == copy2 }},
		{"origins", forj.AssetFilter{Origins: []string{"ast_other", src.ID}}, func(a *forj.Asset) bool { return a.Origin == src.ID }},
		{"no origins", forj.AssetFilter{Origins: []string{}}, func(*forj.Asset) bool { return false }},
		{"label", forj.AssetFilter{Labels: map[string]string{"env": "prod"}}, labelled(map[string]string{"env": "prod"})},
		{"labels", forj.AssetFilter{Labels: prod}, labelled(prod)},
		{"label value differs", forj.AssetFilter{Labels: map[string]string{"env": "staging"}}, func(*forj.Asset) bool { return false }},
		{"label key missing", forj.AssetFilter{Labels: map[string]string{"nope": ""}}, func(*forj.Asset) bool { return false }},
		{"everything", forj.AssetFilter{WorkspaceIDs: []string{w1.ID, w2.ID}, Kind: forj.KindFlow, Name: "b",
			Origins: []string{src.ID}, IDs: idsOf(copy1, src), Labels: map[string]string{"team": "a"}},
			func(a *forj.Asset) bool { return a == copy1 }},
	}
	e.view(func(tx forj.Tx) error {
		for _, c := range cases {
			var want []string
			for _, a := range all {
				if c.want(a) {
					want = append(want, a.ID)
				}
			}
			got := collect(t, "assets "+c.name, func(cursor string) ([]forj.Asset, string, error) {
				f := c.f
				f.Cursor, f.Limit = cursor, 2
				return tx.ListAssets(f)
			})
			eqStrings(t, "assets "+c.name, assetIDs(got), want)
			one, next, err := tx.ListAssets(c.f)
			if err != nil || next != "" {
				t.Errorf("assets %s in one page: cursor %q, %v", c.name, next, err)
			}
			eqStrings(t, "assets "+c.name+" in one page", assetIDs(one), want)
		}
		if n := len(all); n < 7 {
			t.Fatalf("only %d assets: paging by 2 must cross at least 3 pages", n)
		}
		for _, c := range []string{"!!!", forj.EncodeCursor("no separators"), forj.EncodeCursor("a\x00b")} {
			_, _, err := tx.ListAssets(forj.AssetFilter{Cursor: c})
			wantCode(t, err, forj.EInvalid)
		}
		return nil
	})

	// The cursor is a position, not an offset: assets created or deleted before it do not
	// shift the next page.
	var next string
	e.view(func(tx forj.Tx) error {
		_, c, err := tx.ListAssets(forj.AssetFilter{Limit: 3})
		next = c
		return err
	})
	e.update(func(tx forj.Tx) error {
		if err := tx.DeleteAsset(all[0].ID); err != nil {
			return err
		}
		return tx.CreateAsset(&forj.Asset{WorkspaceID: w1.ID, Kind: forj.KindAgent, Name: "0"}) // sorts first
	})
	e.view(func(tx forj.Tx) error {
		rest := collect(t, "assets after changes", func(cursor string) ([]forj.Asset, string, error) {
			if cursor == "" {
				cursor = next
			}
			return tx.ListAssets(forj.AssetFilter{Cursor: cursor, Limit: 2})
		})
		eqStrings(t, "assets after the first page", assetIDs(rest), idsOf(all[3:]...))
		return nil
	})
}

func testAssetCascade(t *testing.T, e *env) {
	ws, keep := e.workspace("gone"), e.workspace("keep")
	ds := e.asset(ws.ID, forj.KindDataset, "d", nil)
	e.asset(ws.ID, forj.KindFlow, "f", nil)
	kept := e.asset(keep.ID, forj.KindDataset, "d", nil)
	blob := e.blob([]byte("shared"), 1<<20)
	e.document(ds.ID, "a.txt", blob, 6)
	e.document(kept.ID, "a.txt", blob, 6)

	// Deleting an asset deletes its documents, not its blobs.
	other := e.asset(ws.ID, forj.KindDataset, "other", nil)
	e.document(other.ID, "x.txt", blob, 6)
	e.update(func(tx forj.Tx) error { return tx.DeleteAsset(other.ID) })
	e.view(func(tx forj.Tx) error {
		docs, err := tx.ListDocuments(other.ID)
		if err != nil || len(docs) != 0 {
			t.Errorf("documents of a deleted asset = %+v, %v", docs, err)
		}
		_, err = tx.GetDocument(other.ID, "x.txt")
		wantCode(t, err, forj.ENotFound)
		return nil
	})

	// Deleting a workspace deletes its assets and their documents.
	e.update(func(tx forj.Tx) error { return tx.DeleteWorkspace(ws.ID) })
	e.view(func(tx forj.Tx) error {
		_, err := tx.GetAsset(ds.ID)
		wantCode(t, err, forj.ENotFound)
		n, err := tx.CountAssets(ws.ID)
		if err != nil || n != 0 {
			t.Errorf("assets of a deleted workspace: %d, %v", n, err)
		}
		docs, err := tx.ListDocuments(ds.ID)
		if err != nil || len(docs) != 0 {
			t.Errorf("documents of a deleted workspace's dataset = %+v, %v", docs, err)
		}
		if n, err := tx.CountAssets(""); err != nil || n != 1 {
			t.Errorf("CountAssets(all) = %d, %v; want 1", n, err)
		}
		return nil
	})
	// The other workspace's document still reads its (shared) blob.
	if got := e.readBlob(e.getDocument(kept.ID, "a.txt").BlobID); string(got) != "shared" {
		t.Errorf("shared blob after the cascade reads %q", got)
	}
}

func testDocuments(t *testing.T, e *env) {
	ws := e.workspace("w")
	ds := e.asset(ws.ID, forj.KindDataset, "d", nil)
	copied := e.asset(ws.ID, forj.KindDataset, "copy", nil)
	now := e.clock.Now()
	v1 := e.blob([]byte("version one"), 4)
	d := e.document(ds.ID, "notes.txt", v1, 11)
	sameTime(t, "CreatedAt", d.CreatedAt, now)
	sameTime(t, "UpdatedAt", d.UpdatedAt, now)
	e.document(ds.ID, "a.txt", v1, 11)
	e.document(ds.ID, "b.txt", e.blob(nil, 4), 0) // an empty document

	e.view(func(tx forj.Tx) error {
		got, err := tx.GetDocument(ds.ID, "notes.txt")
		if err != nil {
			return err
		}
		if got.AssetID != ds.ID || got.Name != "notes.txt" || got.BlobID != v1 || got.Size != 11 || got.SHA256 != "sum-11" {
			t.Errorf("GetDocument = %+v", got)
		}
		sameTime(t, "stored CreatedAt", got.CreatedAt, now)
		docs, err := tx.ListDocuments(ds.ID)
		eqStrings(t, "ListDocuments", docNames(docs), []string{"a.txt", "b.txt", "notes.txt"})
		if err != nil {
			return err
		}
		_, err = tx.GetDocument(ds.ID, "missing.txt")
		wantCode(t, err, forj.ENotFound, "missing.txt")
		return nil
	})
	if got := e.readBlob(e.getDocument(ds.ID, "b.txt").BlobID); len(got) != 0 {
		t.Errorf("empty document reads %q", got)
	}

	// Putting a document again replaces its blob and keeps its CreatedAt.
	later := e.clock.Advance(time.Hour)
	v2 := e.blob([]byte("v2"), 4)
	d2 := &forj.Document{AssetID: ds.ID, Name: "notes.txt", BlobID: v2, Size: 2, SHA256: "sum-2"}
	e.update(func(tx forj.Tx) error { return tx.PutDocument(d2) })
	sameTime(t, "replaced CreatedAt", d2.CreatedAt, now)
	sameTime(t, "replaced UpdatedAt", d2.UpdatedAt, later)
	got := e.getDocument(ds.ID, "notes.txt")
	if got.BlobID != v2 || got.Size != 2 || got.SHA256 != "sum-2" {
		t.Errorf("replaced document = %+v", got)
	}
	sameTime(t, "stored replaced CreatedAt", got.CreatedAt, now)
	sameTime(t, "stored replaced UpdatedAt", got.UpdatedAt, later)
	if b := e.readBlob(got.BlobID); string(b) != "v2" {
		t.Errorf("replaced document reads %q", b)
	}

	// A copy shares the blob; deleting one document leaves the other readable.
	e.document(copied.ID, "notes.txt", v2, 2)
	e.update(func(tx forj.Tx) error { return tx.DeleteDocument(ds.ID, "notes.txt") })
	err := e.updateErr(func(tx forj.Tx) error { return tx.DeleteDocument(ds.ID, "notes.txt") })
	wantCode(t, err, forj.ENotFound, "notes.txt")
	if b := e.readBlob(e.getDocument(copied.ID, "notes.txt").BlobID); string(b) != "v2" {
		t.Errorf("shared blob after deleting the other document reads %q", b)
	}

	// Missing asset or blob.
	err = e.updateErr(func(tx forj.Tx) error {
		return tx.PutDocument(&forj.Document{AssetID: "ast_missing", Name: "x", BlobID: v2, Size: 2})
	})
	wantCode(t, err, forj.ENotFound, "ast_missing")
	err = e.updateErr(func(tx forj.Tx) error {
		return tx.PutDocument(&forj.Document{AssetID: ds.ID, Name: "x", BlobID: "blb_missing", Size: 2})
	})
	wantCode(t, err, forj.ENotFound, "blb_missing")
	e.view(func(tx forj.Tx) error {
		docs, err := tx.ListDocuments("ast_missing")
		if err != nil || len(docs) != 0 {
			t.Errorf("ListDocuments of a missing asset = %+v, %v", docs, err)
		}
		return nil
	})
}

func testBlobs(t *testing.T, e *env) {
	// Several chunks, each in its own transaction, read back one per View.
	data := make([]byte, 10_000)
	for i := range data {
		data[i] = byte(i * 7 % 251)
	}
	id := e.blob(data, 3000)
	if got := e.readBlob(id); !bytes.Equal(got, data) {
		t.Fatalf("blob reads %d bytes, want the %d written", len(got), len(data))
	}
	e.view(func(tx forj.Tx) error {
		c, err := tx.BlobChunk(id, 3)
		if err != nil || len(c) != 1000 {
			t.Errorf("last chunk: %d bytes, %v; want 1000", len(c), err)
		}
		_, err = tx.BlobChunk(id, 4)
		wantCode(t, err, forj.ENotFound)
		_, err = tx.BlobChunk("blb_missing", 0)
		wantCode(t, err, forj.ENotFound)
		return nil
	})

	// A complete blob does not change.
	err := e.updateErr(func(tx forj.Tx) error { return tx.PutBlobChunk(id, 4, []byte("more")) })
	wantCode(t, err, forj.EConflict, id)
	err = e.updateErr(func(tx forj.Tx) error { return tx.CompleteBlob(id, 10_000, "again") })
	wantCode(t, err, forj.EConflict, id)
	err = e.updateErr(func(tx forj.Tx) error { return tx.CreateBlob(id) })
	wantCode(t, err, forj.EConflict, id)

	// Missing blobs; chunks written twice; chunks that do not add up.
	err = e.updateErr(func(tx forj.Tx) error { return tx.PutBlobChunk("blb_missing", 0, []byte("x")) })
	wantCode(t, err, forj.ENotFound, "blb_missing")
	err = e.updateErr(func(tx forj.Tx) error { return tx.CompleteBlob("blb_missing", 0, "") })
	wantCode(t, err, forj.ENotFound, "blb_missing")
	open := forj.NewID(forj.PrefixBlob)
	e.update(func(tx forj.Tx) error {
		if err := tx.CreateBlob(open); err != nil {
			return err
		}
		return tx.PutBlobChunk(open, 0, []byte("abc"))
	})
	err = e.updateErr(func(tx forj.Tx) error { return tx.PutBlobChunk(open, 0, []byte("abc")) })
	wantCode(t, err, forj.EConflict)
	err = e.updateErr(func(tx forj.Tx) error { return tx.CompleteBlob(open, 4, "") })
	wantCode(t, err, forj.EInvalid)
	e.update(func(tx forj.Tx) error { return tx.PutBlobChunk(open, 2, []byte("gap")) })
	err = e.updateErr(func(tx forj.Tx) error { return tx.CompleteBlob(open, 6, "") })
	wantCode(t, err, forj.EInvalid)
	e.update(func(tx forj.Tx) error { return tx.PutBlobChunk(open, 1, []byte("no ")) })
	e.update(func(tx forj.Tx) error { return tx.CompleteBlob(open, 9, "sum") })
	if got := e.readBlob(open); string(got) != "abcno gap" {
		t.Errorf("blob written out of order reads %q", got)
	}
}

func testOrphanBlobs(t *testing.T, e *env) {
	ws := e.workspace("w")
	ds := e.asset(ws.ID, forj.KindDataset, "d", nil)
	referenced := e.blob([]byte("kept"), 2)
	e.document(ds.ID, "kept.txt", referenced, 4)
	replaced := e.blob([]byte("old"), 2)
	e.document(ds.ID, "replaced.txt", replaced, 3)
	e.document(ds.ID, "replaced.txt", e.blob([]byte("new"), 2), 3)
	orphan := e.blob([]byte("orphan"), 2)
	unfinished := forj.NewID(forj.PrefixBlob)
	e.update(func(tx forj.Tx) error {
		if err := tx.CreateBlob(unfinished); err != nil {
			return err
		}
		return tx.PutBlobChunk(unfinished, 0, []byte("half"))
	})
	cutoff := e.clock.Advance(time.Hour)
	young := e.blob([]byte("young"), 2) // created at the cutoff: not before it

	var n int
	e.update(func(tx forj.Tx) error {
		var err error
		n, err = tx.DeleteOrphanBlobs(cutoff)
		return err
	})
	if n != 3 {
		t.Errorf("DeleteOrphanBlobs removed %d blobs, want 3 (replaced, orphan, unfinished)", n)
	}
	e.view(func(tx forj.Tx) error {
		for _, id := range []string{replaced, orphan, unfinished} {
			_, err := tx.BlobChunk(id, 0)
			wantCode(t, err, forj.ENotFound)
		}
		return nil
	})
	if got := e.readBlob(referenced); string(got) != "kept" {
		t.Errorf("referenced blob reads %q", got)
	}
	if got := e.readBlob(young); string(got) != "young" {
		t.Errorf("young blob reads %q", got)
	}
	// A removed orphan cannot be referenced any more; a second run finds nothing.
	err := e.updateErr(func(tx forj.Tx) error {
		return tx.PutDocument(&forj.Document{AssetID: ds.ID, Name: "late.txt", BlobID: orphan, Size: 6})
	})
	wantCode(t, err, forj.ENotFound, orphan)
	e.update(func(tx forj.Tx) error {
		var err error
		n, err = tx.DeleteOrphanBlobs(cutoff)
		return err
	})
	if n != 0 {
		t.Errorf("second DeleteOrphanBlobs removed %d", n)
	}
}

// A rolled-back Update leaves no asset, document or blob behind.
func testAssetRollback(t *testing.T, e *env) {
	ws := e.workspace("w")
	keep := e.asset(ws.ID, forj.KindFlow, "keep", nil)
	boom := errors.New("boom")
	ghost := &forj.Asset{WorkspaceID: ws.ID, Kind: forj.KindDataset, Name: "ghost"}
	blob := forj.NewID(forj.PrefixBlob)
	err := e.updateErr(func(tx forj.Tx) error {
		if err := tx.CreateAsset(ghost); err != nil {
			return err
		}
		if err := tx.CreateBlob(blob); err != nil {
			return err
		}
		if err := tx.PutBlobChunk(blob, 0, []byte("x")); err != nil {
			return err
		}
		if err := tx.CompleteBlob(blob, 1, "s"); err != nil {
			return err
		}
		if err := tx.PutDocument(&forj.Document{AssetID: ghost.ID, Name: "x", BlobID: blob, Size: 1}); err != nil {
			return err
		}
		keep.Description = "changed"
		if err := tx.UpdateAsset(keep); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	e.view(func(tx forj.Tx) error {
		_, err := tx.GetAsset(ghost.ID)
		wantCode(t, err, forj.ENotFound)
		_, err = tx.GetAssetByName(ws.ID, forj.KindDataset, "ghost")
		wantCode(t, err, forj.ENotFound)
		_, err = tx.BlobChunk(blob, 0)
		wantCode(t, err, forj.ENotFound)
		got, err := tx.GetAsset(keep.ID)
		if err != nil || got.Version != 1 || got.Description != "" {
			t.Errorf("asset after a rolled-back update = %+v, %v", got, err)
		}
		n, err := tx.CountAssets(ws.ID)
		if err != nil || n != 1 {
			t.Errorf("CountAssets = %d, %v; want 1", n, err)
		}
		return nil
	})
}

// Many assets in one transaction, as a transfer or an import does it, then paged through.
func testManyAssets(t *testing.T, e *env) {
	from, to := e.workspace("from"), e.workspace("to")
	const n = 600
	var idList []string
	e.update(func(tx forj.Tx) error {
		for i := range n {
			a := &forj.Asset{WorkspaceID: from.ID, Kind: forj.Kinds()[i%len(forj.Kinds())].Name,
				Name: fmt.Sprintf("asset-%04d", i), Labels: map[string]string{"batch": "1"}}
			if err := tx.CreateAsset(a); err != nil {
				return err
			}
			idList = append(idList, a.ID)
		}
		return nil
	})
	// Move them all in one transaction.
	e.update(func(tx forj.Tx) error {
		for _, id := range idList {
			a, err := tx.GetAsset(id)
			if err != nil {
				return err
			}
			if _, err := tx.GetAssetByName(to.ID, a.Kind, a.Name); !forj.IsNotFound(err) {
				return fmt.Errorf("GetAssetByName in the target: %v", err)
			}
			a.WorkspaceID = to.ID
			if err := tx.UpdateAsset(a); err != nil {
				return err
			}
		}
		return nil
	})
	e.view(func(tx forj.Tx) error {
		all := collectAll(t, func(cursor string) ([]forj.Asset, string, error) {
			return tx.ListAssets(forj.AssetFilter{WorkspaceID: to.ID, Labels: map[string]string{"batch": "1"}, Cursor: cursor, Limit: forj.MaxLimit / 2})
		})
		if len(all) != n {
			t.Errorf("%d assets listed, want %d", len(all), n)
		}
		if !slices.IsSortedFunc(all, func(a, b forj.Asset) int {
			return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
		}) {
			t.Error("assets not sorted by kind and name")
		}
		flows := collectAll(t, func(cursor string) ([]forj.Asset, string, error) {
			return tx.ListAssets(forj.AssetFilter{WorkspaceID: to.ID, Kind: forj.KindFlow, Cursor: cursor, Limit: 30})
		})
		if len(flows) != n/len(forj.Kinds()) {
			t.Errorf("%d flows listed, want %d", len(flows), n/len(forj.Kinds()))
		}
		got, _, err := tx.ListAssets(forj.AssetFilter{IDs: idList, Limit: forj.MaxLimit})
		if err != nil || len(got) != forj.MaxLimit {
			t.Errorf("ListAssets by %d ids = %d, %v", len(idList), len(got), err)
		}
		return nil
	})
}
