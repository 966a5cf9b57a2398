package bundle_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/forjinn/forjctl/pkg/bundle"
	"github.com/forjinn/forjctl/pkg/bundle/bundletest"
)

// fuzzLimits keep each run small: a bomb stops at 8 MiB.
var fuzzLimits = bundle.Limits{MaxManifestBytes: 1 << 20, MaxAssetBytes: 256 << 10, MaxEntries: 1000,
	MaxTotalBytes: 8 << 20, MaxDocumentBytes: 4 << 20}

// FuzzRead: Read never panics, reports every failure as bundle problems with words, and what
// it accepts writes back into a bundle that reads the same and is canonical (a second
// round gives identical bytes).
func FuzzRead(f *testing.F) {
	f.Add(bundletest.Valid())
	f.Add(write(f, bundletest.Flows(3).Export()))
	f.Add(write(f, (&bundletest.Contents{}).Export()))
	for _, c := range bundletest.Hostile() {
		if len(c.Bundle) <= 64<<10 {
			f.Add(c.Bundle)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, data) })
}

// FuzzArchive fuzzes the archive inside the gzip stream (which FuzzRead's mutations mostly
// break at its checksum): the tar headers, the manifest and the asset files.
func FuzzArchive(f *testing.F) {
	seeds := [][]byte{bundletest.Valid(), write(f, bundletest.Flows(3).Export())}
	for _, c := range bundletest.Hostile() {
		if len(c.Bundle) <= 64<<10 {
			seeds = append(seeds, c.Bundle)
		}
	}
	for _, b := range seeds {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			continue
		}
		if tb, err := io.ReadAll(zr); err == nil {
			f.Add(tb)
		}
	}
	f.Fuzz(func(t *testing.T, tb []byte) { checkRead(t, bundletest.Gzip(tb)) })
}

// checkRead reads data and checks what FuzzRead promises.
func checkRead(t *testing.T, data []byte) {
	c := &collector{}
	m, err := bundle.Read(bytes.NewReader(data), fuzzLimits, c)
	if err != nil {
		var es bundle.Errors
		if !errors.As(err, &es) || len(es) == 0 {
			t.Fatalf("Read = %#v, want bundle.Errors", err)
		}
		for _, e := range es {
			if e.Problem == "" {
				t.Fatalf("a problem without words for %q", e.Entry)
			}
		}
		return
	}
	if m == nil {
		t.Fatal("Read accepted a bundle without returning its manifest")
	}
	first := rewrite(t, m, c)
	c2 := &collector{}
	m2, err := bundle.Read(bytes.NewReader(first), bundle.DefaultLimits(), c2)
	if err != nil {
		t.Fatalf("Read of the rewritten bundle: %v", err)
	}
	if len(c2.assets) != len(c.assets) || len(c2.docs) != len(c.docs) {
		t.Fatalf("rewritten: %d assets, %d documents; was %d, %d", len(c2.assets), len(c2.docs), len(c.assets), len(c.docs))
	}
	for k, d := range c.docs {
		if !bytes.Equal(c2.docs[k], d) {
			t.Fatalf("document %s changed", k)
		}
	}
	if second := rewrite(t, m2, c2); !bytes.Equal(first, second) {
		t.Fatal("writing what was read twice gives different bytes")
	}
}

func rewrite(t *testing.T, m *bundle.Manifest, c *collector) []byte {
	var b bytes.Buffer
	err := bundle.Write(&b, &bundle.Export{Workspace: m.Workspace, Encryption: m.Encryption, Assets: c.assets,
		OpenDocument: func(ds, name string) (io.ReadCloser, error) {
			d, ok := c.docs[ds+"/"+name]
			if !ok {
				return nil, fmt.Errorf("no document %s/%s", ds, name)
			}
			return io.NopCloser(bytes.NewReader(d)), nil
		}})
	if err != nil {
		t.Fatalf("Write of what Read accepted: %v", err)
	}
	return b.Bytes()
}
