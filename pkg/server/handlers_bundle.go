package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"

	"github.com/forjinn/forjctl/pkg/authz"
	"github.com/forjinn/forjctl/pkg/bundle"
	"github.com/forjinn/forjctl/pkg/forj"
)

// Export streams a workspace's assets as a bundle (pkg/bundle, docs/bundle-format.md).
// Import reads a bundle as it arrives: documents go into new blobs chunk by chunk, asset
// files are kept (they are small); once the whole bundle is known to be valid, the plan is
// made and applied in ONE transaction, or not at all (any failed item, or --dry-run, rolls
// it back). Re-importing the same bundle finds every asset by kind and name and answers
// "unchanged"; a changed one is "updated" under --on-conflict overwrite.

// minPassphrase is the shortest bundle passphrase accepted.
const minPassphrase = 8

func bundlePassphrase(c *call) ([]byte, error) {
	p := c.r.Header.Get(forj.BundlePassphraseHeader)
	if p != "" && len(p) < minPassphrase {
		return nil, forj.Errorf(forj.EInvalid, "the bundle passphrase is shorter than %d characters", minPassphrase)
	}
	return []byte(p), nil
}

func (s *Server) exportWorkspace(c *call) error {
	wsID := c.r.PathValue("id")
	includeSecrets := c.r.URL.Query().Get("includeSecrets") == "true"
	pass, err := bundlePassphrase(c)
	if err != nil {
		return err
	}
	var sealer *bundle.Sealer
	var enc *bundle.Encryption
	if includeSecrets {
		if c.subj.Decide(authz.AssetWrite, wsID) != authz.Allow {
			return c.deny(authz.Forbidden, wsID, forj.Errorf(forj.EForbidden, "exporting secrets needs %s in the workspace", authz.AssetWrite))
		}
		if len(pass) == 0 {
			return forj.Errorf(forj.EInvalid, "includeSecrets needs a passphrase in the %s header", forj.BundlePassphraseHeader).
				WithHint("forjctl export --include-secrets --passphrase-file FILE")
		}
		if sealer, enc, err = bundle.NewSealer(pass); err != nil {
			return err
		}
	}
	// Each asset is encoded as it is listed: the export holds its assets' bytes, not the
	// assets themselves (pkg/bundle's Preparer).
	var prep bundle.Preparer
	var info bundle.WorkspaceInfo
	assets := 0
	blobs := map[string]*forj.Document{} // "dataset/doc" → document
	err = s.store.View(c.ctx(), func(tx forj.Tx) error {
		ws, err := tx.GetWorkspace(wsID)
		if err != nil {
			return err
		}
		info = bundle.WorkspaceInfo{ID: ws.ID, Name: ws.Name, Description: ws.Description, Environment: ws.Environment}
		cursor := ""
		for {
			page, next, err := tx.ListAssets(forj.AssetFilter{WorkspaceID: wsID, Cursor: cursor, Limit: forj.MaxLimit})
			if err != nil {
				return err
			}
			for _, a := range page {
				f := bundle.AssetFile{Kind: a.Kind, Name: a.Name, Description: a.Description, Labels: a.Labels, Spec: a.Spec}
				if k, _ := forj.LookupKind(a.Kind); k.Document {
					docs, err := tx.ListDocuments(a.ID)
					if err != nil {
						return err
					}
					f.Documents = []bundle.DocumentRef{}
					for i := range docs {
						d := docs[i]
						f.Documents = append(f.Documents, bundle.DocumentRef{Name: d.Name, Size: d.Size, SHA256: d.SHA256})
						blobs[a.Name+"/"+d.Name] = &d
					}
				}
				if a.HasSecret {
					f.Secret = &bundle.SecretField{Stub: true}
					if sealer != nil {
						sealed, err := tx.GetAssetSecret(a.ID)
						if err != nil {
							return err
						}
						plain, err := s.openSecret(a.ID, sealed)
						if err != nil {
							return err
						}
						f.Secret = &bundle.SecretField{Sealed: sealer.Seal(plain, bundle.SecretAAD(a.Kind, a.Name))}
					}
				}
				if err := prep.Add(&f); err != nil {
					return err
				}
				assets++
			}
			if next == "" {
				return nil
			}
			cursor = next
		}
	})
	if err != nil {
		return err
	}
	openDocument := func(dataset, name string) (io.ReadCloser, error) {
		d := blobs[dataset+"/"+name]
		if d == nil {
			return nil, forj.Errorf(forj.EInternal, "document %s/%s vanished", dataset, name)
		}
		return &blobReader{s: s, ctx: c.ctx(), doc: d}, nil
	}
	// Everything but the documents' bytes is checked before the status goes out: a
	// workspace too large for a bundle is an error answer, not a stream the reader refuses.
	prepared, err := prep.Finish(info, enc, openDocument)
	if err != nil {
		return err
	}
	s.appendAudit(c.ctx(), c.event("asset.export", wsID, "workspace", wsID, map[string]any{"assets": assets, "includeSecrets": includeSecrets}))
	h := c.w.Header()
	h.Set("Content-Type", "application/gzip")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": info.Name + ".forj.tar.gz"}))
	c.w.WriteHeader(http.StatusOK)
	if err := prepared.Write(c.w); err != nil {
		// The status is sent: abort the connection so the client sees a broken stream, not
		// a complete-looking bundle.
		s.logError(c, "export cut short", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// blobReader streams a document's blob one chunk (one read transaction) at a time.
type blobReader struct {
	s    *Server
	ctx  context.Context
	doc  *forj.Document
	seq  int
	buf  []byte
	read int64
}

func (b *blobReader) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.read >= b.doc.Size {
			return 0, io.EOF
		}
		err := b.s.store.View(b.ctx, func(tx forj.Tx) error {
			var err error
			b.buf, err = tx.BlobChunk(b.doc.BlobID, b.seq)
			return err
		})
		if err != nil {
			return 0, err
		}
		if len(b.buf) == 0 {
			return 0, io.ErrUnexpectedEOF
		}
		b.seq++
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	b.read += int64(n)
	return n, nil
}

func (b *blobReader) Close() error { return nil }

// importHandler receives a bundle as pkg/bundle reads it.
type importHandler struct {
	s      *Server
	c      *call
	dryRun bool
	man    *bundle.Manifest
	assets []*bundle.AssetFile
	blobs  map[string]string // "dataset/doc" → blob id (not on a dry run)
	docs   int
	bytes  int64
	// dryBlob: the dry run's placeholder blob exists in the transaction.
	dryBlob bool
}

func (h *importHandler) Manifest(m *bundle.Manifest) error { h.man = m; return nil }

func (h *importHandler) Asset(a *bundle.AssetFile) error {
	h.assets = append(h.assets, a)
	return nil
}

func (h *importHandler) Document(dataset string, ref bundle.DocumentRef, r io.Reader) error {
	h.docs++
	h.bytes += ref.Size
	if h.dryRun {
		_, err := io.Copy(io.Discard, r) // the reader checks size and sha256
		return err
	}
	id, size, err := h.s.writeBlob(h.c, r)
	if err != nil {
		return err
	}
	// r ended without an error, so the reader found ref's size and sha256 in the bytes.
	if size != ref.Size {
		return fmt.Errorf("document %s/%s: stored %d bytes, the manifest says %d", dataset, ref.Name, size, ref.Size)
	}
	if err := h.s.store.Update(h.c.ctx(), func(tx forj.Tx) error { return tx.CompleteBlob(id, size, ref.SHA256) }); err != nil {
		return err
	}
	h.blobs[dataset+"/"+ref.Name] = id
	return nil
}

// errImportFailed rolls an import back when an item failed.
var errImportFailed = errors.New("import failed")

func (s *Server) importWorkspace(c *call) error {
	wsID := c.r.PathValue("id")
	q := c.r.URL.Query()
	onConflict := q.Get("onConflict")
	if onConflict == "" {
		onConflict = forj.OnConflictFail
	}
	if !forj.ValidOnConflict(onConflict) {
		return forj.Errorf(forj.EInvalid, "onConflict %q: want fail, skip, rename or overwrite", onConflict)
	}
	dryRun := q.Get("dryRun") == "true"
	pass, err := bundlePassphrase(c)
	if err != nil {
		return err
	}
	c.bodyRead = true // streamed
	h := &importHandler{s: s, c: c, dryRun: dryRun, blobs: map[string]string{}}
	lim := bundle.DefaultLimits()
	if _, err := bundle.Read(c.r.Body, lim, h); err != nil {
		var es bundle.Errors
		var be *bundle.Error
		switch {
		case errors.As(err, &es):
			return es.ForjError()
		case errors.As(err, &be):
			return bundle.Errors{be}.ForjError()
		}
		if forj.ErrorCode(err) != forj.EInternal {
			return err
		}
		return forj.Errorf(forj.EInvalid, "reading the bundle: %v", err)
	}
	var sealer *bundle.Sealer
	for _, a := range h.assets {
		if a.Secret != nil && a.Secret.Sealed != nil && sealer == nil {
			if h.man.Encryption == nil {
				return forj.Errorf(forj.EInvalid, "bundle entry %q: a sealed secret but no encryption block in the manifest", bundle.AssetPath(a.Kind, a.Name))
			}
			if len(pass) == 0 {
				return forj.Errorf(forj.EInvalid, "the bundle holds sealed secrets: a passphrase is needed").
					WithHint("forjctl import --passphrase-file FILE")
			}
			if sealer, err = bundle.OpenSealer(pass, h.man.Encryption); err != nil {
				return forj.Errorf(forj.EInvalid, "%v", err)
			}
		}
	}
	sort.Slice(h.assets, func(i, j int) bool {
		return bundle.AssetPath(h.assets[i].Kind, h.assets[i].Name) < bundle.AssetPath(h.assets[j].Kind, h.assets[j].Name)
	})
	resp := &forj.ImportResponse{WorkspaceID: wsID, DryRun: dryRun, Items: []forj.ImportItem{}, Summary: map[string]int{}, Documents: h.docs, Bytes: h.bytes}
	err = s.store.Update(c.ctx(), func(tx forj.Tx) error {
		failedN := 0
		for _, f := range h.assets {
			it, err := h.apply(tx, wsID, onConflict, sealer, f)
			if err != nil {
				return err
			}
			if it.Result == forj.ItemFailed {
				failedN++
			}
			resp.Items = append(resp.Items, it)
			resp.Summary[it.Result]++
		}
		if failedN > 0 {
			return errImportFailed
		}
		if dryRun {
			return errDryRun
		}
		return tx.AppendAudit(c.event("asset.import", wsID, "workspace", wsID, map[string]any{
			"source": h.man.Workspace.ID, "summary": resp.Summary, "documents": h.docs}))
	})
	switch {
	case errors.Is(err, errImportFailed):
		e := forj.Errorf(forj.EConflict, "%d asset(s) of the bundle conflict with the workspace; nothing was imported", resp.Summary[forj.ItemFailed]).
			WithHint("choose --on-conflict skip, rename or overwrite, or see the plan with --dry-run")
		for _, it := range resp.Items {
			if it.Error != nil {
				e.Details = append(e.Details, bundle.AssetPath(it.Kind, it.Name)+": "+it.Error.Message)
			}
		}
		return e
	case err != nil && !errors.Is(err, errDryRun):
		return err
	}
	return s.writeJSON(c.w, http.StatusOK, resp)
}

// apply imports one asset file inside the import's transaction.
func (h *importHandler) apply(tx forj.Tx, wsID, onConflict string, sealer *bundle.Sealer, f *bundle.AssetFile) (forj.ImportItem, error) {
	it := forj.ImportItem{Kind: f.Kind, Name: f.Name}
	var spec bytes.Buffer
	if err := json.Compact(&spec, f.Spec); err != nil {
		return it, err
	}
	var secret []byte
	if f.Secret != nil && f.Secret.Sealed != nil {
		plain, err := sealer.Open(f.Secret.Sealed, bundle.SecretAAD(f.Kind, f.Name))
		if err != nil {
			it.Result, it.Error = forj.ItemFailed, forj.Errorf(forj.EInvalid, "the secret does not open: %v", err)
			return it, nil
		}
		secret = plain
	}
	name := f.Name
	existing, err := tx.GetAssetByName(wsID, f.Kind, f.Name)
	switch {
	case forj.IsNotFound(err):
		existing, it.Result = nil, forj.ItemCreated
	case err != nil:
		return it, err
	default:
		it.ID = existing.ID
		same, err := h.sameAsset(tx, existing, f, spec.Bytes(), secret)
		if err != nil {
			return it, err
		}
		if same {
			it.Result = forj.ItemUnchanged
			return it, nil
		}
		switch onConflict {
		case forj.OnConflictFail:
			it.Result, it.Error = forj.ItemFailed, forj.Errorf(forj.EConflict, "a different %s named %q exists", f.Kind, f.Name)
			return it, nil
		case forj.OnConflictSkip:
			it.Result = forj.ItemSkipped
			return it, nil
		case forj.OnConflictRename:
			if name, err = freeName(tx, wsID, f.Kind, f.Name); err != nil {
				return it, err
			}
			existing, it.Result, it.NewName, it.ID = nil, forj.ItemRenamed, name, ""
		case forj.OnConflictOverwrite:
			it.Result = forj.ItemUpdated
		}
	}
	labels := f.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	a := existing
	if a == nil {
		a = &forj.Asset{ID: forj.NewID(forj.PrefixAsset), WorkspaceID: wsID, Kind: f.Kind, Name: name, CreatedBy: h.c.user.ID}
	} else if a.Secret, err = tx.GetAssetSecret(a.ID); err != nil {
		return it, err
	}
	a.Description, a.Labels, a.Spec, a.UpdatedBy = f.Description, labels, spec.Bytes(), h.c.user.ID
	if secret != nil {
		a.Secret = h.s.sealSecret(a.ID, secret)
	}
	if existing == nil {
		err = tx.CreateAsset(a)
	} else {
		err = tx.UpdateAsset(a)
	}
	if err != nil {
		return it, err
	}
	it.ID = a.ID
	if k, _ := forj.LookupKind(f.Kind); k.Document {
		if err := h.putDocuments(tx, a.ID, f); err != nil {
			return it, err
		}
	}
	return it, nil
}

// putDocuments makes a dataset's documents those of the bundle.
func (h *importHandler) putDocuments(tx forj.Tx, assetID string, f *bundle.AssetFile) error {
	old, err := tx.ListDocuments(assetID)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, ref := range f.Documents {
		keep[ref.Name] = true
		blob := h.blobs[f.Name+"/"+ref.Name]
		if h.dryRun {
			// A placeholder the rolled-back transaction creates once and nothing reads.
			blob = "blb_dryrun"
			if !h.dryBlob {
				if err := tx.CreateBlob(blob); err != nil {
					return err
				}
				h.dryBlob = true
			}
		}
		if err := tx.PutDocument(&forj.Document{AssetID: assetID, Name: ref.Name, Size: ref.Size, SHA256: ref.SHA256, BlobID: blob}); err != nil {
			return err
		}
	}
	for _, d := range old {
		if !keep[d.Name] {
			if err := tx.DeleteDocument(assetID, d.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// sameAsset reports whether the workspace's asset already equals the bundle's file.
func (h *importHandler) sameAsset(tx forj.Tx, a *forj.Asset, f *bundle.AssetFile, spec, secret []byte) (bool, error) {
	if a.Description != f.Description || !equalLabels(a.Labels, f.Labels) || !equalJSON(a.Spec, spec) {
		return false, nil
	}
	if secret != nil {
		sealed, err := tx.GetAssetSecret(a.ID)
		if err != nil || sealed == nil {
			return false, err
		}
		plain, err := h.s.openSecret(a.ID, sealed)
		if err != nil || !bytes.Equal(plain, secret) {
			return false, nil
		}
	}
	if k, _ := forj.LookupKind(a.Kind); !k.Document {
		return true, nil
	}
	docs, err := tx.ListDocuments(a.ID)
	if err != nil || len(docs) != len(f.Documents) {
		return false, err
	}
	byName := map[string]string{}
	for _, d := range docs {
		byName[d.Name] = d.SHA256
	}
	for _, ref := range f.Documents {
		if byName[ref.Name] != ref.SHA256 {
			return false, nil
		}
	}
	return true, nil
}

func equalLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// equalJSON compares two JSON documents by value (key order and spacing aside).
func equalJSON(a, b []byte) bool {
	var x, y any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&x) != nil || db.Decode(&y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
