package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/forjinn/forjctl/pkg/forj"
)

// Handler receives a bundle's contents as Read validates them. It is called only for
// entries that passed their own checks so far: Manifest once, then Asset for every asset file
// and Document for every document, in path order (a dataset's asset file comes before its
// documents).
//
// Document's reader yields the document's bytes and, at its end, an *Error instead of io.EOF
// when the size or sha256 differ from the manifest; what the handler does not read, Read
// reads and checks after it returns. The reader is valid only until Document returns.
//
// A handler's error stops Read and is returned as is, unless it is an *Error or Errors (a
// problem of the bundle): Read records those and reads on. An error from Document after its
// reader reported a mismatch is taken as that mismatch, however the handler wrapped or
// reworded it; a failure of the stream under a document (truncation, gzip bomb) is reported
// as such whatever Document returns.
type Handler interface {
	Manifest(m *Manifest) error
	Asset(a *AssetFile) error
	Document(dataset string, ref DocumentRef, r io.Reader) error
}

// NopHandler accepts everything: Read with it only validates.
type NopHandler struct{}

func (NopHandler) Manifest(*Manifest) error                      { return nil }
func (NopHandler) Asset(*AssetFile) error                        { return nil }
func (NopHandler) Document(string, DocumentRef, io.Reader) error { return nil }

// rawSink is the extra interface of WriteDir's handler: the exact bytes of the manifest and of
// each asset file, before Manifest and Asset.
type rawSink interface {
	rawManifest(raw []byte) error
	rawAsset(path string, raw []byte) error
}

const (
	// maxProblems bounds the list Read collects; beyond it Read stops.
	maxProblems = 1000
	// maxShownPath bounds how much of an entry's path a problem repeats.
	maxShownPath = 1024
	// Allowances of the decompressed size beyond the declared entries: each entry's header
	// (with PAX records for a long path) and padding, and the end of the archive (two zero
	// blocks, padded by tar tools to a 10 KiB record).
	perEntryOverhead = 4096
	archiveOverhead  = 64 << 10
)

// Read reads a tar.gz bundle from r, validating everything, and hands its contents to h as
// they arrive. It returns the manifest (nil if it could not be read) and nil, or Errors with
// every problem found, or an error that is not the bundle's: a failure of r or of h.
func Read(r io.Reader, lim Limits, h Handler) (*Manifest, error) {
	rd := newReader(r, lim, h)
	err := rd.run()
	if err != nil {
		return rd.v.m, err
	}
	if len(rd.v.problems) > 0 {
		return rd.v.m, rd.v.problems
	}
	return rd.v.m, nil
}

// errTooMany stops reading when the problem list is full.
var errTooMany = errors.New("too many problems")

// streamErr is a failure to read an entry's content: the stream's (or the file's) error.
type streamErr struct{ err error }

func (s *streamErr) Error() string { return s.err.Error() }
func (s *streamErr) Unwrap() error { return s.err }

// validator checks a bundle's entries against its manifest and the layout; Read's tar loop
// and PackDir's directory walk feed it.
type validator struct {
	lim      Limits
	h        Handler
	raw      rawSink
	problems Errors
	m        *Manifest
	expected map[string]*expect
	// manifestDocs lists, per dataset, the documents the manifest lists.
	manifestDocs map[string][]string
	// datasets holds, per dataset whose asset file was read, its documents; broken marks a
	// dataset whose asset file had a problem (its documents are skipped without more words).
	datasets map[string]map[string]DocumentRef
	broken   map[string]bool
	last     string
	declared int64 // bytes of all entries, rounded to tar blocks
	buf      []byte
}

type expect struct {
	Entry
	info pathInfo
	bad  bool // reported already: its content is skipped
	seen bool
}

func newValidator(lim Limits, h Handler) *validator {
	v := &validator{lim: lim.withDefaults(), h: h,
		datasets: map[string]map[string]DocumentRef{}, broken: map[string]bool{}}
	v.raw, _ = h.(rawSink)
	return v
}

func shownPath(p string) string {
	if len(p) > maxShownPath {
		return p[:maxShownPath] + "…"
	}
	return p
}

