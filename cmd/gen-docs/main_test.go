package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// repoRoot is where the committed reference lives, relative to this package.
const repoRoot = "../.."

// TestGeneratedFilesUpToDate regenerates the reference into a temporary directory and fails,
// naming every stale, missing and extra file, when the committed files differ. CI runs
// 'go test ./...', so a command change without 'go generate ./pkg/cli' fails CI.
func TestGeneratedFilesUpToDate(t *testing.T) {
	tmp := t.TempDir()
	if err := generate(tmp); err != nil {
		t.Fatal(err)
	}
	var stale []string
	for _, dir := range []string{markdownDir, manDir, completionsDir} {
		want := readDir(t, filepath.Join(tmp, dir))
		got := readDir(t, filepath.Join(repoRoot, dir))
		for name, w := range want {
			g, ok := got[name]
			switch {
			case !ok:
				stale = append(stale, dir+"/"+name+" (missing)")
			case !bytes.Equal(g, w):
				stale = append(stale, dir+"/"+name+" (differs)")
			}
		}
		for name := range got {
			if _, ok := want[name]; !ok && generatedName(dir, name) {
				stale = append(stale, dir+"/"+name+" (no such command any more)")
			}
		}
	}
	if len(stale) > 0 {
		slices.Sort(stale)
		t.Fatalf("the generated CLI reference is stale; run 'go generate ./pkg/cli' and commit the result:\n  %s",
			strings.Join(stale, "\n  "))
	}
}

// TestGenerateDeterministic checks that two runs write the same bytes (no dates, no map order)
// and that nothing from the generating machine, such as its home directory, leaks in.
func TestGenerateDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	if err := generate(a); err != nil {
		t.Fatal(err)
	}
	if err := generate(b); err != nil {
		t.Fatal(err)
	}
	home, _ := os.UserHomeDir()
	for _, dir := range []string{markdownDir, manDir, completionsDir} {
		fa, fb := readDir(t, filepath.Join(a, dir)), readDir(t, filepath.Join(b, dir))
		if len(fa) == 0 {
			t.Errorf("%s: nothing generated", dir)
		}
		for name, content := range fa {
			if !bytes.Equal(content, fb[name]) {
				t.Errorf("%s/%s differs between two runs", dir, name)
			}
			if home != "" && home != "/" && bytes.Contains(content, []byte(home)) {
				t.Errorf("%s/%s contains this machine's home directory %s", dir, name, home)
			}
			if bytes.Contains(content, []byte("Auto generated")) {
				t.Errorf("%s/%s has cobra's dated footer", dir, name)
			}
		}
	}
	for _, page := range []string{"forjctl_workspace_switch.md", "forjctl.md"} {
		if _, ok := readDir(t, filepath.Join(a, markdownDir))[page]; !ok {
			t.Errorf("no %s/%s", markdownDir, page)
		}
	}
}

// generatedName reports whether a file in dir is one gen-docs owns (and so would remove).
func generatedName(dir, name string) bool {
	switch dir {
	case markdownDir:
		return strings.HasSuffix(name, ".md")
	case manDir:
		return strings.HasSuffix(name, ".1")
	}
	return strings.HasPrefix(name, "forjctl.")
}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return files
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}
