package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

// Dataset documents are streamed: an upload is cut into forj.BlobChunkSize chunks, each
// written in its own short transaction under a blob id that nothing references yet; a last
// transaction records the size and sha256 and points the document at the blob. A download
// reads one chunk per transaction (blobs never change once written). So neither side holds a
// document in memory, nor a database transaction open for the length of a transfer. Blobs of
// failed uploads are removed by CollectGarbage.

// orphanBlobAge is how long an unreferenced blob may live: longer than any upload takes.
const orphanBlobAge = 6 * time.Hour

// datasetIn reads a dataset of the workspace.
func datasetIn(tx forj.Tx, wsID, assetID string) (*forj.Asset, error) {
	a, err := assetIn(tx, wsID, assetID)
	if err != nil {
		return nil, err
	}
	if k, _ := forj.LookupKind(a.Kind); !k.Document {
		return nil, forj.Errorf(forj.EInvalid, "%s %q is a %s; only datasets hold documents", a.Kind, a.Name, a.Kind)
	}
	return a, nil
}

func (s *Server) listDocuments(c *call) error {
	resp := forj.List[forj.Document]{}
	err := s.store.View(c.ctx(), func(tx forj.Tx) error {
		a, err := datasetIn(tx, c.r.PathValue("id"), c.r.PathValue("assetId"))
		if err != nil {
			return err
		}
		resp.Data, err = tx.ListDocuments(a.ID)
		return err
	})
	if err != nil {
		return err
	}
	if resp.Data == nil {
		resp.Data = []forj.Document{}
	}
	return s.writeJSON(c.w, http.StatusOK, resp)
}

func documentNotFound(name string) error {
	return forj.Errorf(forj.ENotFound, "document %q not found", name).
		WithHint("list the dataset's documents with: forjctl dataset documents DATASET")
}

func (s *Server) getDocument(c *call) error {
	wsID, assetID, name := c.r.PathValue("id"), c.r.PathValue("assetId"), c.r.PathValue("name")
	var d *forj.Document
	err := s.store.View(c.ctx(), func(tx forj.Tx) error {
		a, err := datasetIn(tx, wsID, assetID)
		if err != nil {
			return err
		}
		d, err = tx.GetDocument(a.ID, name)
		if forj.IsNotFound(err) {
			return documentNotFound(name)
		}
		return err
	})
	if err != nil {
		return err
	}
	h := c.w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(d.Size, 10))
	h.Set("X-Content-SHA256", d.SHA256)
	h.Set("ETag", `"`+d.SHA256+`"`)
	c.w.WriteHeader(http.StatusOK)
	if c.r.Method == http.MethodHead {
		return nil
	}
	// Past this point the status is sent: a failure can only cut the body short, which the
	// client sees as a length or checksum mismatch.
	if err := s.copyBlob(c, c.w, d); err != nil {
		s.logError(c, "document download cut short", err)
	}
	return nil
}

