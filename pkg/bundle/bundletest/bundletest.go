// Package bundletest builds bundles for tests: valid ones (Sample, Flows, Contents.Bundle) and
// a corpus of hostile ones (Hostile), each with the entry its error must name. Server and CLI
// tests use it as well as pkg/bundle's own.
package bundletest

import (
	"archive/tar"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"strings"

	"github.com/forjinn/forjctl/pkg/bundle"
	"github.com/forjinn/forjctl/pkg/forj"
)

// Contents is a workspace's assets and documents in memory.
type Contents struct {
	Workspace bundle.WorkspaceInfo
	Assets    []bundle.AssetFile
	// Documents holds each document's bytes under "<dataset>/<name>".
	Documents map[string][]byte
}

// AddDocument adds a document to a dataset (creating the dataset's asset when missing) and
// records its size and sha256 in the dataset's Documents.
func (c *Contents) AddDocument(dataset, name string, data []byte) {
	if c.Documents == nil {
		c.Documents = map[string][]byte{}
	}
	c.Documents[dataset+"/"+name] = data
	sum := sha256.Sum256(data)
	ref := bundle.DocumentRef{Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	for i := range c.Assets {
		if a := &c.Assets[i]; a.Kind == forj.KindDataset && a.Name == dataset {
			a.Documents = append(a.Documents, ref)
			return
		}
	}
	c.Assets = append(c.Assets, bundle.AssetFile{Kind: forj.KindDataset, Name: dataset,
		Spec: json.RawMessage(`{}`), Documents: []bundle.DocumentRef{ref}})
}

// Export returns the bundle.Export of c, its documents read from memory.
func (c *Contents) Export() *bundle.Export {
	return &bundle.Export{
		Workspace: c.Workspace,
		Assets:    c.Assets,
		OpenDocument: func(dataset, name string) (io.ReadCloser, error) {
			data, ok := c.Documents[dataset+"/"+name]
			if !ok {
				return nil, fmt.Errorf("no document %s/%s", dataset, name)
			}
			return io.NopCloser(bytes.NewReader(data)), nil
		},
	}
}

// Bundle returns the tar.gz bundle of c; it panics if c is not valid.
func (c *Contents) Bundle() []byte {
	var b bytes.Buffer
	if err := bundle.Write(&b, c.Export()); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// TestWorkspace is the workspace Sample and Flows describe.
var TestWorkspace = bundle.WorkspaceInfo{ID: "ws_0123456789abcdef", Name: "acme-dev",
	Description: "Acme's development workspace", Environment: "dev"}

// Sample returns a small workspace with one asset or more of every kind: flows (one with
// numbers that do not fit a float64, HTML characters and non-ASCII text in its spec), an
// agent, a tool, an integration, a credential with a secret (a stub) and one without, and a
// dataset with three documents (one empty, one with a non-ASCII name).
func Sample() *Contents {
	c := &Contents{Workspace: TestWorkspace}
	c.Assets = []bundle.AssetFile{
		{Kind: forj.KindFlow, Name: "flow-a", Description: "First flow", Labels: map[string]string{"team": "support", "tier": "gold"},
			Spec: json.RawMessage(`{"nodes":[{"id":"n1","type":"llm","temperature":0.70}],"edges":[],"version":12345678901234567890123}`)},
		{Kind: forj.KindFlow, Name: "flow-b",
			Spec: json.RawMessage(`{"html":"<b>bold</b> & co","text":"grüße, 東京","z":{"b":1,"a":[true,false,null]}}`)},
		{Kind: forj.KindFlow, Name: "onboarding flow", Description: "A name with a space",
			Spec: json.RawMessage(`{"steps":["welcome","verify"]}`)},
		{Kind: forj.KindAgent, Name: "support-agent", Spec: json.RawMessage(`{"model":"gpt-4o","tools":["search"]}`)},
		{Kind: forj.KindTool, Name: "search", Spec: json.RawMessage(`{"endpoint":"https://search.example.com","timeoutMs":1500}`)},
		{Kind: forj.KindIntegration, Name: "slack", Labels: map[string]string{"env": "dev"}, Spec: json.RawMessage(`{"channel":"#support"}`)},
		{Kind: forj.KindCredential, Name: "openai", Spec: json.RawMessage(`{"provider":"openai"}`), Secret: &bundle.SecretField{Stub: true}},
		{Kind: forj.KindCredential, Name: "public", Spec: json.RawMessage(`{"provider":"none"}`)},
		{Kind: forj.KindDataset, Name: "handbook", Description: "The support handbook", Spec: json.RawMessage(`{"chunking":{"size":512}}`)},
	}
	c.AddDocument("handbook", "guide.md", []byte(strings.Repeat("# Guide\n\nBe kind to customers.\n", 40)))
	c.AddDocument("handbook", "empty.txt", nil)
	c.AddDocument("handbook", "résumé.pdf", []byte("%PDF-1.4 not really a pdf\x00\x01\x02\xff"))
	return c
}

// Flows returns a workspace with n flows named flow-00000, flow-00001, …
func Flows(n int) *Contents {
	c := &Contents{Workspace: TestWorkspace}
	for i := range n {
		c.Assets = append(c.Assets, bundle.AssetFile{Kind: forj.KindFlow, Name: fmt.Sprintf("flow-%05d", i),
			Labels: map[string]string{"batch": fmt.Sprint(i % 10)},
			Spec:   json.RawMessage(fmt.Sprintf(`{"nodes":[{"id":"n%d","type":"llm"}],"edges":[]}`, i))})
	}
	return c
}

// Valid returns Sample's bundle.
func Valid() []byte { return Sample().Bundle() }

// File is one tar entry: its header and its content.
type File struct {
	Header tar.Header
	Data   []byte
}

// Files unpacks a tar.gz into its entries (as they are, unchecked); it panics on a broken
// archive.
func Files(tgz []byte) []File {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		panic(err)
	}
	tr := tar.NewReader(zr)
	var out []File
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			panic(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			panic(err)
		}
		out = append(out, File{Header: *h, Data: data})
	}
}

