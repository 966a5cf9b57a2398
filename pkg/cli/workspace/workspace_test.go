package workspace_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/forjinn/forjctl/pkg/cli"
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/workspace"
	"github.com/forjinn/forjctl/pkg/config"
	"github.com/forjinn/forjctl/pkg/forjtest"
	"github.com/forjinn/forjctl/pkg/iostreams"
)

// execEnv makes the test binary act as forjctl, so the concurrency test runs real processes
// without building the binary separately.
const execEnv = "FORJCTL_WORKSPACE_TEST_EXEC"

func TestMain(m *testing.M) {
	if os.Getenv(execEnv) == "1" {
		os.Exit(cli.Main(context.Background(), os.Args[1:], iostreams.System()))
	}
	os.Exit(m.Run())
}

// env is a test environment: no real config, keyring or terminal of the developer's.
func env(t *testing.T, vars map[string]string) func(string) string {
	dir := t.TempDir()
	base := map[string]string{
		"HOME":                  dir,
		"XDG_CONFIG_HOME":       filepath.Join(dir, ".config"),
		"XDG_CACHE_HOME":        filepath.Join(dir, ".cache"),
		"FORJ_CREDENTIAL_STORE": "file",
	}
	for k, v := range vars {
		base[k] = v
	}
	return func(k string) string { return base[k] }
}

// run runs forjctl in-process with test streams; tty makes stdin and stdout terminals.
func run(t *testing.T, getenv func(string) string, stdin string, tty bool, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	ios.SetStdinTTY(tty)
	ios.SetStdoutTTY(tty)
	ios.SetStderrTTY(tty)
	code = cli.MainWith(context.Background(), args, &cmdutil.Factory{IOStreams: ios, Getenv: getenv})
	return code, out.String(), errOut.String()
}