// problem records a problem; errTooMany when the list is full.
func (v *validator) problem(entry, format string, args ...any) error {
	return v.add(&Error{Entry: shownPath(entry), Problem: fmt.Sprintf(format, args...)})
}

func (v *validator) add(e *Error) error {
	for _, p := range v.problems {
		if p == e {
			return nil
		}
	}
	if len(v.problems) >= maxProblems {
		return errTooMany
	}
	v.problems = append(v.problems, e)
	if len(v.problems) == maxProblems {
		v.problems = append(v.problems, &Error{Problem: fmt.Sprintf("%d problems: stopped reading", maxProblems)})
		return errTooMany
	}
	return nil
}

// handlerErr sorts a handler's error: a bundle problem is recorded (nil returned unless the
// list is full), anything else is returned.
func (v *validator) handlerErr(err error) error {
	if err == nil {
		return nil
	}
	var es Errors
	if errors.As(err, &es) {
		for _, e := range es {
			if aerr := v.add(e); aerr != nil {
				return aerr
			}
		}
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return v.add(e)
	}
	return err
}

// manifest checks manifest.json. It returns a fatal *Error (also recorded) when reading
// cannot go on.
func (v *validator) manifest(raw []byte) (*Error, error) {
	m, err := decodeManifest(raw, v.lim.MaxEntries)
	if err != nil {
		e := &Error{Entry: ManifestPath, Problem: err.Error()}
		return e, v.add(e)
	}
	v.m = m
	if m.Encryption != nil {
		if problem := checkEncryption(m.Encryption); problem != "" {
			if err := v.problem(ManifestPath, "%s", problem); err != nil {
				return nil, err
			}
		}
	}
	v.expected = make(map[string]*expect, len(m.Entries))
	v.manifestDocs = map[string][]string{}
	prev := ""
	for i, e := range m.Entries {
		var problem string
		info, pathProblem := parsePath(e.Path)
		switch {
		case e.Path == ManifestPath:
			problem = "manifest.json lists itself"
		case pathProblem != "":
			problem = pathProblem
		case i > 0 && e.Path == prev:
			problem = "listed twice in manifest.json"
		case i > 0 && e.Path < prev:
			problem = "manifest.json's entries are not sorted by path"
		case e.Size < 0:
			problem = fmt.Sprintf("negative size %d in manifest.json", e.Size)
		case !validSHA256(e.SHA256):
			problem = fmt.Sprintf("sha256 %q in manifest.json is not 64 lower-case hex digits", shownPath(e.SHA256))
		case info.asset && e.Size > v.lim.MaxAssetBytes:
			problem = fmt.Sprintf("asset file of %d bytes; the limit is %d", e.Size, v.lim.MaxAssetBytes)
		case !info.asset && e.Size > v.lim.MaxDocumentBytes:
			problem = fmt.Sprintf("document of %d bytes; the limit is %d", e.Size, v.lim.MaxDocumentBytes)
		}
		if e.Path > prev {
			prev = e.Path
		}
		if e.Size > 0 {
			v.declared = addSat(v.declared, roundBlock(e.Size))
		}
		if x, dup := v.expected[e.Path]; dup {
			x.bad = true
		} else {
			v.expected[e.Path] = &expect{Entry: e, info: info, bad: problem != ""}
		}
		if problem != "" {
			if err := v.problem(e.Path, "%s", problem); err != nil {
				return nil, err
			}
			continue
		}
		if !info.asset {
			v.manifestDocs[info.name] = append(v.manifestDocs[info.name], info.document)
		}
	}
	for _, e := range m.Entries {
		x := v.expected[e.Path]
		if x.info.asset || x.bad {
			continue
		}
		if dsPath := AssetPath(forj.KindDataset, x.info.name); v.expected[dsPath] == nil {
			x.bad = true
			if err := v.problem(e.Path, "document of dataset %q, but the bundle has no %s (unknown dataset)", x.info.name, dsPath); err != nil {
				return nil, err
			}
		}
	}
	if v.declared > v.lim.MaxTotalBytes {
		e := &Error{Entry: ManifestPath, Problem: fmt.Sprintf("the entries total %d bytes; the limit is %d", v.declared, v.lim.MaxTotalBytes)}
		return e, v.add(e)
	}
	return nil, v.handlerErr(v.h.Manifest(m))
}

