package asset_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/forjinn/forjctl/pkg/cli"
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/forjtest"
	"github.com/forjinn/forjctl/pkg/iostreams"
)

type fixture struct {
	t        *testing.T
	srv      *forjtest.Server
	c        *client.Client
	dev, prd *forj.Workspace
}

func newFixture(t *testing.T, flows int) *fixture {
	t.Helper()
	srv := forjtest.New(t)
	c, err := client.New(client.Options{BaseURL: srv.URL, Token: srv.OwnerToken})
	if err != nil {
		t.Fatal(err)
	}
	fx := &fixture{t: t, srv: srv, c: c}
	ctx := context.Background()
	if fx.dev, err = c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "dev"}); err != nil {
		t.Fatal(err)
	}
	if fx.prd, err = c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "prod"}); err != nil {
		t.Fatal(err)
	}
	for i := range flows {
		if _, err := c.CreateAsset(ctx, fx.dev.ID, forj.CreateAssetRequest{Kind: forj.KindFlow, Name: fmt.Sprintf("flow-%03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	return fx
}

// names lists the flow names of a workspace.
func (fx *fixture) names(ws *forj.Workspace) []string {
	fx.t.Helper()
	var out []string
	for a, err := range fx.c.AllAssets(context.Background(), ws.ID, client.AssetListOptions{Kind: forj.KindFlow, ListOptions: client.ListOptions{Limit: forj.MaxLimit}}) {
		if err != nil {
			fx.t.Fatal(err)
		}
		out = append(out, a.Name)
	}
	return out
}

// run runs forjctl in-process against server (the real one, or a proxy in front of it).
func (fx *fixture) run(ctx context.Context, server string, tty bool, args ...string) (int, string, string) {
	fx.t.Helper()
	dir := fx.t.TempDir()
	env := map[string]string{
		"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, ".config"), "XDG_CACHE_HOME": filepath.Join(dir, ".cache"),
		"FORJ_CREDENTIAL_STORE": "file", "FORJ_SERVER": server, "FORJ_TOKEN": fx.srv.OwnerToken,
	}
	ios, _, out, errOut := iostreams.Test()
	ios.SetStderrTTY(tty)
	code := cli.MainWith(ctx, args, &cmdutil.Factory{IOStreams: ios, Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errOut.String()
}

// interrupter is a proxy that cancels the CLI's context once `after` transfer requests
// have been answered: Ctrl-C between two batches.
func interrupter(t *testing.T, target string, after int32, cancel context.CancelFunc) string {
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxy.ServeHTTP(w, r)
		if r.URL.Path == "/api/v1/assets/transfer" && n.Add(1) == after {
			cancel()
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestMoveInterruptedThenReRun(t *testing.T) {
	fx := newFixture(t, 25)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	proxy := interrupter(t, fx.srv.URL, 1, cancel)

	code, _, stderr := fx.run(ctx, proxy, false, "flow", "move", "--all", "--from", "dev", "--to", "prod", "--batch-size", "10")
	if code != cmdutil.ExitInterrupted {
		t.Fatalf("interrupted move: exit %d, want 130; stderr:\n%s", code, stderr)
	}
	dev, prod := fx.names(fx.dev), fx.names(fx.prd)
	if len(dev)+len(prod) != 25 || len(prod) < 10 || len(prod) == 25 {
		t.Fatalf("after the interruption: %d in dev, %d in prod; want every flow in exactly one place, some moved", len(dev), len(prod))
	}

	// The same command again finishes the job.
	code, stdout, stderr := fx.run(context.Background(), fx.srv.URL, false, "flow", "move", "--all", "--from", "dev", "--to", "prod", "--batch-size", "10")
	if code != 0 {
		t.Fatalf("re-run: exit %d\n%s", code, stderr)
	}
	if n := strings.Count(stdout, "\tmoved\t"); n != len(dev) {
		t.Errorf("re-run moved %d, want the %d left", n, len(dev))
	}
	if dev, prod := fx.names(fx.dev), fx.names(fx.prd); len(dev) != 0 || len(prod) != 25 {
		t.Errorf("after the re-run: %d in dev, %d in prod", len(dev), len(prod))
	}
}

func TestCopyInterruptedThenReRunMakesNoDuplicate(t *testing.T) {
	fx := newFixture(t, 25)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	proxy := interrupter(t, fx.srv.URL, 2, cancel)
	args := []string{"flow", "copy", "--match", "flow-*", "--from", "dev", "--to", "prod", "--batch-size", "10"}

	if code, _, stderr := fx.run(ctx, proxy, false, args...); code != cmdutil.ExitInterrupted {
		t.Fatalf("interrupted copy: exit %d, want 130\n%s", code, stderr)
	}
	if n := len(fx.names(fx.prd)); n < 20 || n == 25 {
		t.Fatalf("%d copies after two batches of 10", n)
	}
	code, stdout, stderr := fx.run(context.Background(), fx.srv.URL, false, args...)
	if code != 0 {
		t.Fatalf("re-run: exit %d\n%s", code, stderr)
	}
	if strings.Count(stdout, "\tunchanged\t") < 20 || strings.Count(stdout, "\tcopied\t") > 5 {
		t.Errorf("re-run output:\n%s", stdout)
	}
	if dev, prod := fx.names(fx.dev), fx.names(fx.prd); len(dev) != 25 || len(prod) != 25 {
		t.Errorf("after the re-run: %d in dev, %d in prod; want 25 and 25", len(dev), len(prod))
	}
}

func TestMoveProgressOnlyOnATerminal(t *testing.T) {
	fx := newFixture(t, 12)
	code, _, stderr := fx.run(context.Background(), fx.srv.URL, true, "flow", "copy", "--all", "--from", "dev", "--to", "prod", "--batch-size", "5")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "\rCopying flows [") || !strings.Contains(stderr, "12/12 100%") {
		t.Errorf("no progress bar on a terminal:\n%q", stderr)
	}
	code, _, stderr = fx.run(context.Background(), fx.srv.URL, false, "flow", "copy", "--all", "--from", "dev", "--to", "prod")
	if code != 0 || strings.Contains(stderr, "\r") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("piped: exit %d, stderr %q; want the summary line alone", code, stderr)
	}
}

func TestMoveManyInBatches(t *testing.T) {
	fx := newFixture(t, 0)
	// 1,200 flows in 3 batches of at most 500 (the default).
	ctx := context.Background()
	for i := range 1200 {
		if _, err := fx.c.CreateAsset(ctx, fx.dev.ID, forj.CreateAssetRequest{Kind: forj.KindFlow, Name: fmt.Sprintf("f%04d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := fx.run(ctx, fx.srv.URL, false, "flow", "move", "--all", "--from", "dev", "--to", "prod", "-o", "json", "--jq", ".summary.moved, (.items | length)")
	if code != 0 || stdout != "1200\n1200\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if n := len(fx.names(fx.prd)); n != 1200 {
		t.Errorf("%d flows in prod", n)
	}
}
