package bundle

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

// Export is what Write writes: the workspace's description, the encryption block when
// secrets are sealed, every asset (in any order) and a way to stream each document.
type Export struct {
	Workspace  WorkspaceInfo
	Encryption *Encryption // set when some secret is sealed (NewSealer's block)
	Assets     []AssetFile
	// OpenDocument opens the content of a dataset's document, as listed in the dataset's
	// Documents. Write reads it to its end and closes it.
	OpenDocument func(dataset, name string) (io.ReadCloser, error)
}

// GzipLevel is the fixed compression level of every bundle: fast, since documents are often
// compressed already and export must keep up with the network.
const GzipLevel = gzip.BestSpeed

// Write writes e as a tar.gz bundle to w: Prepare, then Prepared.Write.
func Write(w io.Writer, e *Export) error {
	p, err := Prepare(e)
	if err != nil {
		return err
	}
	return p.Write(w)
}

// Prepared is an Export checked and encoded: its asset files, its manifest, the order of its
// entries. Everything that can be wrong with an export but its documents' contents is found
// by Prepare, before a byte is written — so that a server can still answer with an error
// status instead of a stream cut short.
type Prepared struct {
	open     func(dataset, name string) (io.ReadCloser, error)
	items    []writeItem
	manifest []byte
}

// writeItem is one entry to write: an encoded asset file, or a document to stream.
type writeItem struct {
	path    string
	data    []byte // asset file
	dataset string
	doc     DocumentRef
}

// splitWorkspaceHint is the next step when a workspace is too large for one bundle.
const splitWorkspaceHint = "move some assets to another workspace (forjctl <kind> move --match GLOB --to WS) and export each"

// Prepare checks and encodes e. A bundle that Read would refuse for its size — an asset file
// over MaxAssetFileBytes, more entries than DefaultLimits allow, a manifest too large — is a
// forj ETooLarge error that says so.
func Prepare(e *Export) (*Prepared, error) {
	var p Preparer
	for i := range e.Assets {
		if err := p.Add(&e.Assets[i]); err != nil {
			return nil, err
		}
	}
	return p.Finish(e.Workspace, e.Encryption, e.OpenDocument)
}

// Preparer is Prepare one asset at a time: Add checks and encodes an asset file and keeps
// only its bytes, so that a caller listing a workspace page by page holds each asset once,
// encoded, rather than as an AssetFile and its encoding (half the memory of an export's
// assets). The zero Preparer is ready; Finish ends it.
type Preparer struct {
	items  []writeItem
	seen   map[string]bool
	docs   bool
	sealed bool
}

// Add checks and encodes a. It fails as Prepare does, and as soon as the bundle has more
// entries than DefaultLimits allow, before a larger workspace is held in memory.
func (p *Preparer) Add(a *AssetFile) error {
	if problem := checkAsset(a); problem != "" {
		return fmt.Errorf("bundle: asset %s/%s: %s", a.Kind, a.Name, problem)
	}
	path := AssetPath(a.Kind, a.Name)
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if p.seen[path] {
		return fmt.Errorf("bundle: asset %s/%s listed twice", a.Kind, a.Name)
	}
	p.seen[path] = true
	data, err := encodeAsset(a)
	if errors.Is(err, errAssetTooLarge) {
		return forj.Errorf(forj.ETooLarge, "%s %s is too large for a bundle: %v", a.Kind, a.Name, err).
			WithHint("a dataset's file lists its documents: split a dataset of very many documents in two")
	}
	if err != nil {
		return fmt.Errorf("bundle: asset %s/%s: %w", a.Kind, a.Name, err)
	}
	p.items = append(p.items, writeItem{path: path, data: data})
	for _, d := range a.Documents {
		p.items = append(p.items, writeItem{path: DocumentPath(a.Name, d.Name), dataset: a.Name, doc: d})
		p.docs = true
	}
	if a.Secret != nil && a.Secret.Sealed != nil {
		p.sealed = true
	}
	if n, max := int64(len(p.items)), DefaultLimits().MaxEntries; n > max {
		return forj.Errorf(forj.ETooLarge, "the workspace has at least %d assets and documents; a bundle holds at most %d", n, max).
			WithHint(splitWorkspaceHint)
	}
	return nil
}