// roundBlock rounds a size up to whole tar blocks.
func roundBlock(n int64) int64 {
	if n > 1<<62 {
		return 1 << 62
	}
	return (n + 511) &^ 511
}

func addSat(a, b int64) int64 {
	if a > (1<<62) || b > (1<<62) {
		return 1 << 62
	}
	return a + b
}

// file checks one regular file of the archive (or directory) and hands it to the handler.
// It returns a structural error (from reading r) or a handler's error that stops reading.
func (v *validator) file(path string, size int64, r io.Reader) error {
	x := v.expected[path]
	if x == nil {
		if path == ManifestPath {
			return v.problem(path, "manifest.json appears again (it must be the first entry, once)")
		}
		if _, problem := parsePath(path); problem != "" {
			return v.problem(path, "%s", problem)
		}
		return v.problem(path, "not listed in manifest.json")
	}
	if x.seen {
		return v.problem(path, "duplicate entry: the archive holds this path twice")
	}
	x.seen = true
	if path < v.last {
		if err := v.problem(path, "out of order: entries must follow manifest.json in path order, as the manifest lists them"); err != nil {
			return err
		}
		x.bad = true
	}
	if path > v.last {
		v.last = path
	}
	if x.bad {
		if x.info.asset && x.info.kind == forj.KindDataset {
			v.broken[x.info.name] = true
		}
		return nil
	}
	if size != x.Size {
		if x.info.asset && x.info.kind == forj.KindDataset {
			v.broken[x.info.name] = true
		}
		return v.problem(path, "size mismatch: the entry has %d bytes, manifest.json says %d", size, x.Size)
	}
	if x.info.asset {
		return v.asset(x, r)
	}
	return v.document(x, r)
}

func (v *validator) asset(x *expect, r io.Reader) error {
	info := x.info
	fail := func(format string, args ...any) error {
		if info.kind == forj.KindDataset {
			v.broken[info.name] = true
		}
		return v.problem(x.Path, format, args...)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(r, x.Size)); err != nil {
		return &streamErr{err}
	}
	raw := buf.Bytes()
	if int64(len(raw)) != x.Size {
		return &streamErr{io.ErrUnexpectedEOF}
	}
	sum := sha256.Sum256(raw)
	if got := hexSum(sum[:]); got != x.SHA256 {
		return fail("sha256 mismatch: the content hashes to %s, manifest.json says %s", got, x.SHA256)
	}
	a, err := decodeAsset(raw)
	if err != nil {
		return fail("%v", err)
	}
	if a.Kind != info.kind || a.Name != info.name {
		return fail("kind and name %q do not match the path (want %q)", shownPath(a.Kind+"/"+a.Name), info.kind+"/"+info.name)
	}
	if problem := checkAsset(a); problem != "" {
		return fail("%s", problem)
	}
	if int64(len(raw))*int64(2*jsonDepth(raw)+9) > MaxAssetFileBytes { // else it surely fits
		if _, err := encodeAsset(a); err != nil {
			return fail("in canonical form, %v", err)
		}
	}
	if a.Secret != nil && a.Secret.Sealed != nil && v.m.Encryption == nil {
		return fail("sealed secret, but manifest.json has no encryption block")
	}
	if info.kind == forj.KindDataset {
		refs := make(map[string]DocumentRef, len(a.Documents))
		ok := true
		for _, d := range a.Documents {
			refs[d.Name] = d
			p := DocumentPath(info.name, d.Name)
			e := v.expected[p]
			switch {
			case e == nil:
				ok = false
				if err := v.problem(x.Path, "document %q is not in the bundle (manifest.json does not list %s)", d.Name, p); err != nil {
					return err
				}
			case e.Size != d.Size || e.SHA256 != d.SHA256:
				ok = false
				if err := v.problem(x.Path, "document %q: size %d and sha256 %s differ from manifest.json's %d and %s", d.Name, d.Size, d.SHA256, e.Size, e.SHA256); err != nil {
					return err
				}
			}
		}
		for _, d := range v.manifestDocs[info.name] {
			if _, ok := refs[d]; !ok {
				p := DocumentPath(info.name, d)
				v.expected[p].bad = true
				if err := v.problem(p, "document not listed in its dataset's %s", x.Path); err != nil {
					return err
				}
			}
		}
		if !ok {
			v.broken[info.name] = true
			return nil
		}
		v.datasets[info.name] = refs
	}
	if v.raw != nil {
		if err := v.raw.rawAsset(x.Path, raw); err != nil {
			return v.handlerErr(err)
		}
	}
	return v.handlerErr(v.h.Asset(a))
}

