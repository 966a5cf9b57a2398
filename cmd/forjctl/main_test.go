package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/forjinn/forjctl/pkg/cli"
	"github.com/forjinn/forjctl/pkg/forjtest"
	"github.com/forjinn/forjctl/pkg/iostreams"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run forjctl as a real program (the test binary re-executed).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"forjctl": func() { os.Exit(cli.Main(context.Background(), os.Args[1:], iostreams.System())) },
	})
}

type serverKey struct{}

// TestScripts runs every testdata/script/*.txtar session against its own in-process forjd
// on a fresh SQLite database. Each script gets:
//
//	$SERVER       the server's URL
//	$OWNER_TOKEN  the owner's token
//	HOME, XDG_*   inside the script's work dir, so config and credentials are the script's own
//
// and two fixture commands that write to the store directly:
//
//	mkworkspace NAME             create a workspace
//	mkuser EMAIL [WS ROLE] VAR   create an active user (a member of WS with ROLE) and set $VAR
//	                             to a personal access token of it
//
// and an assertion on exact exit codes (testscript's '! exec' only knows "not zero"):
//
//	exits N PROGRAM [ARGS...]    run PROGRAM like exec and require exit code N
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: false,
		Setup: func(env *testscript.Env) error {
			srv, err := forjtest.Start(filepath.Join(env.WorkDir, ".forjd"))
			if err != nil {
				return err
			}
			env.Defer(srv.Close)
			env.Values[serverKey{}] = srv
			home := filepath.Join(env.WorkDir, "home")
			env.Setenv("SERVER", srv.URL)
			env.Setenv("OWNER_TOKEN", srv.OwnerToken)
			env.Setenv("HOME", home)
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
			env.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
			env.Setenv("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
			// No Secret Service in scripts: the file store is tested here, the keyring in
			// pkg/credstore against a real gnome-keyring.
			env.Setenv("FORJ_CREDENTIAL_STORE", "file")
			env.Setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:")
			env.Setenv("NO_COLOR", "1")
			env.Setenv("FORJ_COMPLETION_BUDGET", "20s") // what is offered, not how fast
			for _, k := range []string{"FORJ_TOKEN", "FORJ_SERVER", "FORJ_CONTEXT", "FORJ_WORKSPACE", "FORJ_CONFIG", "CI", "FORJ_FORCE_TTY"} {
				env.Setenv(k, "")
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits": cmdExits,
			"mkworkspace": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: mkworkspace NAME")
				}
				srv := ts.Value(serverKey{}).(*forjtest.Server)
				if _, err := srv.Workspace(args[0]); err != nil {
					ts.Fatalf("mkworkspace: %v", err)
				}
			},
			"mkuser": func(ts *testscript.TestScript, neg bool, args []string) {
				var email, ws, role, v string
				switch len(args) {
				case 2:
					email, v = args[0], args[1]
				case 4:
					email, ws, role, v = args[0], args[1], args[2], args[3]
				default:
					ts.Fatalf("usage: mkuser EMAIL [WORKSPACE ROLE] VAR")
				}
				srv := ts.Value(serverKey{}).(*forjtest.Server)
				tok, err := srv.User(email, ws, role)
				if err != nil {
					ts.Fatalf("mkuser: %v", err)
				}
				ts.Setenv(v, tok)
			},
		},
	})
}

func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}
