package complete_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/forjtest"
	"github.com/forjinn/forjctl/pkg/iostreams"
	"github.com/spf13/cobra"
)

type fixture struct {
	t        *testing.T
	cacheDir string
	env      map[string]string
	keyring  *hangingKeyring
}

func newFixture(t *testing.T, server, token string) *fixture {
	home := t.TempDir()
	return &fixture{t: t, cacheDir: filepath.Join(home, ".cache"), env: map[string]string{
		"HOME":                  home,
		"XDG_CONFIG_HOME":       filepath.Join(home, ".config"),
		"XDG_CACHE_HOME":        filepath.Join(home, ".cache"),
		"FORJ_SERVER":           server,
		"FORJ_TOKEN":            token,
		"FORJ_CREDENTIAL_STORE": "auto",
	}}
}

// complete runs one completion as a fresh invocation would: a new factory each time.
func (fx *fixture) complete(kind func(*cmdutil.Factory) cobra.CompletionFunc, toComplete string) ([]string, cobra.ShellCompDirective, string) {
	ios, _, _, errOut := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(k string) string { return fx.env[k] }}
	if fx.keyring != nil {
		f.Keyring = fx.keyring
	}
	cmd := &cobra.Command{Use: "x"}
	cmd.SetContext(context.Background())
	names, dir := kind(f)(cmd, nil, toComplete)
	return names, dir, errOut.String()
}

// ageCache makes every cached list look older than complete.Fresh.
func (fx *fixture) ageCache() {
	files, _ := filepath.Glob(filepath.Join(fx.cacheDir, "forjctl", "*.json"))
	if len(files) == 0 {
		fx.t.Fatal("no cache files written")
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			fx.t.Fatal(err)
		}
		var c map[string]any
		if err := json.Unmarshal(b, &c); err != nil {
			fx.t.Fatal(err)
		}
		c["time"] = time.Now().Add(-2 * complete.Fresh)
		b, _ = json.Marshal(c)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			fx.t.Fatal(err)
		}
	}
}

func TestWorkspacesCacheFreshStaleAndDown(t *testing.T) {
	srv := forjtest.New(t)
	for _, n := range []string{"beta", "alpha"} {
		if _, err := srv.Workspace(n); err != nil {
			t.Fatal(err)
		}
	}
	fx := newFixture(t, srv.URL, srv.OwnerToken)

	got, dir, errOut := fx.complete(complete.Workspaces, "")
	if !slices.Equal(got, []string{"alpha", "beta"}) || dir != cobra.ShellCompDirectiveNoFileComp || errOut != "" {
		t.Fatalf("first completion = %v, %v, %q", got, dir, errOut)
	}
	if got, _, _ := fx.complete(complete.Workspaces, "b"); !slices.Equal(got, []string{"beta"}) {
		t.Errorf("prefix b = %v", got)
	}

	// Fresh cache is served without asking: a new workspace does not show yet.
	if _, err := srv.Workspace("gamma"); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := fx.complete(complete.Workspaces, ""); slices.Contains(got, "gamma") {
		t.Errorf("fresh cache not used: %v", got)
	}

	// Stale cache is refreshed when the server answers.
	fx.ageCache()
	if got, _, _ := fx.complete(complete.Workspaces, ""); !slices.Equal(got, []string{"alpha", "beta", "gamma"}) {
		t.Errorf("after refresh = %v", got)
	}

	// Server gone: the stale names are served, with no error shown.
	fx.ageCache()
	srv.Close()
	got, dir, errOut = fx.complete(complete.Workspaces, "")
	if !slices.Equal(got, []string{"alpha", "beta", "gamma"}) || dir != cobra.ShellCompDirectiveNoFileComp || errOut != "" {
		t.Errorf("server down = %v, %v, %q", got, dir, errOut)
	}
}

func TestNoCacheAndNoServerFailsSilently(t *testing.T) {
	fx := newFixture(t, "http://127.0.0.1:1", "forj_pat_x_y")
	got, dir, errOut := fx.complete(complete.Roles, "")
	if len(got) != 0 || dir != cobra.ShellCompDirectiveNoFileComp|cobra.ShellCompDirectiveError || errOut != "" {
		t.Errorf("= %v, %v, %q", got, dir, errOut)
	}
}

// A server that never answers: the completion still returns (its budget), with nothing.
func TestHungServerIsCutOff(t *testing.T) {
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hung.Close)
	t.Cleanup(func() { close(release) })
	fx := newFixture(t, hung.URL, "forj_pat_x_y")
	got, dir, _ := fx.complete(complete.Workspaces, "")
	if len(got) != 0 || dir&cobra.ShellCompDirectiveError == 0 {
		t.Errorf("= %v, %v", got, dir)
	}
}