func (v *validator) document(x *expect, r io.Reader) error {
	ds := x.info.name
	refs := v.datasets[ds]
	if refs == nil {
		if v.broken[ds] {
			return nil
		}
		return v.problem(x.Path, "its dataset's asset file %s did not come before it (missing, or out of path order)", AssetPath(forj.KindDataset, ds))
	}
	ref := refs[x.info.document]
	dr := &docReader{r: io.LimitReader(r, x.Size), h: sha256.New(), size: x.Size, want: x.SHA256, entry: x.Path}
	herr := v.h.Document(ds, ref, dr)
	if dr.fatal != nil {
		return &streamErr{dr.fatal}
	}
	if herr != nil && dr.problem != nil {
		herr = nil // the handler failed on the reader's problem, however it worded it: recorded below
	}
	if herr != nil {
		if err := v.handlerErr(herr); err != nil {
			return err
		}
	}
	if !dr.done {
		if v.buf == nil {
			v.buf = make([]byte, 64<<10)
		}
		if _, err := io.CopyBuffer(io.Discard, dr, v.buf); err != nil && dr.fatal != nil {
			return &streamErr{dr.fatal}
		}
	}
	if dr.problem != nil {
		return v.add(dr.problem)
	}
	return nil
}

// docReader hands a document to the handler, checking its size and sha256 at the end.
type docReader struct {
	r       io.Reader
	h       hash.Hash
	n, size int64
	want    string
	entry   string
	done    bool
	problem *Error // size or checksum mismatch
	fatal   error  // a structural failure of the stream
}

func (d *docReader) Read(p []byte) (int, error) {
	if d.problem != nil {
		return 0, d.problem
	}
	if d.fatal != nil {
		return 0, d.fatal
	}
	if d.done {
		return 0, io.EOF
	}
	n, err := d.r.Read(p)
	d.h.Write(p[:n])
	d.n += int64(n)
	switch {
	case err == io.EOF:
		d.done = true
		if d.n != d.size {
			d.fatal = io.ErrUnexpectedEOF
			return n, d.fatal
		}
		if got := hexSum(d.h.Sum(nil)); got != d.want {
			d.problem = &Error{Entry: shownPath(d.entry), Problem: fmt.Sprintf("sha256 mismatch: the content hashes to %s, manifest.json says %s", got, d.want)}
			return n, d.problem
		}
	case err != nil:
		d.fatal = err
	}
	return n, err
}

// finish reports what the manifest lists but the archive lacked.
func (v *validator) finish() error {
	for _, e := range v.m.Entries {
		if x := v.expected[e.Path]; x != nil && !x.seen && !x.bad {
			x.seen = true
			if err := v.problem(e.Path, "listed in manifest.json but missing from the bundle"); err != nil {
				return err
			}
		}
	}
	return nil
}

// --- the tar.gz stream ---

type reader struct {
	v   *validator
	src *sourceReader
	br  *bufio.Reader
	zr  *gzip.Reader
	cr  *countReader
	tr  *tar.Reader
	cur string // the entry being read, for messages
}

func newReader(r io.Reader, lim Limits, h Handler) *reader {
	rd := &reader{v: newValidator(lim, h), src: &sourceReader{r: r}}
	rd.br = bufio.NewReaderSize(rd.src, 64<<10)
	return rd
}

// sourceReader remembers the first failure of the caller's reader: that is an I/O error,
// not a problem of the bundle.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// countReader counts the decompressed bytes, stops beyond limit (a gzip bomb) and remembers
// the run of zero bytes at the end of what it read.
type countReader struct {
	r     io.Reader
	n     int64
	limit int64
	why   string
	zeros int64
	gzErr error // the gzip reader's failure
}

type bombError struct {
	n   int64
	why string
}

