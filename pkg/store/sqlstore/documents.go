package sqlstore

import (
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

// Dataset documents and the blobs that hold their contents. A blob is written in chunks,
// each possibly in its own transaction, then completed; documents point at complete blobs
// and may share one (a copied dataset copies document rows only). Blobs no document
// references are removed by DeleteOrphanBlobs.

const documentCols = `asset_id, name, blob_id, size, sha256, created_at, updated_at`

func scanDocument(s scanner) (forj.Document, error) {
	var d forj.Document
	var created, updated int64
	err := s.Scan(&d.AssetID, &d.Name, &d.BlobID, &d.Size, &d.SHA256, &created, &updated)
	d.CreatedAt, d.UpdatedAt = fromNanos(created), fromNanos(updated)
	return d, err
}

// PutDocument creates or replaces the document (AssetID, Name). CreatedAt and UpdatedAt
// are Now() when zero; a replaced document keeps its CreatedAt, which d is given back.
func (t *Tx) PutDocument(d *forj.Document) error {
	if d.CreatedAt.IsZero() {
		d.CreatedAt = t.now
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = t.now
	}
	var created int64
	err := t.x.Guarded(func() error {
		return t.x.QueryRow(`INSERT INTO documents (`+documentCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (asset_id, name) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size,
			sha256 = excluded.sha256, updated_at = excluded.updated_at
			RETURNING created_at`,
			d.AssetID, d.Name, d.BlobID, d.Size, d.SHA256, nanos(d.CreatedAt), nanos(d.UpdatedAt)).Scan(&created)
	})
	if t.d.ForeignKeyViolation(err) {
		if ok, err := t.exists(`SELECT 1 FROM assets WHERE id = ?`, d.AssetID); err != nil {
			return t.internal("put document", err)
		} else if !ok {
			return forj.Errorf(forj.ENotFound, "asset %s not found", d.AssetID)
		}
		return forj.Errorf(forj.ENotFound, "blob %s not found", d.BlobID)
	}
	if err != nil {
		return t.internal("put document", err)
	}
	d.CreatedAt = fromNanos(created)
	return nil
}

func (t *Tx) GetDocument(assetID, name string) (*forj.Document, error) {
	d, err := scanDocument(t.x.QueryRow(`SELECT `+documentCols+` FROM documents WHERE asset_id = ? AND name = ?`,
		assetID, name))
	if t.d.NoRows(err) {
		return nil, forj.Errorf(forj.ENotFound, "document %q not found in asset %s", name, assetID)
	}
	if err != nil {
		return nil, t.internal("get document", err)
	}
	return &d, nil
}

// ListDocuments returns an asset's documents sorted by name (none for an asset that does
// not exist).
func (t *Tx) ListDocuments(assetID string) ([]forj.Document, error) {
	ds, err := scanAll(t, scanDocument, `SELECT `+documentCols+` FROM documents WHERE asset_id = ? ORDER BY name`, assetID)
	if err != nil {
		return nil, t.internal("list documents", err)
	}
	return ds, nil
}

// DeleteDocument removes the document; its blob stays until DeleteOrphanBlobs.
func (t *Tx) DeleteDocument(assetID, name string) error {
	n, err := t.x.Exec(`DELETE FROM documents WHERE asset_id = ? AND name = ?`, assetID, name)
	if err != nil {
		return t.internal("delete document", err)
	}
	if n == 0 {
		return forj.Errorf(forj.ENotFound, "document %q not found in asset %s", name, assetID)
	}
	return nil
}

// CreateBlob records a blob in progress: no chunks, not complete.
func (t *Tx) CreateBlob(id string) error {
	if id == "" {
		return forj.Errorf(forj.EInvalid, "a blob needs an id")
	}
	_, err := t.x.ExecGuarded(`INSERT INTO blobs (id, size, sha256, complete, created_at) VALUES (?, 0, '', FALSE, ?)`,
		id, nanos(t.now))
	if _, ok := t.d.UniqueViolation(err); ok {
		return forj.Errorf(forj.EConflict, "blob %s already exists", id)
	}
	if err != nil {
		return t.internal("create blob", err)
	}
	return nil
}

// blobState explains why a write to a blob did nothing: the blob is missing, or complete.
func (t *Tx) blobState(op, id string) error {
	var complete bool
	err := t.x.QueryRow(`SELECT complete FROM blobs WHERE id = ?`, id).Scan(&complete)
	switch {
	case t.d.NoRows(err):
		return forj.Errorf(forj.ENotFound, "blob %s not found", id)
	case err != nil:
		return t.internal(op, err)
	}
	return forj.Errorf(forj.EConflict, "blob %s is complete: blobs do not change once written", id)
}

// PutBlobChunk writes chunk seq of a blob that is not complete yet.
func (t *Tx) PutBlobChunk(blobID string, seq int, data []byte) error {
	if seq < 0 {
		return forj.Errorf(forj.EInvalid, "chunk %d: chunks are numbered from 0", seq)
	}
	if data == nil {
		data = []byte{} // an empty chunk, not NULL
	}
	n, err := t.x.ExecGuarded(`INSERT INTO blob_chunks (blob_id, seq, data)
		SELECT id, ?, ? FROM blobs WHERE id = ? AND NOT complete`, seq, data, blobID)
	if _, ok := t.d.UniqueViolation(err); ok {
		return forj.Errorf(forj.EConflict, "chunk %d of blob %s is already written", seq, blobID)
	}
	if err != nil {
		return t.internal("put blob chunk", err)
	}
	if n == 0 {
		return t.blobState("put blob chunk", blobID)
	}
	return nil
}

// CompleteBlob records the size and sha256 of a blob whose chunks are all written: they
// must be numbered 0, 1, … without a gap and hold size bytes in all.
func (t *Tx) CompleteBlob(id string, size int64, sha256 string) error {
	var chunks, last, total int64
	if err := t.x.QueryRow(`SELECT count(*), coalesce(max(seq), -1), CAST(coalesce(sum(length(data)), 0) AS BIGINT)
		FROM blob_chunks WHERE blob_id = ?`, id).Scan(&chunks, &last, &total); err != nil {
		return t.internal("complete blob", err)
	}
	if chunks != last+1 || total != size {
		return forj.Errorf(forj.EInvalid, "blob %s holds %d bytes in %d chunks numbered up to %d, not %d bytes",
			id, total, chunks, last, size)
	}
	n, err := t.x.Exec(`UPDATE blobs SET size = ?, sha256 = ?, complete = TRUE WHERE id = ? AND NOT complete`,
		size, sha256, id)
	if err != nil {
		return t.internal("complete blob", err)
	}
	if n == 0 {
		return t.blobState("complete blob", id)
	}
	return nil
}

// BlobChunk returns chunk seq of a blob.
func (t *Tx) BlobChunk(blobID string, seq int) ([]byte, error) {
	var data []byte
	err := t.x.QueryRow(`SELECT data FROM blob_chunks WHERE blob_id = ? AND seq = ?`, blobID, seq).Scan(&data)
	if t.d.NoRows(err) {
		return nil, forj.Errorf(forj.ENotFound, "blob %s has no chunk %d", blobID, seq)
	}
	if err != nil {
		return nil, t.internal("blob chunk", err)
	}
	return data, nil
}

// DeleteOrphanBlobs removes blobs created before olderThan that no document references,
// complete or not; their chunks go with them (ON DELETE CASCADE).
func (t *Tx) DeleteOrphanBlobs(olderThan time.Time) (int, error) {
	n, err := t.x.Exec(`DELETE FROM blobs WHERE created_at < ?
		AND NOT EXISTS (SELECT 1 FROM documents WHERE documents.blob_id = blobs.id)`, nanos(olderThan))
	if err != nil {
		return 0, t.internal("delete orphan blobs", err)
	}
	return int(n), nil
}
