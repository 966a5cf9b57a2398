package bundlecmd_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forjinn/forjctl/pkg/cli"
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/forjtest"
	"github.com/forjinn/forjctl/pkg/iostreams"
)

type limitedBody struct {
	io.Reader
	io.Closer
}

// A proxy that ends the export's body early but cleanly (as a buggy proxy or a server cut
// between two chunks can): the stream looks complete to HTTP. The export must notice, fail,
// and leave no file behind.
func TestExportCutShortLeavesNothing(t *testing.T) {
	srv := forjtest.New(t)
	ctx := context.Background()
	c, err := client.New(client.Options{BaseURL: srv.URL, Token: srv.OwnerToken})
	if err != nil {
		t.Fatal(err)
	}
	w, err := c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := c.CreateAsset(ctx, w.ID, forj.CreateAssetRequest{Kind: forj.KindDataset, Name: "kb"})
	if err != nil {
		t.Fatal(err)
	}
	content := strings.Repeat("all work and no play ", 50000)
	if _, err := c.UploadDocument(ctx, w.ID, ds.ID, "doc.txt", strings.NewReader(content), int64(len(content)), client.UploadOptions{}); err != nil {
		t.Fatal(err)
	}

	u, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ModifyResponse = func(r *http.Response) error {
		if strings.HasSuffix(r.Request.URL.Path, "/export") {
			r.Body = limitedBody{io.LimitReader(r.Body, 2000), r.Body}
			r.ContentLength = -1
			r.Header.Del("Content-Length")
		}
		return nil
	}
	front := httptest.NewServer(proxy)
	defer front.Close()

	dir := t.TempDir()
	env := map[string]string{
		"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, ".config"), "XDG_CACHE_HOME": filepath.Join(dir, ".cache"),
		"FORJ_CREDENTIAL_STORE": "file", "FORJ_SERVER": front.URL, "FORJ_TOKEN": srv.OwnerToken,
	}
	run := func(args ...string) (int, string, string) {
		ios, _, out, errOut := iostreams.Test()
		code := cli.MainWith(ctx, args, &cmdutil.Factory{IOStreams: ios, Getenv: func(k string) string { return env[k] }})
		return code, out.String(), errOut.String()
	}

	dest := filepath.Join(dir, "dev.forj.tar.gz")
	code, _, stderr := run("export", "-w", "dev", "-f", dest)
	if code != cmdutil.ExitError || !strings.Contains(stderr, "Error: the bundle received is broken: ") || !strings.Contains(stderr, "Hint: nothing was written; run the export again") {
		t.Fatalf("a cut export: exit %d, stderr %q", code, stderr)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "forj") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
	// To standard output the bytes are gone, but the exit code still says it failed.
	if code, _, _ := run("export", "-w", "dev", "-f", "-"); code == 0 {
		t.Error("a cut export to stdout exited 0")
	}
	// The directory form removes what it wrote.
	if code, _, _ := run("export", "-w", "dev", "--format", "dir", "-f", filepath.Join(dir, "out")); code == 0 {
		t.Error("a cut export to a directory exited 0")
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("the directory was left: %v", err)
	}

	// Through the real server, all three work.
	env["FORJ_SERVER"] = srv.URL
	if code, _, stderr := run("export", "-w", "dev", "-f", dest); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	if fi, err := os.Stat(dest); err != nil || fi.Size() < 1000 {
		t.Errorf("export file: %v", err)
	}
}