func (b *bombError) Error() string {
	return fmt.Sprintf("the decompressed archive exceeds %d bytes (%s): stopped reading (a gzip bomb?)", b.n, b.why)
}

func (c *countReader) Read(p []byte) (int, error) {
	if c.n > c.limit {
		return 0, &bombError{c.limit, c.why}
	}
	if room := c.limit - c.n + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF && c.gzErr == nil {
		c.gzErr = err
	}
	if c.n > c.limit {
		return 0, &bombError{c.limit, c.why}
	}
	if i := lastNonZero(p[:n]); i < 0 {
		c.zeros += int64(n)
	} else {
		c.zeros = int64(n - 1 - i)
	}
	return n, err
}

func lastNonZero(p []byte) int {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] != 0 {
			return i
		}
	}
	return -1
}

// structural turns a failure of the stream into the error Read returns: the caller's I/O
// error as is, otherwise the problem list with this failure at its end.
func (rd *reader) structural(err error) error {
	if rd.src.err != nil {
		return fmt.Errorf("reading the bundle: %w", rd.src.err)
	}
	if err == errTooMany {
		return rd.v.problems
	}
	in := ""
	if rd.cur != "" {
		in = fmt.Sprintf(" (in entry %q)", shownPath(rd.cur))
	}
	var problem string
	var bomb *bombError
	var corrupt flate.CorruptInputError
	gz := rd.cr != nil && rd.cr.gzErr != nil
	switch {
	case errors.As(err, &bomb):
		problem = bomb.Error()
	case gz && errors.Is(rd.cr.gzErr, io.ErrUnexpectedEOF):
		problem = "truncated gzip stream: the data ends early" + in
	case gz && errors.Is(rd.cr.gzErr, gzip.ErrChecksum):
		problem = "gzip checksum mismatch: the data is corrupt"
	case gz && errors.As(rd.cr.gzErr, &corrupt):
		problem = fmt.Sprintf("corrupt gzip data at compressed byte %d", int64(corrupt)) + in
	case gz:
		problem = "corrupt gzip stream: " + rd.cr.gzErr.Error() + in
	case errors.Is(err, io.ErrUnexpectedEOF):
		problem = "truncated tar archive: the data ends early" + in
	case errors.Is(err, tar.ErrHeader):
		problem = "malformed tar archive: invalid header"
		if rd.cur != "" {
			problem += fmt.Sprintf(" after entry %q", shownPath(rd.cur))
		}
	default:
		problem = "malformed tar archive: " + err.Error() + in
	}
	rd.v.add(&Error{Problem: problem})
	return rd.v.problems
}