func TestCreatePromptsForNameOnTerminal(t *testing.T) {
	srv := forjtest.New(t)
	getenv := env(t, map[string]string{"FORJ_SERVER": srv.URL, "FORJ_TOKEN": srv.OwnerToken})

	code, _, stderr := run(t, getenv, "  prompted  \n", true, "workspace", "create")
	if code != 0 {
		t.Fatalf("create with a prompt: exit %d, stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "Name of the new workspace: ") || !strings.Contains(stderr, "Created workspace prompted") {
		t.Errorf("stderr = %q", stderr)
	}
	// --no-input turns the prompt into a usage error even on a terminal.
	if code, _, stderr := run(t, getenv, "x\n", true, "workspace", "create", "--no-input"); code != cmdutil.ExitUsage {
		t.Errorf("--no-input: exit %d, want 2; stderr %q", code, stderr)
	}
}

func TestDeleteConfirmsByTypingTheName(t *testing.T) {
	srv := forjtest.New(t)
	if _, err := srv.Workspace("doomed"); err != nil {
		t.Fatal(err)
	}
	getenv := env(t, map[string]string{"FORJ_SERVER": srv.URL, "FORJ_TOKEN": srv.OwnerToken})

	// A wrong answer cancels: exit 130, nothing deleted.
	code, _, stderr := run(t, getenv, "dommed\n", true, "workspace", "delete", "doomed")
	if code != cmdutil.ExitInterrupted || !strings.Contains(stderr, "Type doomed to confirm: ") {
		t.Fatalf("wrong confirmation: exit %d, stderr %q", code, stderr)
	}
	if code, _, _ := run(t, getenv, "", false, "workspace", "get", "doomed"); code != 0 {
		t.Fatalf("workspace deleted despite a wrong confirmation")
	}
	// The exact name deletes it.
	if code, _, stderr := run(t, getenv, "doomed\n", true, "workspace", "delete", "doomed"); code != 0 {
		t.Fatalf("confirmed delete: exit %d, stderr %q", code, stderr)
	}
	if code, _, _ := run(t, getenv, "", false, "workspace", "get", "doomed"); code != cmdutil.ExitNotFound {
		t.Fatalf("get after delete: exit %d, want 3", code)
	}
}

func TestSwitchPromptsOnTerminal(t *testing.T) {
	srv := forjtest.New(t)
	if _, err := srv.Workspace("picked"); err != nil {
		t.Fatal(err)
	}
	cfgPath := writeConfig(t, srv.URL)
	getenv := env(t, map[string]string{"FORJ_CONFIG": cfgPath, "FORJ_TOKEN": srv.OwnerToken})
	code, _, stderr := run(t, getenv, "picked\n", true, "workspace", "switch")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Contexts["dev"].WorkspaceName; got != "picked" {
		t.Errorf("workspace-name = %q, want picked", got)
	}
}

// TestFlagParsing checks each verb's arguments and flags reach its options, with runF.
func TestFlagParsing(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(string) string { return "" }}

	var up *workspace.UpdateOptions
	cmd := workspace.NewCmdUpdate(f, func(o *workspace.UpdateOptions) error { up = o; return nil })
	cmd.SetArgs([]string{"ws1", "--env", "prod", "--description", ""})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if up.Workspace != "ws1" || up.Request.Environment == nil || *up.Request.Environment != "prod" ||
		up.Request.Description == nil || *up.Request.Description != "" || up.Request.Name != nil || up.Request.Color != nil {
		t.Errorf("update options = %+v", up.Request)
	}

	var cr *workspace.CreateOptions
	cmd = workspace.NewCmdCreate(f, func(o *workspace.CreateOptions) error { cr = o; return nil })
	cmd.SetArgs([]string{"new-ws", "--env", "dev", "--color", "#fff", "--icon", "bot", "--description", "d"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if cr.Name != "new-ws" || cr.Environment != "dev" || cr.Color != "#fff" || cr.Icon != "bot" || cr.Description != "d" {
		t.Errorf("create options = %+v", cr)
	}

	var del *workspace.DeleteOptions
	cmd = workspace.NewCmdDelete(f, func(o *workspace.DeleteOptions) error { del = o; return nil })
	cmd.SetArgs([]string{"old", "-y"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !del.Yes || del.Workspace != "old" {
		t.Errorf("delete options = %+v", del)
	}
	// Without --yes and without a terminal, Validate stops it before runF.
	cmd = workspace.NewCmdDelete(f, func(*workspace.DeleteOptions) error { t.Error("runF reached"); return nil })
	cmd.SetArgs([]string{"old"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Errorf("delete without --yes: %v", err)
	}
}

func writeConfig(t *testing.T, server string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	body := fmt.Sprintf("current-context: dev\ncontexts:\n  dev:\n    server: %s\n    user: %s\n", server, forjtest.OwnerEmail)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConcurrentSwitch runs 50 real forjctl processes switching one config's context at
// once: the file must stay whole and name one of the workspaces, id and name together.
func TestConcurrentSwitch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 50 processes")
	}
	srv := forjtest.New(t)
	ids := map[string]string{}
	var names []string
	for i := range 5 {
		name := fmt.Sprintf("ws-%d", i)
		w, err := srv.Workspace(name)
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = w.ID
		names = append(names, name)
	}
	cfgPath := writeConfig(t, srv.URL)
	home := t.TempDir()
	environ := append(os.Environ(),
		execEnv+"=1",
		"FORJ_CONFIG="+cfgPath,
		"FORJ_TOKEN="+srv.OwnerToken,
		"HOME="+home,
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"FORJ_CREDENTIAL_STORE=file",
		"FORJ_SERVER=", "FORJ_CONTEXT=", "FORJ_WORKSPACE=", "FORJ_FORCE_TTY=", "NO_COLOR=1",
	)

	const n = 50
	var wg sync.WaitGroup
	errs := make([]error, n)
	outs := make([][]byte, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "workspace", "switch", names[i%len(names)])
			cmd.Env = environ
			outs[i], errs[i] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
	}

	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatalf("config after concurrent switches: %v", err)
	}
	dev, ok := cfg.Contexts["dev"]
	if !ok || cfg.CurrentContext != "dev" {
		t.Fatalf("context dev lost: %+v", cfg)
	}
	if !slices.Contains(names, dev.WorkspaceName) || ids[dev.WorkspaceName] != dev.Workspace {
		t.Errorf("context names workspace %q (%s), want one of %v with its own id", dev.WorkspaceName, dev.Workspace, names)
	}
	if dev.Server != srv.URL || dev.User != forjtest.OwnerEmail {
		t.Errorf("other fields changed: %+v", dev)
	}
}
