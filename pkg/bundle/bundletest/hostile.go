package bundletest

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/forjinn/forjctl/pkg/bundle"
)

// Case is one hostile bundle: reading it must fail with a problem that names Entry ("" for
// a problem of the whole archive) and whose message contains Want.
type Case struct {
	Name   string
	Bundle []byte
	Entry  string
	Want   string
}

var epoch = time.Unix(0, 0)

// BombSize is how many bytes the gzip bomb of Hostile decompresses to.
const BombSize = 256 << 20

// Hostile returns the corpus of hostile bundles, each built from Sample by one change.
// Reading each with bundle.DefaultLimits must fail naming the case's Entry.
func Hostile() []Case {
	valid := Valid()
	var cases []Case
	add := func(name string, b []byte, entry, want string) {
		cases = append(cases, Case{Name: name, Bundle: b, Entry: entry, Want: want})
	}
	const (
		flowA    = "assets/flow/flow-a.json"
		flowB    = "assets/flow/flow-b.json"
		agent    = "assets/agent/support-agent.json"
		dataset  = "assets/dataset/handbook.json"
		guide    = "documents/handbook/guide.md"
		manifest = bundle.ManifestPath
	)

	// Paths and entry types.
	add("path-traversal", Pack(insert(base(), RegularFile("assets/flow/../../../etc/evil.json", []byte("{}")))),
		"assets/flow/../../../etc/evil.json", `".." in path`)
	add("absolute-path", Pack(insert(base(), RegularFile("/etc/cron.d/evil", []byte("* * * * * root sh\n")))),
		"/etc/cron.d/evil", "absolute path")
	add("backslash-path", Pack(insert(base(), RegularFile(`assets\flow\evil.json`, []byte("{}")))),
		`assets\flow\evil.json`, "backslash")
	add("dot-segment", Pack(insert(base(), RegularFile("assets/./flow/flow-a.json", []byte("{}")))),
		"assets/./flow/flow-a.json", `"." segment`)
	add("empty-segment", Pack(insert(base(), RegularFile("assets//flow-a.json", []byte("{}")))),
		"assets//flow-a.json", "empty path segment")
	add("symlink", Pack(insert(base(), link(tar.TypeSymlink, "assets/flow/link.json", "/etc/passwd"))),
		"assets/flow/link.json", "symbolic link")
	add("hardlink", Pack(insert(base(), link(tar.TypeLink, "documents/handbook/hard", "/etc/shadow"))),
		"documents/handbook/hard", "hard link")
	add("device", Pack(insert(base(), File{Header: tar.Header{Typeflag: tar.TypeChar, Name: "assets/flow/tty.json",
		Devmajor: 5, Mode: 0o666, ModTime: epoch, Format: tar.FormatPAX}})),
		"assets/flow/tty.json", "device")
	add("directory-outside-layout", Pack(insert(base(), File{Header: tar.Header{Typeflag: tar.TypeDir, Name: "etc/",
		Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}})),
		"etc/", "directory entry")
	add("unknown-kind", Pack(addListed(base(), RegularFile("assets/widget/w.json",
		[]byte(`{"kind":"widget","name":"w","spec":{}}`)))),
		"assets/widget/w.json", "unknown asset kind")
	add("name-with-trailing-space", Pack(addListed(base(), RegularFile("assets/flow/flow-a .json",
		[]byte(`{"kind":"flow","name":"flow-a ","spec":{}}`)))),
		"assets/flow/flow-a .json", "space")

	// The compressed stream and the archive.
	add("gzip-bomb", bomb(), "", "gzip bomb")
	add("truncated-gzip", valid[:len(valid)*2/3], "", "truncated gzip")
	tb := Tar(base())
	cut := bytes.Index(tb, []byte("Be kind to customers")) + 100
	add("truncated-tar", Gzip(tb[:cut]), "", "truncated tar")
	add("not-gzip", tb, "", "not a gzip stream")
	add("empty-input", nil, "", "empty input")
	add("trailing-garbage-gzip", append(slices.Clip(valid), "GARBAGE"...), "", "trailing data after the gzip stream")
	add("trailing-garbage-tar", Gzip(append(Tar(base()), bytes.Repeat([]byte("x"), 512)...)), "", "trailing data after the end of the tar archive")
	add("no-manifest", Pack(base()[1:]), agent, "first entry must be manifest.json")
	fs := base()
	fs[0], fs[1] = fs[1], fs[0]
	add("manifest-not-first", Pack(fs), agent, "first entry must be manifest.json")
	fs = base()
	i := find(fs, flowA)
	add("duplicate-entry", Pack(slices.Insert(fs, i+1, fs[i])), flowA, "duplicate entry")
	add("not-in-manifest", Pack(insert(base(), RegularFile("assets/flow/extra.json",
		[]byte(`{"kind":"flow","name":"extra","spec":{}}`)))),
		"assets/flow/extra.json", "not listed in manifest.json")
	fs = base()
	add("missing-from-archive", Pack(slices.Delete(fs, find(fs, flowB), find(fs, flowB)+1)), flowB, "missing from the bundle")
	add("global-pax-header", Pack(insert(base(), File{Header: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header",
		PAXRecords: map[string]string{"comment": "hi"}, Format: tar.FormatPAX}})),
		"pax_global_header", "global PAX header")

	// The manifest.
	add("unknown-version", Pack(editManifest(base(), func(m map[string]any) { m["version"] = 2 })),
		manifest, "version 2 is not supported")
	add("wrong-format", Pack(editManifest(base(), func(m map[string]any) { m["format"] = "zip-bundle" })),
		manifest, `format "zip-bundle"`)
	add("manifest-unknown-field", Pack(editManifest(base(), func(m map[string]any) { m["signature"] = "trust me" })),
		manifest, `unknown field "signature"`)
	fs = base()
	fs[0] = RegularFile(manifest, bytes.TrimSuffix(fs[0].Data, []byte("}\n")))
	add("malformed-manifest", Pack(fs), manifest, "malformed JSON")
	add("manifest-unsorted", Pack(editManifest(base(), func(m map[string]any) {
		es := m["entries"].([]any)
		es[0], es[1] = es[1], es[0]
	})), agent, "not sorted")
	add("manifest-bad-sha256", Pack(editManifest(base(), func(m map[string]any) {
		entry(m, flowA)["sha256"] = "XYZ"
	})), flowA, "64 lower-case hex")

	// Sizes and checksums.
	fs = base()
	i = find(fs, flowA)
	fs[i].Data = bytes.Replace(fs[i].Data, []byte("First flow"), []byte("Fake! flow"), 1)
	add("asset-checksum", Pack(fs), flowA, "sha256 mismatch")
	fs = base()
	i = find(fs, guide)
	fs[i].Data = bytes.Replace(fs[i].Data, []byte("kind"), []byte("mean"), 1)
	add("document-checksum", Pack(fs), guide, "sha256 mismatch")
	fs = base()
	i = find(fs, flowB)
	fs[i].Data = append(slices.Clip(fs[i].Data), '\n')
	fs[i].Header.Size++
	add("size-mismatch", Pack(fs), flowB, "size mismatch")
	big := `{"kind":"flow","name":"big","description":"` + strings.Repeat("a", 9<<20) + `","spec":{}}`
	add("oversize-asset", Pack(addListed(base(), RegularFile("assets/flow/big.json", []byte(big)))),
		"assets/flow/big.json", "the limit is")

	// Asset files.
	add("malformed-asset", Pack(setListed(base(), flowA, []byte(`{"kind": "flow", "name": "flow-a", `))),
		flowA, "malformed JSON")
	add("asset-unknown-field", Pack(editAsset(base(), flowA, func(a map[string]any) { a["id"] = "ast_123" })),
		flowA, `unknown field "id"`)
	add("name-mismatch", Pack(editAsset(base(), flowA, func(a map[string]any) { a["name"] = "flow-b" })),
		flowA, "do not match the path")
	add("invalid-label", Pack(editAsset(base(), flowA, func(a map[string]any) {
		a["labels"] = map[string]any{"Bad Key": "x"}
	})), flowA, "label key")
	add("spec-not-object", Pack(editAsset(base(), flowA, func(a map[string]any) { a["spec"] = []any{1, 2} })),
		flowA, `"spec" must be a JSON object`)
	add("secret-on-flow", Pack(editAsset(base(), flowA, func(a map[string]any) {
		a["secret"] = map[string]any{"stub": true}
	})), flowA, "only credentials hold secret data")
	add("documents-on-flow", Pack(editAsset(base(), flowA, func(a map[string]any) { a["documents"] = []any{} })),
		flowA, "only datasets hold documents")
	add("sealed-without-encryption", Pack(editAsset(base(), "assets/credential/openai.json", func(a map[string]any) {
		a["secret"] = map[string]any{"sealed": strings.Repeat("QUFB", 12)}
	})), "assets/credential/openai.json", "no encryption block")

	deep := `{"kind":"flow","name":"deep","spec":{"a":` + strings.Repeat("[", 3000) + strings.Repeat("]", 3000) + `}}`
	add("deeply-nested-spec", Pack(addListed(base(), RegularFile("assets/flow/deep.json", []byte(deep)))),
		"assets/flow/deep.json", "in canonical form")

	// Documents.
	add("unknown-dataset", Pack(addListed(base(), RegularFile("documents/ghost/a.txt", []byte("boo")))),
		"documents/ghost/a.txt", "unknown dataset")
	add("document-not-referenced", Pack(addListed(base(), RegularFile("documents/handbook/extra.txt", []byte("extra")))),
		"documents/handbook/extra.txt", "not listed in its dataset's")
	add("document-referenced-missing", Pack(editAsset(base(), dataset, func(a map[string]any) {
		docs := a["documents"].([]any)
		a["documents"] = append(docs, map[string]any{"name": "lost.txt", "size": 1,
			"sha256": strings.Repeat("0", 64)})
	})), dataset, `document "lost.txt" is not in the bundle`)
	return cases
}

