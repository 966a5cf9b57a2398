package auth_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forjinn/forjctl/pkg/cli"
	"github.com/forjinn/forjctl/pkg/cli/auth"
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/config"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/forjtest"
	"github.com/forjinn/forjctl/pkg/iostreams"
)

// env is a test's private environment: its own config dir and the file credential store.
type env struct {
	t   *testing.T
	dir string
}

func newEnv(t *testing.T) *env { return &env{t: t, dir: t.TempDir()} }

func (e *env) getenv(k string) string {
	switch k {
	case "XDG_CONFIG_HOME":
		return e.dir
	case "HOME":
		return e.dir
	case config.EnvCredentialStore:
		return config.StoreFile
	}
	return ""
}

// run runs forjctl with stdin; tty makes stdin and stdout terminals (prompts allowed).
func (e *env) run(stdin string, tty bool, args ...string) (code int, stdout, stderr string) {
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	if tty {
		ios.SetStdinTTY(true)
		ios.SetStdoutTTY(true)
	}
	code = cli.MainWith(context.Background(), args, &cmdutil.Factory{IOStreams: ios, Getenv: e.getenv})
	return code, out.String(), errOut.String()
}

func (e *env) config() *config.Config {
	c, err := config.Load(filepath.Join(e.dir, "forjctl", "config.yaml"))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func invite(t *testing.T, srv *forjtest.Server, email string) string {
	t.Helper()
	c, err := client.New(client.Options{BaseURL: srv.URL, Token: srv.OwnerToken})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.InviteUser(context.Background(), forj.InviteUserRequest{Email: email})
	if err != nil {
		t.Fatal(err)
	}
	return resp.InviteCode
}

func TestLoginInviteThenPassword(t *testing.T) {
	srv := forjtest.New(t)
	e := newEnv(t)
	code := invite(t, srv, "new@example.com")
	const password = "correct horse battery"

	// An invited user sets a password with the invite code.
	rc, _, stderr := e.run(password+"\n", false, "--context", "mine", "auth", "login",
		"--server", srv.URL, "--email", "new@example.com", "--invite", code, "--password-stdin")
	if rc != 0 {
		t.Fatalf("invite login: exit %d: %s", rc, stderr)
	}
	if !strings.Contains(stderr, "Logged in to "+srv.URL+" as new@example.com (context mine); token stored in file") {
		t.Errorf("invite login said: %s", stderr)
	}
	cfg := e.config()
	if cfg.CurrentContext != "mine" || cfg.Contexts["mine"].User != "new@example.com" || cfg.Contexts["mine"].Server != srv.URL {
		t.Errorf("config after login: %+v", cfg)
	}
	if rc, out, stderr := e.run("", false, "auth", "status"); rc != 0 || !strings.Contains(out, "new@example.com") {
		t.Errorf("status: exit %d\n%s%s", rc, out, stderr)
	}

	// The invite code is spent; the password works from now on, from stdin or a prompt.
	if rc, _, stderr := e.run(password+"\n", false, "--context", "again", "auth", "login",
		"--server", srv.URL, "--email", "new@example.com", "--invite", code, "--password-stdin"); rc != cmdutil.ExitUnauthenticated {
		t.Errorf("reused invite: exit %d: %s", rc, stderr)
	}
	if rc, _, stderr := e.run(password+"\n", false, "--context", "again", "auth", "login",
		"--server", srv.URL, "--email", "NEW@example.com", "--password-stdin"); rc != 0 {
		t.Errorf("password login: exit %d: %s", rc, stderr)
	}
	rc, _, stderr = e.run(password+"\n", true, "--context", "tty", "auth", "login", "--server", srv.URL, "--email", "new@example.com")
	if rc != 0 || !strings.Contains(stderr, "Password: ") {
		t.Errorf("prompted login: exit %d: %s", rc, stderr)
	}
	if got := e.config().ContextNames(); strings.Join(got, ",") != "again,mine,tty" {
		t.Errorf("contexts: %v", got)
	}

	// Wrong password: exit 4 with the server's message; nothing written.
	rc, _, stderr = e.run("wrong password\n", false, "--context", "bad", "auth", "login",
		"--server", srv.URL, "--email", "new@example.com", "--password-stdin")
	if rc != cmdutil.ExitUnauthenticated || !strings.Contains(stderr, "Error: login failed") || strings.Contains(stderr, "wrong password\n") {
		t.Errorf("wrong password: exit %d: %s", rc, stderr)
	}
	if _, ok := e.config().Contexts["bad"]; ok {
		t.Error("a failed login wrote a context")
	}

	// Without a terminal, --email needs --password-stdin.
	rc, _, stderr = e.run("", false, "auth", "login", "--server", srv.URL, "--email", "new@example.com")
	if rc != cmdutil.ExitUsage || !strings.Contains(stderr, "Hint: pipe it into --password-stdin") {
		t.Errorf("no terminal: exit %d: %s", rc, stderr)
	}

	// The password never reaches the config or the credentials file.
	for _, name := range []string{"config.yaml", "credentials.yaml"} {
		b, err := os.ReadFile(filepath.Join(e.dir, "forjctl", name))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), password) {
			t.Errorf("%s holds the password", name)
		}
	}
}

func TestLoginInviteConfirmsPasswordOnTerminal(t *testing.T) {
	srv := forjtest.New(t)
	e := newEnv(t)
	code := invite(t, srv, "typo@example.com")
	rc, _, stderr := e.run("first password\nsecond password\n", true, "auth", "login",
		"--server", srv.URL, "--email", "typo@example.com", "--invite", code)
	if rc != cmdutil.ExitUsage || !strings.Contains(stderr, "the two passwords differ") {
		t.Errorf("mismatch: exit %d: %s", rc, stderr)
	}
	rc, _, stderr = e.run("good password 1\ngood password 1\n", true, "auth", "login",
		"--server", srv.URL, "--email", "typo@example.com", "--invite", code)
	if rc != 0 {
		t.Errorf("invite on a terminal: exit %d: %s", rc, stderr)
	}
}

func TestLoginFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: newEnv(t).getenv}
	var got *auth.LoginOptions
	cmd := auth.NewCmdLogin(f, func(o *auth.LoginOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--server", "http://127.0.0.1:8420", "--with-token", "--insecure-storage"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.ContextName != "127-0-0-1-8420" || !got.WithToken || !got.InsecureStorage {
		t.Errorf("options: %+v", got)
	}
}

func TestContextNameFor(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8420":          "127-0-0-1-8420",
		"https://Forj.Example.com":       "forj-example-com",
		"https://forj.example.com/api/x": "forj-example-com",
		"http://[::1]:8420":              "1-8420",
	} {
		if got := auth.ContextNameFor(in); got != want {
			t.Errorf("ContextNameFor(%q) = %q, want %q", in, got, want)
		}
		if err := config.ValidateContextName(auth.ContextNameFor(in)); err != nil {
			t.Error(err)
		}
	}
}
