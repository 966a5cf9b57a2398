package bundle_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/forjinn/forjctl/pkg/bundle"
	"github.com/forjinn/forjctl/pkg/bundle/bundletest"
	"github.com/forjinn/forjctl/pkg/forj"
)

// collector keeps everything Read hands it.
type collector struct {
	m      *bundle.Manifest
	assets []bundle.AssetFile
	docs   map[string][]byte
}

func (c *collector) Manifest(m *bundle.Manifest) error { c.m = m; return nil }
func (c *collector) Asset(a *bundle.AssetFile) error   { c.assets = append(c.assets, *a); return nil }
func (c *collector) Document(ds string, ref bundle.DocumentRef, r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if c.docs == nil {
		c.docs = map[string][]byte{}
	}
	c.docs[ds+"/"+ref.Name] = data
	return nil
}

func write(t testing.TB, e *bundle.Export) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := bundle.Write(&b, e); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return b.Bytes()
}

func read(t testing.TB, b []byte) *collector {
	t.Helper()
	c := &collector{}
	if _, err := bundle.Read(bytes.NewReader(b), bundle.DefaultLimits(), c); err != nil {
		t.Fatalf("Read: %v", err)
	}
	return c
}

// canon returns a JSON value's canonical text, for comparisons.
func canon(t testing.TB, raw json.RawMessage) string {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// contents turns what Read handed over back into bundletest.Contents.
func (c *collector) contents(ws bundle.WorkspaceInfo) *bundletest.Contents {
	return &bundletest.Contents{Workspace: ws, Assets: c.assets, Documents: c.docs}
}

func TestRoundTrip(t *testing.T) {
	src := bundletest.Sample()
	b := write(t, src.Export())
	got := read(t, b)

	if got.m.Format != bundle.Format || got.m.Version != bundle.Version || got.m.Workspace != src.Workspace {
		t.Errorf("manifest = %+v", got.m)
	}
	if len(got.assets) != len(src.Assets) {
		t.Fatalf("%d assets, want %d", len(got.assets), len(src.Assets))
	}
	byPath := map[string]bundle.AssetFile{}
	for _, a := range got.assets {
		byPath[bundle.AssetPath(a.Kind, a.Name)] = a
	}
	for _, want := range src.Assets {
		g, ok := byPath[bundle.AssetPath(want.Kind, want.Name)]
		if !ok {
			t.Errorf("asset %s/%s missing", want.Kind, want.Name)
			continue
		}
		if g.Description != want.Description || !maps.Equal(g.Labels, want.Labels) && len(want.Labels) > 0 {
			t.Errorf("%s/%s: description/labels %q %v, want %q %v", want.Kind, want.Name, g.Description, g.Labels, want.Description, want.Labels)
		}
		if canon(t, g.Spec) != canon(t, want.Spec) {
			t.Errorf("%s/%s: spec %s, want %s", want.Kind, want.Name, g.Spec, want.Spec)
		}
		if (g.Secret == nil) != (want.Secret == nil) {
			t.Errorf("%s/%s: secret %v, want %v", want.Kind, want.Name, g.Secret, want.Secret)
		}
		wantDocs := slices.Clone(want.Documents)
		slices.SortFunc(wantDocs, func(a, b bundle.DocumentRef) int { return strings.Compare(a.Name, b.Name) })
		if !slices.Equal(g.Documents, wantDocs) {
			t.Errorf("%s/%s: documents %v, want %v", want.Kind, want.Name, g.Documents, wantDocs)
		}
	}
	// Numbers keep their exact text.
	if a := byPath["assets/flow/flow-a.json"]; !strings.Contains(string(a.Spec), "12345678901234567890123") || !strings.Contains(string(a.Spec), "0.70") {
		t.Errorf("flow-a spec lost its numbers: %s", a.Spec)
	}
	if len(got.docs) != len(src.Documents) {
		t.Errorf("%d documents, want %d", len(got.docs), len(src.Documents))
	}
	for k, want := range src.Documents {
		if !bytes.Equal(got.docs[k], want) {
			t.Errorf("document %s: %q, want %q", k, got.docs[k], want)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a := write(t, bundletest.Sample().Export())
	b := write(t, bundletest.Sample().Export())
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of the same contents differ")
	}
	// Order of assets, of documents and of label insertion does not matter.
	s := bundletest.Sample()
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(s.Assets), func(i, j int) { s.Assets[i], s.Assets[j] = s.Assets[j], s.Assets[i] })
	for i := range s.Assets {
		slices.Reverse(s.Assets[i].Documents)
	}
	if c := write(t, s.Export()); !bytes.Equal(a, c) {
		t.Fatal("a shuffled export differs")
	}

	// The gzip header carries no name and no time; tar headers are fixed.
	if a[3] != 0 || !bytes.Equal(a[4:8], []byte{0, 0, 0, 0}) {
		t.Errorf("gzip header flags/mtime = % x", a[3:8])
	}
	for _, f := range bundletest.Files(a) {
		h := f.Header
		if h.ModTime.Unix() != 0 || h.Mode != 0o644 || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: header %+v", h.Name, h)
		}
	}
}

