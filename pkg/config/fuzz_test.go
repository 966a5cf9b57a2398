package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzLoad: Load must never panic, and whatever it accepts must survive a write and a
// re-read unchanged (what Update does to a file).
func FuzzLoad(f *testing.F) {
	f.Add([]byte("current-context: dev\ncontexts:\n  dev:\n    server: http://127.0.0.1:8080\n    user: a@b\n    workspace: ws_1\n    workspace-name: Default\n    insecure: true\n"))
	f.Add([]byte("credential-store: file\ncontexts: {}\n"))
	f.Add([]byte("contexts:\n  a.b.c:\n    server: x\n"))
	f.Add([]byte(""))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path)
		if err != nil {
			return
		}
		if c.validate() != nil {
			return // Update would refuse to write it back.
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a loaded config: %v", err)
		}
		if err := os.WriteFile(path, out, 0o600); err != nil {
			t.Fatal(err)
		}
		again, err := Load(path)
		if err != nil {
			t.Fatalf("re-reading our own output failed: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(c, again) {
			t.Fatalf("round trip changed the config:\n%+v\n%+v\n%s", c, again, out)
		}
	})
}