// Finish checks what concerns the whole bundle and encodes its manifest. open streams a
// document's content (Export.OpenDocument); it may be nil when no dataset has documents.
func (p *Preparer) Finish(ws WorkspaceInfo, enc *Encryption, open func(dataset, name string) (io.ReadCloser, error)) (*Prepared, error) {
	p.seen = nil // no longer needed; the caller may keep p
	if p.docs && open == nil {
		return nil, errors.New("bundle: Export.OpenDocument is nil but a dataset has documents")
	}
	if p.sealed && enc == nil {
		return nil, errors.New("bundle: sealed secrets need Export.Encryption")
	}
	if enc != nil {
		if problem := checkEncryption(enc); problem != "" {
			return nil, errors.New("bundle: " + problem)
		}
	}
	items := p.items
	p.items = nil
	slices.SortFunc(items, func(a, b writeItem) int { return strings.Compare(a.path, b.path) })

	m := &Manifest{Format: Format, Version: Version, Workspace: ws, Encryption: enc,
		Entries: make([]Entry, len(items))}
	for i, it := range items {
		if it.data != nil {
			sum := sha256.Sum256(it.data)
			m.Entries[i] = Entry{Path: it.path, Size: int64(len(it.data)), SHA256: hexSum(sum[:])}
		} else {
			m.Entries[i] = Entry{Path: it.path, Size: it.doc.Size, SHA256: it.doc.SHA256}
		}
	}
	manifest, err := EncodeManifest(m)
	if err != nil {
		return nil, err
	}
	if lim := DefaultLimits(); int64(len(manifest)) > lim.MaxManifestBytes {
		return nil, forj.Errorf(forj.ETooLarge, "the bundle's manifest would take %d bytes; at most %d are read", len(manifest), lim.MaxManifestBytes).
			WithHint(splitWorkspaceHint)
	}
	return &Prepared{open: open, items: items, manifest: manifest}, nil
}

// Entries is how many files the bundle holds besides its manifest.
func (p *Prepared) Entries() int { return len(p.items) }

// Write writes the bundle to w: manifest.json, then every asset file and document in path
// order. It verifies each document's size and sha256 against its DocumentRef while streaming
// it and fails when they differ; the bytes written until an error are not a valid bundle (an
// HTTP handler must abort the response rather than end it normally). Write is called once:
// it lets each asset file go once written.
func (p *Prepared) Write(w io.Writer) error {
	tw := newTarGz(w)
	if err := tw.addBytes(ManifestPath, p.manifest); err != nil {
		return err
	}
	for i, it := range p.items {
		if it.data != nil {
			p.items[i].data = nil
			if err := tw.addBytes(it.path, it.data); err != nil {
				return err
			}
			continue
		}
		rc, err := p.open(it.dataset, it.doc.Name)
		if err != nil {
			return fmt.Errorf("bundle: open document %q of dataset %q: %w", it.doc.Name, it.dataset, err)
		}
		err = tw.addStream(it.path, it.doc.Size, it.doc.SHA256, rc)
		if cerr := rc.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("bundle: close document %q of dataset %q: %w", it.doc.Name, it.dataset, cerr)
		}
		if err != nil {
			return err
		}
	}
	return tw.close()
}

// tarGz writes the deterministic tar.gz of the format.
type tarGz struct {
	zw  *gzip.Writer
	tw  *tar.Writer
	buf []byte
}

func newTarGz(w io.Writer) *tarGz {
	zw, _ := gzip.NewWriterLevel(w, GzipLevel) // the level is valid
	// The zero gzip.Header: no name, no comment, modification time 0, OS "unknown".
	return &tarGz{zw: zw, tw: tar.NewWriter(zw)}
}

// header is the one tar header of the format: a regular file, mode 0644, owned by 0:0
// without names, modified at the Unix epoch, PAX format (records only when a path needs them).
func header(path string, size int64) *tar.Header {
	return &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     path,
		Size:     size,
		Mode:     0o644,
		ModTime:  time.Unix(0, 0),
		Format:   tar.FormatPAX,
	}
}

func (t *tarGz) addBytes(path string, data []byte) error {
	if err := t.tw.WriteHeader(header(path, int64(len(data)))); err != nil {
		return fmt.Errorf("bundle: write %s: %w", path, err)
	}
	if _, err := t.tw.Write(data); err != nil {
		return fmt.Errorf("bundle: write %s: %w", path, err)
	}
	return nil
}

// addStream copies exactly size bytes of r into the entry path and checks that r then ends
// and that the bytes hash to sha.
func (t *tarGz) addStream(path string, size int64, sha string, r io.Reader) error {
	if err := t.tw.WriteHeader(header(path, size)); err != nil {
		return fmt.Errorf("bundle: write %s: %w", path, err)
	}
	if t.buf == nil {
		t.buf = make([]byte, 64<<10)
	}
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(t.tw, h), io.LimitReader(r, size), t.buf)
	if err != nil {
		return fmt.Errorf("bundle: %s: %w", path, err)
	}
	if n < size {
		return fmt.Errorf("bundle: %s: content is %d bytes, its record says %d", path, n, size)
	}
	var one [1]byte
	if k, _ := io.ReadFull(r, one[:]); k > 0 {
		return fmt.Errorf("bundle: %s: content is longer than the %d bytes its record says", path, size)
	}
	if got := hexSum(h.Sum(nil)); got != sha {
		return fmt.Errorf("bundle: %s: content has sha256 %s, its record says %s", path, got, sha)
	}
	return nil
}

func (t *tarGz) close() error {
	if err := t.tw.Close(); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if err := t.zw.Close(); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	return nil
}