// Tar writes the entries as a tar archive (headers as given).
func Tar(files []File) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, f := range files {
		h := f.Header
		if err := tw.WriteHeader(&h); err != nil {
			panic(err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			panic(err)
		}
	}
	if err := tw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// Gzip compresses data (best compression, no name, time 0).
func Gzip(data []byte) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

// Pack returns the tar.gz of the entries.
func Pack(files []File) []byte { return Gzip(Tar(files)) }

// RegularFile returns a regular-file entry as bundle.Write writes it.
func RegularFile(path string, data []byte) File {
	return File{Header: tar.Header{Typeflag: tar.TypeReg, Name: path, Size: int64(len(data)), Mode: 0o644,
		ModTime: epoch, Format: tar.FormatPAX}, Data: data}
}

// ZeroBomb returns a gzip stream of prefix followed by zeros (a multiple of 1 MiB) zero
// bytes, built without compressing them all: it is about a thousandth of their size.
func ZeroBomb(prefix []byte, zeros int64) []byte {
	const chunk = 1 << 20
	if zeros%chunk != 0 || zeros < 4*chunk {
		panic("bundletest: ZeroBomb wants a multiple of 1 MiB, at least 4 MiB")
	}
	var b bytes.Buffer
	b.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff}) // gzip header: deflate, no flags, time 0, OS unknown
	fw, _ := flate.NewWriter(&b, flate.BestCompression)
	fw.Write(prefix)
	fw.Flush()
	zero := make([]byte, chunk)
	// Once the window is all zeros, every flushed 1 MiB of zeros compresses to the same bytes
	// (checked on 4 chunks; otherwise it compresses them all).
	var chunks [][]byte
	for range 4 {
		start := b.Len()
		fw.Write(zero)
		fw.Flush()
		chunks = append(chunks, append([]byte(nil), b.Bytes()[start:]...))
	}
	periodic := bytes.Equal(chunks[1], chunks[2]) && bytes.Equal(chunks[2], chunks[3])
	for range zeros/chunk - 4 {
		if periodic {
			b.Write(chunks[3])
		} else {
			fw.Write(zero)
		}
	}
	fw.Close() // the final, empty block
	crc := crc32.ChecksumIEEE(prefix)
	for range zeros / chunk {
		crc = crc32.Update(crc, crc32.IEEETable, zero)
	}
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:4], crc)
	binary.LittleEndian.PutUint32(trailer[4:], uint32(int64(len(prefix))+zeros))
	b.Write(trailer[:])
	return b.Bytes()
}
