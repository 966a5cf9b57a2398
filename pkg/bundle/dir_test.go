package bundle_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/forjinn/forjctl/pkg/bundle"
	"github.com/forjinn/forjctl/pkg/bundle/bundletest"
)

func writeDir(t *testing.T, b []byte) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bundle")
	if err := bundle.WriteDir(bytes.NewReader(b), dir, bundle.DefaultLimits()); err != nil {
		t.Fatalf("WriteDir: %v", err)
	}
	return dir
}

func TestDirRoundTrip(t *testing.T) {
	b := bundletest.Valid()
	dir := writeDir(t, b)

	// The directory holds the archive's entries, byte for byte.
	for _, f := range bundletest.Files(b) {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Header.Name)))
		if err != nil || !bytes.Equal(got, f.Data) {
			t.Errorf("%s: %v (%d bytes, want %d)", f.Header.Name, err, len(got), len(f.Data))
		}
	}
	var packed bytes.Buffer
	if err := bundle.PackDir(dir, &packed, bundle.DefaultLimits()); err != nil {
		t.Fatalf("PackDir: %v", err)
	}
	if !bytes.Equal(packed.Bytes(), b) {
		t.Fatal("Write → WriteDir → PackDir does not give the same bytes")
	}

	// Flows only, many of them, and an existing empty directory.
	b = write(t, bundletest.Flows(300).Export())
	dir = t.TempDir()
	if err := bundle.WriteDir(bytes.NewReader(b), dir, bundle.DefaultLimits()); err != nil {
		t.Fatal(err)
	}
	packed.Reset()
	if err := bundle.PackDir(dir, &packed, bundle.DefaultLimits()); err != nil || !bytes.Equal(packed.Bytes(), b) {
		t.Fatalf("PackDir: %v (identical: %v)", err, bytes.Equal(packed.Bytes(), b))
	}
}

func TestWriteDirRefuses(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("mine"), 0o644)
	if err := bundle.WriteDir(bytes.NewReader(bundletest.Valid()), dir, bundle.DefaultLimits()); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("WriteDir into a non-empty directory: %v", err)
	}
	// A hostile bundle into an existing empty directory leaves it empty (and there).
	empty := t.TempDir()
	var bad []byte
	for _, c := range bundletest.Hostile() {
		if c.Name == "document-checksum" {
			bad = c.Bundle
		}
	}
	if err := bundle.WriteDir(bytes.NewReader(bad), empty, bundle.DefaultLimits()); err == nil {
		t.Fatal("WriteDir accepted a corrupt document")
	}
	if names, _ := os.ReadDir(empty); len(names) != 0 {
		t.Errorf("WriteDir left %v behind", names)
	}
}

func TestPackDirRejects(t *testing.T) {
	b := bundletest.Valid()
	outside := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(outside, []byte("root:x:0:0"), 0o600)
	for _, c := range []struct {
		name  string
		edit  func(dir string)
		entry string
		want  string
	}{
		{"symlink", func(d string) { os.Symlink(outside, filepath.Join(d, "assets/flow/link.json")) }, "assets/flow/link.json", "symbolic link"},
		{"symlinked listed file", func(d string) {
			p := filepath.Join(d, "assets/flow/flow-a.json")
			os.Rename(p, outside+".json")
			os.Symlink(outside+".json", p)
		}, "assets/flow/flow-a.json", "symbolic link"},
		{"symlinked directory", func(d string) {
			os.Rename(filepath.Join(d, "documents"), outside+".d")
			os.Symlink(outside+".d", filepath.Join(d, "documents"))
		}, "documents", "symbolic link"},
		{"extra file", func(d string) { os.WriteFile(filepath.Join(d, "assets/flow/extra.json"), []byte("{}"), 0o644) }, "assets/flow/extra.json", "not listed in manifest.json"},
		{"extra top-level file", func(d string) { os.WriteFile(filepath.Join(d, "README.md"), []byte("hi"), 0o644) }, "README.md", "not part of the bundle layout"},
		{"extra directory", func(d string) { os.MkdirAll(filepath.Join(d, ".git/objects"), 0o755) }, ".git", "not part of the bundle layout"},
		{"bad path", func(d string) { os.WriteFile(filepath.Join(d, "assets/flow/x.txt"), []byte("{}"), 0o644) }, "assets/flow/x.txt", ".json"},
		{"missing file", func(d string) { os.Remove(filepath.Join(d, "documents/handbook/guide.md")) }, "documents/handbook/guide.md", "missing"},
		{"bad checksum", func(d string) {
			p := filepath.Join(d, "documents/handbook/guide.md")
			data, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(data, []byte("kind"), []byte("mean"), 1), 0o644)
		}, "documents/handbook/guide.md", "sha256 mismatch"},
		{"size", func(d string) {
			f, _ := os.OpenFile(filepath.Join(d, "assets/flow/flow-b.json"), os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString(" ")
			f.Close()
		}, "assets/flow/flow-b.json", "size mismatch"},
		{"no manifest", func(d string) { os.Remove(filepath.Join(d, "manifest.json")) }, "manifest.json", "missing"},
		{"bad manifest", func(d string) {
			os.WriteFile(filepath.Join(d, "manifest.json"), []byte(`{"format":"forj-bundle","version":7}`), 0o644)
		}, "manifest.json", "version 7"},
		{"fifo", func(d string) { mkfifo(filepath.Join(d, "assets/flow/pipe.json")) }, "assets/flow/pipe.json", "not a regular file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "fifo" && !canMkfifo {
				t.Skip("no FIFOs here")
			}
			dir := writeDir(t, b)
			c.edit(dir)
			var out bytes.Buffer
			err := bundle.PackDir(dir, &out, bundle.DefaultLimits())
			var es bundle.Errors
			if !errors.As(err, &es) {
				t.Fatalf("PackDir = %v, want bundle.Errors", err)
			}
			found := false
			for _, e := range es {
				found = found || e.Entry == c.entry && strings.Contains(e.Problem, c.want)
			}
			if !found || !strings.Contains(err.Error(), strconv.Quote(c.entry)) {
				t.Errorf("no problem naming %q containing %q in:\n%v", c.entry, c.want, err)
			}
			if out.Len() != 0 {
				t.Errorf("PackDir wrote %d bytes despite the problems", out.Len())
			}
		})
	}
}