// base returns Sample's entries.
func base() []File { return Files(Valid()) }

func find(fs []File, path string) int {
	for i, f := range fs {
		if f.Header.Name == path {
			return i
		}
	}
	panic("bundletest: no entry " + path)
}

// insert puts f right after the manifest.
func insert(fs []File, f File) []File { return slices.Insert(fs, 1, f) }

func link(typ byte, name, target string) File {
	return File{Header: tar.Header{Typeflag: typ, Name: name, Linkname: target, Mode: 0o777, ModTime: epoch, Format: tar.FormatPAX}}
}

func sum(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// manifestOf decodes the manifest entry (numbers kept).
func manifestOf(fs []File) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(fs[0].Data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		panic(err)
	}
	return m
}

func entry(m map[string]any, path string) map[string]any {
	for _, e := range m["entries"].([]any) {
		if e := e.(map[string]any); e["path"] == path {
			return e
		}
	}
	panic("bundletest: manifest lists no " + path)
}

func encode(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

// editManifest rewrites the manifest after edit changed it.
func editManifest(fs []File, edit func(m map[string]any)) []File {
	m := manifestOf(fs)
	edit(m)
	fs[0] = RegularFile(bundle.ManifestPath, encode(m))
	return fs
}

// addListed adds f to the archive and to the manifest, both in path order.
func addListed(fs []File, f File) []File {
	fs = editManifest(fs, func(m map[string]any) {
		es := m["entries"].([]any)
		es = append(es, map[string]any{"path": f.Header.Name, "size": len(f.Data), "sha256": sum(f.Data)})
		slices.SortFunc(es, func(a, b any) int {
			return strings.Compare(a.(map[string]any)["path"].(string), b.(map[string]any)["path"].(string))
		})
		m["entries"] = es
	})
	at := len(fs)
	for i, g := range fs[1:] {
		if g.Header.Name > f.Header.Name {
			at = i + 1
			break
		}
	}
	return slices.Insert(fs, at, f)
}

// setListed replaces an entry's content and its manifest record.
func setListed(fs []File, path string, data []byte) []File {
	i := find(fs, path)
	fs[i] = RegularFile(path, data)
	return editManifest(fs, func(m map[string]any) {
		e := entry(m, path)
		e["size"], e["sha256"] = len(data), sum(data)
	})
}

// editAsset rewrites an asset file (and its manifest record) after edit changed it.
func editAsset(fs []File, path string, edit func(a map[string]any)) []File {
	dec := json.NewDecoder(bytes.NewReader(fs[find(fs, path)].Data))
	dec.UseNumber()
	var a map[string]any
	if err := dec.Decode(&a); err != nil {
		panic(err)
	}
	edit(a)
	return setListed(fs, path, encode(a))
}

// bomb is Sample's archive followed by an entry that is not listed and decompresses to
// BombSize zero bytes; compressed, the whole is about 300 KB.
func bomb() []byte {
	fs := base()
	tb := Tar(fs)
	tb = tb[:len(tb)-1024] // without the end-of-archive marker
	var hb bytes.Buffer
	tw := tar.NewWriter(&hb)
	size := int64(BombSize - 1024) // then the two zero blocks that end the archive
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "documents/handbook/zz-bomb", Size: size, Mode: 0o644,
		ModTime: epoch, Format: tar.FormatPAX}) // the header is written at once; its content is the zeros
	return ZeroBomb(append(tb, hb.Bytes()...), BombSize)
}
