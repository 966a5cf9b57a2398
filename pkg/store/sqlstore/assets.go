package sqlstore

import (
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

// Assets, documents and blobs: not implemented yet (next change).

func (t *Tx) CreateAsset(a *forj.Asset) error { return t.internal("create asset", errNotImplemented) }
func (t *Tx) GetAsset(id string) (*forj.Asset, error) {
	return nil, t.internal("get asset", errNotImplemented)
}
func (t *Tx) GetAssetByName(workspaceID, kind, name string) (*forj.Asset, error) {
	return nil, t.internal("get asset", errNotImplemented)
}
func (t *Tx) GetAssetSecret(id string) ([]byte, error) {
	return nil, t.internal("get asset secret", errNotImplemented)
}
func (t *Tx) ListAssets(f forj.AssetFilter) ([]forj.Asset, string, error) {
	return nil, "", t.internal("list assets", errNotImplemented)
}
func (t *Tx) UpdateAsset(a *forj.Asset) error { return t.internal("update asset", errNotImplemented) }
func (t *Tx) DeleteAsset(id string) error     { return t.internal("delete asset", errNotImplemented) }
func (t *Tx) CountAssets(workspaceID string) (int, error) {
	return 0, t.internal("count assets", errNotImplemented)
}
func (t *Tx) PutDocument(d *forj.Document) error {
	return t.internal("put document", errNotImplemented)
}
func (t *Tx) GetDocument(assetID, name string) (*forj.Document, error) {
	return nil, t.internal("get document", errNotImplemented)
}
func (t *Tx) ListDocuments(assetID string) ([]forj.Document, error) {
	return nil, t.internal("list documents", errNotImplemented)
}
func (t *Tx) DeleteDocument(assetID, name string) error {
	return t.internal("delete document", errNotImplemented)
}
func (t *Tx) CreateBlob(id string) error { return t.internal("create blob", errNotImplemented) }
func (t *Tx) PutBlobChunk(blobID string, seq int, data []byte) error {
	return t.internal("put blob chunk", errNotImplemented)
}
func (t *Tx) CompleteBlob(id string, size int64, sha256 string) error {
	return t.internal("complete blob", errNotImplemented)
}
func (t *Tx) BlobChunk(blobID string, seq int) ([]byte, error) {
	return nil, t.internal("blob chunk", errNotImplemented)
}
func (t *Tx) DeleteOrphanBlobs(olderThan time.Time) (int, error) {
	return 0, t.internal("delete orphan blobs", errNotImplemented)
}