// copyBlob writes a document's blob to w, one chunk per read transaction.
func (s *Server) copyBlob(c *call, w io.Writer, d *forj.Document) error {
	var written int64
	for seq := 0; written < d.Size; seq++ {
		var chunk []byte
		err := s.store.View(c.ctx(), func(tx forj.Tx) error {
			var err error
			chunk, err = tx.BlobChunk(d.BlobID, seq)
			return err
		})
		if err != nil {
			return err
		}
		if len(chunk) == 0 {
			return errors.New("empty chunk before the end of the blob")
		}
		n, err := w.Write(chunk)
		written += int64(n)
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) putDocument(c *call) error {
	wsID, assetID, name := c.r.PathValue("id"), c.r.PathValue("assetId"), c.r.PathValue("name")
	if err := forj.ValidateDocumentName(name); err != nil {
		return err
	}
	want := strings.ToLower(c.r.Header.Get("X-Content-SHA256"))
	if want != "" {
		if b, err := hex.DecodeString(want); err != nil || len(b) != sha256.Size {
			return forj.Errorf(forj.EInvalid, "X-Content-SHA256 %q is not a hex sha256", want)
		}
	}
	if c.r.ContentLength > forj.MaxDocumentBytes {
		return forj.Errorf(forj.ETooLarge, "a document may hold at most %d bytes", int64(forj.MaxDocumentBytes))
	}
	// Check the target before reading the body, so a refusal costs nothing.
	if err := s.store.View(c.ctx(), func(tx forj.Tx) error {
		_, err := datasetIn(tx, wsID, assetID)
		return err
	}); err != nil {
		return err
	}
	hash := sha256.New()
	blobID, size, err := s.writeBlob(c, io.TeeReader(http.MaxBytesReader(c.w, c.r.Body, forj.MaxDocumentBytes), hash))
	if err != nil {
		return err
	}
	sum := hex.EncodeToString(hash.Sum(nil))
	if want != "" && want != sum {
		return forj.Errorf(forj.EInvalid, "the upload's sha256 is %s, not the %s announced in X-Content-SHA256", sum, want).
			WithHint("the file changed or was damaged on the way; upload it again")
	}
	c.bodyRead = true // streamed: nothing for idempotency to hash
	status := http.StatusCreated
	var doc *forj.Document
	err = s.store.Update(c.ctx(), func(tx forj.Tx) error {
		a, err := datasetIn(tx, wsID, assetID)
		if err != nil {
			return err // moved or deleted during the upload
		}
		if err := tx.CompleteBlob(blobID, size, sum); err != nil {
			return err
		}
		old, err := tx.GetDocument(a.ID, name)
		switch {
		case err == nil:
			status = http.StatusOK
		case !forj.IsNotFound(err):
			return err
		}
		doc = &forj.Document{AssetID: a.ID, Name: name, Size: size, SHA256: sum, BlobID: blobID}
		if err := tx.PutDocument(doc); err != nil {
			return err
		}
		changes := map[string]any{"document": name, "size": size, "sha256": sum}
		if old != nil {
			changes["previousSha256"] = old.SHA256
		}
		return tx.AppendAudit(c.event("asset.document_put", wsID, "asset", a.ID, changes))
	})
	if err != nil {
		return err
	}
	return s.writeJSON(c.w, status, doc)
}

// writeBlob stores r as a new blob, chunk by chunk, and returns its id and size. It does not
// hash: an upload hashes what it reads on the way in, and an import takes the digest the
// bundle reader has already checked (hashing twice cost 15 % of an import's CPU).
func (s *Server) writeBlob(c *call, r io.Reader) (id string, size int64, err error) {
	id = forj.NewID(forj.PrefixBlob)
	if err := s.store.Update(c.ctx(), func(tx forj.Tx) error { return tx.CreateBlob(id) }); err != nil {
		return "", 0, err
	}
	buf := make([]byte, forj.BlobChunkSize)
	for seq := 0; ; seq++ {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			size += int64(n)
			if err := s.store.Update(c.ctx(), func(tx forj.Tx) error { return tx.PutBlobChunk(id, seq, buf[:n]) }); err != nil {
				return "", 0, err
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			var mbe *http.MaxBytesError
			if errors.As(rerr, &mbe) {
				return "", 0, forj.Errorf(forj.ETooLarge, "a document may hold at most %d bytes", int64(forj.MaxDocumentBytes))
			}
			return "", 0, forj.Errorf(forj.EInvalid, "reading the upload: %v", rerr)
		}
	}
	return id, size, nil
}

func (s *Server) deleteDocument(c *call) error {
	wsID, assetID, name := c.r.PathValue("id"), c.r.PathValue("assetId"), c.r.PathValue("name")
	return c.mutate(http.StatusNoContent, func(tx forj.Tx) (any, error) {
		a, err := datasetIn(tx, wsID, assetID)
		if err != nil {
			return nil, err
		}
		if err := tx.DeleteDocument(a.ID, name); err != nil {
			if forj.IsNotFound(err) {
				return nil, documentNotFound(name)
			}
			return nil, err
		}
		return nil, tx.AppendAudit(c.event("asset.document_delete", wsID, "asset", a.ID, map[string]string{"document": name}))
	})
}

// CollectGarbage removes blobs that no document references and that are older than an
// upload could take (failed or abandoned uploads, replaced or deleted documents). forjd runs
// it periodically.
func (s *Server) CollectGarbage(ctx context.Context) (int, error) {
	var n int
	err := s.store.Update(ctx, func(tx forj.Tx) error {
		var err error
		n, err = tx.DeleteOrphanBlobs(tx.Now().Add(-orphanBlobAge))
		return err
	})
	return n, err
}

// logError records a failure that can no longer reach the caller (the response has begun).
func (s *Server) logError(c *call, msg string, err error) {
	s.log.LogAttrs(c.ctx(), slog.LevelError, msg, slog.String("request_id", c.reqID),
		slog.String("route", c.route.method+" "+c.route.pattern), slog.String("error", forj.RedactTokens(err.Error())))
}