func (rd *reader) run() error {
	zr, err := gzip.NewReader(rd.br)
	if err != nil {
		if rd.src.err != nil {
			return fmt.Errorf("reading the bundle: %w", rd.src.err)
		}
		if err == io.EOF {
			rd.v.add(&Error{Problem: "empty input: a bundle is a tar.gz archive"})
		} else {
			rd.v.add(&Error{Problem: "not a gzip stream: a bundle is a tar.gz archive"})
		}
		return rd.v.problems
	}
	zr.Multistream(false)
	rd.zr = zr
	lim := rd.v.lim
	rd.cr = &countReader{r: zr, limit: min(lim.MaxManifestBytes+archiveOverhead, lim.MaxTotalBytes),
		why: "the manifest's limit"}
	rd.tr = tar.NewReader(rd.cr)

	// manifest.json, first.
	hdr, err := rd.next()
	if err == io.EOF {
		rd.v.add(&Error{Problem: "empty archive: no manifest.json"})
		return rd.v.problems
	}
	if err != nil {
		return rd.structural(err)
	}
	if hdr.Name != ManifestPath {
		rd.v.add(&Error{Entry: shownPath(hdr.Name), Problem: "the first entry must be manifest.json (a bundle starts with its manifest)"})
		return rd.v.problems
	}
	if hdr.Typeflag != tar.TypeReg {
		rd.v.add(&Error{Entry: ManifestPath, Problem: "manifest.json is not a regular file"})
		return rd.v.problems
	}
	if hdr.Size > lim.MaxManifestBytes {
		rd.v.add(&Error{Entry: ManifestPath, Problem: fmt.Sprintf("manifest.json is %d bytes; the limit is %d", hdr.Size, lim.MaxManifestBytes)})
		return rd.v.problems
	}
	var mbuf bytes.Buffer
	if _, err := mbuf.ReadFrom(rd.tr); err != nil {
		return rd.structural(err)
	}
	fatal, err := rd.v.manifest(mbuf.Bytes())
	if err != nil {
		if err == errTooMany {
			return rd.v.problems
		}
		return err
	}
	if fatal != nil {
		return rd.v.problems
	}
	if rd.v.raw != nil {
		if err := rd.v.handlerErr(rd.v.raw.rawManifest(mbuf.Bytes())); err != nil {
			return err
		}
	}
	mbuf = bytes.Buffer{}
	// From here on, the archive may only be as large as the manifest declares.
	declared := addSat(addSat(rd.cr.n, rd.v.declared), addSat(int64(len(rd.v.m.Entries))*perEntryOverhead, archiveOverhead))
	if declared < lim.MaxTotalBytes {
		rd.cr.limit, rd.cr.why = declared, "what manifest.json declares, with headers"
	} else {
		rd.cr.limit, rd.cr.why = lim.MaxTotalBytes, "the limit on a bundle"
	}

	for {
		hdr, err := rd.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rd.structural(err)
		}
		rd.cur = hdr.Name
		if err := rd.entry(hdr); err != nil {
			var se *streamErr
			switch {
			case err == errTooMany:
				return rd.v.problems
			case errors.As(err, &se):
				return rd.structural(se.err)
			}
			return err // the handler's
		}
	}
	rd.cur = ""
	// The end: two zero blocks, then nothing but zero padding, then the end of the gzip stream.
	if rd.cr.zeros < 1024 {
		if err := rd.v.problem("", "truncated tar archive: no end-of-archive marker"); err != nil {
			return rd.v.problems
		}
	}
	var tail [4096]byte
	for {
		n, err := rd.cr.Read(tail[:])
		if lastNonZero(tail[:n]) >= 0 {
			rd.v.add(&Error{Problem: "trailing data after the end of the tar archive"})
			return rd.v.problems
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return rd.structural(err)
		}
	}
	if _, err := rd.br.ReadByte(); err == nil {
		rd.v.add(&Error{Problem: "trailing data after the gzip stream"})
		return rd.v.problems
	} else if rd.src.err != nil {
		return fmt.Errorf("reading the bundle: %w", rd.src.err)
	}
	if err := rd.v.finish(); err != nil {
		return rd.v.problems
	}
	if len(rd.v.problems) > 0 {
		return rd.v.problems
	}
	return nil
}

// next returns the next header, tolerating the tar package's own path complaint (paths are
// checked here).
func (rd *reader) next() (*tar.Header, error) {
	hdr, err := rd.tr.Next()
	if err != nil && errors.Is(err, tar.ErrInsecurePath) && hdr != nil {
		err = nil
	}
	return hdr, err
}

// entry handles one header after the manifest.
func (rd *reader) entry(hdr *tar.Header) error {
	v := rd.v
	name := hdr.Name
	switch hdr.Typeflag {
	case tar.TypeReg:
	case tar.TypeDir:
		if !layoutDir(strings.TrimSuffix(name, "/")) {
			return v.problem(name, "directory entry that is not a directory of the bundle layout")
		}
		return nil
	case tar.TypeSymlink:
		return v.problem(name, "symbolic link (to %q) not allowed: a bundle holds regular files only", shownPath(hdr.Linkname))
	case tar.TypeLink:
		return v.problem(name, "hard link (to %q) not allowed: a bundle holds regular files only", shownPath(hdr.Linkname))
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return v.problem(name, "device or FIFO entry not allowed: a bundle holds regular files only")
	case tar.TypeXGlobalHeader:
		return v.problem(name, "global PAX header not allowed")
	case tar.TypeGNUSparse:
		return v.problem(name, "sparse file not allowed")
	default:
		return v.problem(name, "entry of tar type %q not allowed: a bundle holds regular files only", string(rune(hdr.Typeflag)))
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return v.problem(name, "sparse file not allowed")
		}
	}
	return v.file(name, hdr.Size, rd.tr)
}