// A keyring that never answers (a locked Secret Service): the completion still returns.
func TestHungKeyringIsCutOff(t *testing.T) {
	srv := forjtest.New(t)
	fx := newFixture(t, srv.URL, "")
	fx.keyring = &hangingKeyring{release: make(chan struct{})}
	t.Cleanup(func() { close(fx.keyring.release) })
	cfg := filepath.Join(fx.env["XDG_CONFIG_HOME"], "forjctl", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	body := "current-context: dev\ncontexts:\n  dev:\n    server: " + srv.URL + "\n    user: " + forjtest.OwnerEmail + "\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	delete(fx.env, "FORJ_SERVER")
	got, dir, errOut := fx.complete(complete.Roles, "")
	if len(got) != 0 || dir&cobra.ShellCompDirectiveError == 0 || strings.Contains(errOut, "Error") {
		t.Errorf("= %v, %v, %q", got, dir, errOut)
	}
}

func TestMembersAndRoles(t *testing.T) {
	srv := forjtest.New(t)
	if _, err := srv.Workspace("team"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.User("ada@example.com", "team", "developer"); err != nil {
		t.Fatal(err)
	}
	fx := newFixture(t, srv.URL, srv.OwnerToken)
	if got, _, _ := fx.complete(complete.Members, ""); len(got) != 0 {
		t.Errorf("members without a workspace = %v", got)
	}
	fx.env["FORJ_WORKSPACE"] = "team"
	if got, _, _ := fx.complete(complete.Members, "a"); !slices.Equal(got, []string{"ada@example.com"}) {
		t.Errorf("members = %v", got)
	}
	if got, _, _ := fx.complete(complete.Roles, "d"); !slices.Equal(got, []string{"developer"}) {
		t.Errorf("roles = %v", got)
	}
}

func TestRegisterGlobal(t *testing.T) {
	srv := forjtest.New(t)
	if _, err := srv.Workspace("team"); err != nil {
		t.Fatal(err)
	}
	fx := newFixture(t, srv.URL, srv.OwnerToken)
	ios, _, out, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(k string) string { return fx.env[k] }}
	root := &cobra.Command{Use: "forjctl"}
	root.PersistentFlags().StringVarP(&f.Flags.Workspace, "workspace", "w", "", "")
	root.AddCommand(&cobra.Command{Use: "sub", Run: func(*cobra.Command, []string) {}})
	complete.RegisterGlobal(root, f)
	root.SetOut(out)
	root.SetErr(new(strings.Builder))
	root.SetArgs([]string{cobra.ShellCompRequestCmd, "sub", "-w", "t"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "team\n") {
		t.Errorf("-w completion = %q", out.String())
	}
}

type hangingKeyring struct{ release chan struct{} }

func (k *hangingKeyring) Set(string, string, string) error   { <-k.release; return nil }
func (k *hangingKeyring) Get(string, string) (string, error) { <-k.release; return "late", nil }
func (k *hangingKeyring) Delete(string, string) error        { <-k.release; return nil }

func TestAssets(t *testing.T) {
	srv := forjtest.New(t)
	ctx := context.Background()
	c, err := client.New(client.Options{BaseURL: srv.URL, Token: srv.OwnerToken})
	if err != nil {
		t.Fatal(err)
	}
	for _, ws := range []string{"dev", "prod"} {
		w, err := c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: ws})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []forj.CreateAssetRequest{
			{Kind: forj.KindFlow, Name: ws + "-faq"}, {Kind: forj.KindFlow, Name: ws + "-triage"}, {Kind: forj.KindTool, Name: ws + "-search"},
		} {
			if _, err := c.CreateAsset(ctx, w.ID, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	fx := newFixture(t, srv.URL, srv.OwnerToken)
	fx.env["FORJ_WORKSPACE"] = "dev"
	flows := func(f *cmdutil.Factory) cobra.CompletionFunc { return complete.Assets(f, forj.KindFlow) }
	if got, dir, errOut := fx.complete(flows, ""); !slices.Equal(got, []string{"dev-faq", "dev-triage"}) || dir != cobra.ShellCompDirectiveNoFileComp || errOut != "" {
		t.Errorf("flows of dev = %v, %v, %q", got, dir, errOut)
	}
	tools := func(f *cmdutil.Factory) cobra.CompletionFunc { return complete.Assets(f, forj.KindTool) }
	if got, _, _ := fx.complete(tools, "dev-"); !slices.Equal(got, []string{"dev-search"}) {
		t.Errorf("tools of dev = %v", got)
	}

	// A command's --from names the workspace; already given names are not offered again.
	ios, _, _, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(k string) string { return fx.env[k] }}
	cmd := &cobra.Command{Use: "move"}
	cmd.Flags().String("from", "", "")
	if err := cmd.Flags().Set("from", "prod"); err != nil {
		t.Fatal(err)
	}
	cmd.SetContext(ctx)
	got, _ := complete.EveryArg(complete.Assets(f, forj.KindFlow))(cmd, []string{"prod-faq"}, "")
	if !slices.Equal(got, []string{"prod-triage"}) {
		t.Errorf("flows of --from prod, prod-faq given = %v", got)
	}
}