func TestExportImportExport(t *testing.T) {
	first := write(t, bundletest.Sample().Export())
	got := read(t, first)
	other := bundle.WorkspaceInfo{ID: "ws_other", Name: "acme-prod", Environment: "prod"}
	second := write(t, got.contents(other).Export())

	f1, f2 := bundletest.Files(first), bundletest.Files(second)
	if len(f1) != len(f2) {
		t.Fatalf("%d entries, then %d", len(f1), len(f2))
	}
	for i := 1; i < len(f1); i++ {
		if f1[i].Header.Name != f2[i].Header.Name || !bytes.Equal(f1[i].Data, f2[i].Data) {
			t.Errorf("entry %d: %s differs from %s", i, f1[i].Header.Name, f2[i].Header.Name)
		}
	}
	// Only the manifest's workspace block differs.
	m1 := strings.Replace(string(f1[0].Data), `"acme-dev"`, `"acme-prod"`, 1)
	m1 = strings.Replace(m1, `"Acme's development workspace"`, `""`, 1)
	m1 = strings.Replace(m1, `"dev"`, `"prod"`, 1)
	m1 = strings.Replace(m1, `"ws_0123456789abcdef"`, `"ws_other"`, 1)
	if m1 != string(f2[0].Data) {
		t.Errorf("manifests differ beyond the workspace:\n%s\n%s", f1[0].Data, f2[0].Data)
	}
	// And a third export of the second import is byte-identical to the second.
	if third := write(t, read(t, second).contents(other).Export()); !bytes.Equal(second, third) {
		t.Error("export → import → export is not stable")
	}
}

