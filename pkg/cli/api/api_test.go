package api

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/iostreams"
)

func TestParsing(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(string) string { return "" }}
	file := filepath.Join(t.TempDir(), "desc.txt")
	if err := os.WriteFile(file, []byte("from a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	var got *Options
	cmd := NewCmd(f, func(o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"patch", "api/v1/workspace/ws_1",
		"-F", "n=3", "-F", "b=true", "-F", "z=null", "-F", "d=@" + file, "-F", "s=x=y",
		"-f", "raw=true", "-H", "If-Match: \"2\""})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Method != "PATCH" || got.Path != "/api/v1/workspace/ws_1" {
		t.Errorf("method %q path %q", got.Method, got.Path)
	}
	want := map[string]any{"n": int64(3), "b": true, "z": nil, "d": "from a file", "s": "x=y", "raw": "true"}
	for k, v := range want {
		if got.params[k] != v {
			t.Errorf("param %s = %#v, want %#v", k, got.params[k], v)
		}
	}
	if got.header.Get("If-Match") != `"2"` {
		t.Errorf("If-Match = %q", got.header.Get("If-Match"))
	}
}