func TestCanonicalAssetFile(t *testing.T) {
	b, err := bundle.EncodeAsset(&bundle.AssetFile{Kind: forj.KindFlow, Name: "x", Labels: map[string]string{"b": "2", "a": "1"},
		Spec: json.RawMessage(`{"z":1e400,"a":{"y":[1, 2.50],"x":"<&>"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "description": "",
  "kind": "flow",
  "labels": {
    "a": "1",
    "b": "2"
  },
  "name": "x",
  "spec": {
    "a": {
      "x": "<&>",
      "y": [
        1,
        2.50
      ]
    },
    "z": 1e400
  }
}
`
	if string(b) != want {
		t.Errorf("EncodeAsset =\n%s\nwant\n%s", b, want)
	}
	// A dataset always lists its documents; a stub secret is {"stub": true}.
	b, _ = bundle.EncodeAsset(&bundle.AssetFile{Kind: forj.KindDataset, Name: "d", Spec: json.RawMessage(`{}`)})
	if !strings.Contains(string(b), `"documents": []`) {
		t.Errorf("dataset without documents:\n%s", b)
	}
	b, _ = bundle.EncodeAsset(&bundle.AssetFile{Kind: forj.KindCredential, Name: "c", Spec: json.RawMessage(`{}`), Secret: &bundle.SecretField{Stub: true}})
	if !strings.Contains(string(b), "\"secret\": {\n    \"stub\": true\n  }") {
		t.Errorf("credential with a stub:\n%s", b)
	}
}

func TestWriteRejects(t *testing.T) {
	for name, a := range map[string]bundle.AssetFile{
		"unknown kind":   {Kind: "widget", Name: "x", Spec: json.RawMessage(`{}`)},
		"slash in name":  {Kind: forj.KindFlow, Name: "a/b", Spec: json.RawMessage(`{}`)},
		"invalid utf-8":  {Kind: forj.KindFlow, Name: "a\xff", Spec: json.RawMessage(`{}`)},
		"spec array":     {Kind: forj.KindFlow, Name: "x", Spec: json.RawMessage(`[]`)},
		"no spec":        {Kind: forj.KindFlow, Name: "x"},
		"secret on flow": {Kind: forj.KindFlow, Name: "x", Spec: json.RawMessage(`{}`), Secret: &bundle.SecretField{Stub: true}},
		"docs on tool":   {Kind: forj.KindTool, Name: "x", Spec: json.RawMessage(`{}`), Documents: []bundle.DocumentRef{}},
		"bad label":      {Kind: forj.KindFlow, Name: "x", Spec: json.RawMessage(`{}`), Labels: map[string]string{"A": "b"}},
	} {
		var out bytes.Buffer
		good := bundletest.Sample().Assets
		if err := bundle.Write(&out, &bundle.Export{Assets: append(good, a)}); err == nil {
			t.Errorf("%s: Write accepted it", name)
		}
		if out.Len() != 0 {
			t.Errorf("%s: Write wrote %d bytes before failing", name, out.Len())
		}
	}
	two := []bundle.AssetFile{{Kind: forj.KindFlow, Name: "x", Spec: json.RawMessage(`{}`)}, {Kind: forj.KindFlow, Name: "x", Spec: json.RawMessage(`{}`)}}
	if err := bundle.Write(io.Discard, &bundle.Export{Assets: two}); err == nil {
		t.Error("Write accepted the same asset twice")
	}
}

// A workspace too large for a bundle is refused by Prepare, before a byte is written, with
// the error the server answers (too_large) — not written as a bundle Read would refuse. So
// is a dataset whose file, listing its documents, would pass MaxAssetFileBytes.
func TestPrepareRefusesTooManyEntries(t *testing.T) {
	const emptySHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	max := bundle.DefaultLimits().MaxEntries
	// 1,000 datasets of 99 documents: max entries with their own files. One flow more is
	// one entry too many.
	const datasets, perDataset = 1000, 99
	if datasets*(perDataset+1) != max {
		t.Fatalf("the test assumes a limit of %d entries, not %d", datasets*(perDataset+1), max)
	}
	e := &bundle.Export{
		OpenDocument: func(dataset, name string) (io.ReadCloser, error) {
			t.Errorf("a document was opened")
			return io.NopCloser(strings.NewReader("")), nil
		},
	}
	for d := range datasets {
		a := bundle.AssetFile{Kind: forj.KindDataset, Name: fmt.Sprintf("ds%04d", d), Spec: json.RawMessage(`{}`)}
		for i := range perDataset {
			a.Documents = append(a.Documents, bundle.DocumentRef{Name: fmt.Sprintf("d%02d.txt", i), SHA256: emptySHA})
		}
		e.Assets = append(e.Assets, a)
	}
	e.Assets = append(e.Assets, bundle.AssetFile{Kind: forj.KindFlow, Name: "one-too-many", Spec: json.RawMessage(`{}`)})
	_, err := bundle.Prepare(e)
	var fe *forj.Error
	if !errors.As(err, &fe) || fe.Code != forj.ETooLarge || !strings.Contains(fe.Message, strconv.FormatInt(max+1, 10)) || fe.Hint == "" {
		t.Fatalf("Prepare = %v, want too_large naming %d entries, with a hint", err, max+1)
	}
	var out bytes.Buffer
	if err := bundle.Write(&out, e); err == nil || out.Len() != 0 {
		t.Fatalf("Write = %v after %d bytes", err, out.Len())
	}
	// Without the flow it fits, and is read back.
	e.Assets = e.Assets[:datasets]
	e.OpenDocument = func(dataset, name string) (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("")), nil }
	p, err := bundle.Prepare(e)
	if err != nil || p.Entries() != int(max) {
		t.Fatalf("Prepare at the limit: %v, %v", err, p)
	}
	var full bytes.Buffer
	if err := p.Write(&full); err != nil {
		t.Fatal(err)
	}
	c := &collector{docs: map[string][]byte{}}
	if _, err := bundle.Read(&full, bundle.DefaultLimits(), c); err != nil {
		t.Fatalf("Read of a bundle at the entry limit: %v", err)
	}

	huge := bundle.AssetFile{Kind: forj.KindDataset, Name: "huge", Spec: json.RawMessage(`{}`)}
	for i := range 60_000 {
		huge.Documents = append(huge.Documents, bundle.DocumentRef{Name: fmt.Sprintf("d%06d.txt", i), SHA256: emptySHA})
	}
	_, err = bundle.Prepare(&bundle.Export{Assets: []bundle.AssetFile{huge}, OpenDocument: e.OpenDocument})
	if !errors.As(err, &fe) || fe.Code != forj.ETooLarge || !strings.Contains(fe.Message, "dataset huge is too large for a bundle") {
		t.Fatalf("Prepare of a dataset of 60,000 documents = %v, want too_large naming it", err)
	}
}

func TestWriteVerifiesDocuments(t *testing.T) {
	for name, content := range map[string]string{
		"different": "hellO",
		"shorter":   "hell",
		"longer":    "hello!",
	} {
		c := &bundletest.Contents{}
		c.AddDocument("ds", "doc", []byte("hello"))
		e := c.Export()
		e.OpenDocument = func(string, string) (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(content)), nil
		}
		err := bundle.Write(io.Discard, e)
		if err == nil || !strings.Contains(err.Error(), "documents/ds/doc") {
			t.Errorf("%s content: Write = %v, want an error naming documents/ds/doc", name, err)
		}
	}
}

func TestHostile(t *testing.T) {
	cases := bundletest.Hostile()
	if len(cases) < 22 {
		t.Fatalf("only %d hostile cases", len(cases))
	}
	names := map[string]bool{}
	for _, c := range cases {
		if names[c.Name] {
			t.Fatalf("case %s twice", c.Name)
		}
		names[c.Name] = true
		t.Run(c.Name, func(t *testing.T) {
			src := &countingReader{r: bytes.NewReader(c.Bundle)}
			h := &collector{}
			_, err := bundle.Read(src, bundle.DefaultLimits(), h)
			var es bundle.Errors
			if !errors.As(err, &es) {
				t.Fatalf("Read = %v, want bundle.Errors", err)
			}
			found := false
			for _, e := range es {
				if e.Entry == c.Entry && strings.Contains(e.Problem, c.Want) {
					found = true
				}
				if e.Problem == "" {
					t.Errorf("empty problem for %q", e.Entry)
				}
			}
			if !found {
				t.Errorf("no problem naming %q containing %q in:\n%v", c.Entry, c.Want, err)
			}
			if c.Entry != "" && !strings.Contains(err.Error(), strconv.Quote(c.Entry)) {
				t.Errorf("message does not name %q: %v", c.Entry, err)
			}
			// It never reads past the point of no return: the bomb is stopped early.
			if c.Name == "gzip-bomb" && src.n > int64(len(c.Bundle))/4 {
				t.Errorf("read %d of the bomb's %d compressed bytes", src.n, len(c.Bundle))
			}
		})
	}
	// WriteDir refuses each of them, leaving nothing behind.
	for _, c := range cases {
		dir := filepath.Join(t.TempDir(), "out")
		if err := bundle.WriteDir(bytes.NewReader(c.Bundle), dir, bundle.DefaultLimits()); err == nil {
			t.Errorf("%s: WriteDir accepted it", c.Name)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: WriteDir left %s behind", c.Name, dir)
		}
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestBombIsABomb(t *testing.T) {
	if testing.Short() {
		t.Skip("decompresses 256 MiB")
	}
	var bomb []byte
	for _, c := range bundletest.Hostile() {
		if c.Name == "gzip-bomb" {
			bomb = c.Bundle
		}
	}
	if len(bomb) > bundletest.BombSize/500 {
		t.Errorf("bomb of %d bytes is not small", len(bomb))
	}
	// It is a valid gzip stream of more than BombSize bytes.
	zr, err := gzipReader(bomb)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil || n < bundletest.BombSize {
		t.Fatalf("bomb decompresses to %d bytes (%v)", n, err)
	}
}

func TestHandlerErrors(t *testing.T) {
	b := bundletest.Valid()
	// A bundle problem from the handler is recorded; reading goes on to the end.
	h := &problemHandler{}
	_, err := bundle.Read(bytes.NewReader(b), bundle.DefaultLimits(), h)
	var es bundle.Errors
	if !errors.As(err, &es) || len(es) != 1 || es[0].Entry != "assets/flow/flow-b.json" {
		t.Fatalf("Read = %v", err)
	}
	if h.docs != 3 {
		t.Errorf("handler saw %d documents after its problem, want 3", h.docs)
	}
	// Any other error stops Read and comes back as is.
	boom := errors.New("database is down")
	_, err = bundle.Read(bytes.NewReader(b), bundle.DefaultLimits(), &failHandler{err: boom})
	if err != boom {
		t.Fatalf("Read = %v, want the handler's error", err)
	}
	// A document's reader reports a checksum mismatch at its end.
	var bad []byte
	for _, c := range bundletest.Hostile() {
		if c.Name == "document-checksum" {
			bad = c.Bundle
		}
	}
	dh := &collector{}
	_, err = bundle.Read(bytes.NewReader(bad), bundle.DefaultLimits(), dh)
	if !errors.As(err, &es) || len(es) != 1 || !strings.Contains(es[0].Problem, "sha256 mismatch") {
		t.Fatalf("Read = %v, want one sha256 problem", err)
	}
	if _, ok := dh.docs["handbook/guide.md"]; ok {
		t.Error("the handler's ReadAll of a corrupt document succeeded")
	}
}

type problemHandler struct {
	bundle.NopHandler
	docs int
}

func (p *problemHandler) Asset(a *bundle.AssetFile) error {
	if a.Name == "flow-b" {
		return bundle.Errorf(bundle.AssetPath(a.Kind, a.Name), "flow-b exists in the workspace already")
	}
	return nil
}

func (p *problemHandler) Document(string, bundle.DocumentRef, io.Reader) error { p.docs++; return nil }

type failHandler struct {
	bundle.NopHandler
	err error
}

func (f *failHandler) Asset(*bundle.AssetFile) error { return f.err }

func TestLimits(t *testing.T) {
	b := bundletest.Valid()
	for name, lim := range map[string]bundle.Limits{
		"entries":  {MaxEntries: 3},
		"asset":    {MaxAssetBytes: 100},
		"document": {MaxDocumentBytes: 100},
		"manifest": {MaxManifestBytes: 100},
		"total":    {MaxTotalBytes: 2000},
	} {
		_, err := bundle.Read(bytes.NewReader(b), lim, bundle.NopHandler{})
		var es bundle.Errors
		if !errors.As(err, &es) || !strings.Contains(err.Error(), "limit") {
			t.Errorf("%s: Read = %v, want a limit problem", name, err)
		}
	}
	// Zero limits are the defaults.
	if _, err := bundle.Read(bytes.NewReader(b), bundle.Limits{}, bundle.NopHandler{}); err != nil {
		t.Errorf("zero limits: %v", err)
	}
}

func TestManyFlows(t *testing.T) {
	c := bundletest.Flows(2000)
	b := write(t, c.Export())
	got := read(t, b)
	if len(got.assets) != 2000 {
		t.Fatalf("%d assets", len(got.assets))
	}
	if !bytes.Equal(b, write(t, got.contents(c.Workspace).Export())) {
		t.Error("not stable")
	}
}

func TestIOErrorIsNotABundleProblem(t *testing.T) {
	b := bundletest.Valid()
	boom := errors.New("connection reset")
	_, err := bundle.Read(io.MultiReader(bytes.NewReader(b[:len(b)/2]), &errReader{boom}), bundle.DefaultLimits(), bundle.NopHandler{})
	var es bundle.Errors
	if !errors.Is(err, boom) || errors.As(err, &es) {
		t.Fatalf("Read = %v, want the reader's error", err)
	}
}

type errReader struct{ err error }

func (e *errReader) Read([]byte) (int, error) { return 0, e.err }

func TestErrorsForj(t *testing.T) {
	es := bundle.Errors{bundle.Errorf("assets/flow/x.json", "bad"), {Problem: "truncated"}}
	fe := es.ForjError()
	if fe.Code != forj.EInvalid || len(fe.Details) != 2 || fe.Details[0] != `bundle entry "assets/flow/x.json": bad` || fe.Details[1] != "bundle: truncated" {
		t.Errorf("ForjError = %+v", fe)
	}
}

func gzipReader(b []byte) (io.Reader, error) { return gzip.NewReader(bytes.NewReader(b)) }

// rewordHandler turns every document error into its own, as a store writing blobs might.
type rewordHandler struct{ bundle.NopHandler }

func (rewordHandler) Document(_ string, _ bundle.DocumentRef, r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return forj.Errorf(forj.EInvalid, "reading the upload: %v", err)
	}
	return nil
}

func TestHandlerRewordsDocumentProblem(t *testing.T) {
	for _, c := range bundletest.Hostile() {
		if c.Name != "document-checksum" && c.Name != "truncated-tar" {
			continue
		}
		_, err := bundle.Read(bytes.NewReader(c.Bundle), bundle.DefaultLimits(), rewordHandler{})
		var es bundle.Errors
		if !errors.As(err, &es) || es[len(es)-1].Entry != c.Entry || !strings.Contains(es[len(es)-1].Problem, c.Want) {
			t.Errorf("%s: Read = %v, want the problem itself", c.Name, err)
		}
	}
}
