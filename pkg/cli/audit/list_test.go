package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/cli"
	"github.com/forjinn/forjctl/pkg/cli/audit"
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/forjtest"
	"github.com/forjinn/forjctl/pkg/iostreams"
)

// syncBuffer is written by the command's goroutine and read by the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls out until it contains s; the test's own deadline bounds the wait.
func waitFor(t *testing.T, out *syncBuffer, ended <-chan struct{}, s string) {
	t.Helper()
	for !strings.Contains(out.String(), s) {
		select {
		case <-ended:
			t.Fatalf("the command ended before printing %q; output:\n%s", s, out)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

type fixture struct {
	srv    *forjtest.Server
	owner  *client.Client
	ws     *forj.Workspace
	getenv func(string) string
}

func setup(t *testing.T) *fixture {
	srv := forjtest.New(t)
	owner, err := client.New(client.Options{BaseURL: srv.URL, Token: srv.OwnerToken})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := owner.CreateWorkspace(context.Background(), forj.CreateWorkspaceRequest{Name: "team"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	vars := map[string]string{
		"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, ".config"), "XDG_CACHE_HOME": filepath.Join(dir, ".cache"),
		"FORJ_CREDENTIAL_STORE": "file", "FORJ_SERVER": srv.URL, "FORJ_TOKEN": srv.OwnerToken,
	}
	return &fixture{srv: srv, owner: owner, ws: ws, getenv: func(k string) string { return vars[k] }}
}

// TestFollowSeesEventsWrittenAfterItStarted runs 'audit list --follow -o json' against a
// real server, writes events through the API while it runs, and checks that it prints each
// once, oldest first, as NDJSON, and that an interrupt ends it cleanly.
func TestFollowSeesEventsWrittenAfterItStarted(t *testing.T) {
	fx := setup(t)
	ios, _, _, errOut := iostreams.Test()
	out := &syncBuffer{}
	ios.Out = out
	f := &cmdutil.Factory{IOStreams: ios, Getenv: fx.getenv}
	f.Flags.Workspace, f.Flags.Output = "team", "json"
	cmd := audit.NewCmdList(f, func(o *audit.ListOptions) error {
		o.Interval = time.Millisecond // poll fast; the test waits on output, never on time
		return o.Run()
	})
	cmd.SetArgs([]string{"--follow"})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var runErr error
	ended := make(chan struct{})
	go func() { runErr = cmd.ExecuteContext(ctx); close(ended) }()

	// The event that existed before the command started.
	waitFor(t, out, ended, `"action":"workspace.create"`)

	// Events written after it started, in this and another workspace.
	bg := context.Background()
	if _, err := fx.owner.AddUser(bg, fx.ws.ID, forj.AddUserRequest{Email: "late@example.com", Role: "viewer"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, out, ended, `"action":"member.add"`)
	if _, err := fx.owner.CreateWorkspace(bg, forj.CreateWorkspaceRequest{Name: "elsewhere"}); err != nil {
		t.Fatal(err)
	}
	name := "renamed"
	if _, err := fx.owner.UpdateWorkspace(bg, fx.ws.ID, forj.UpdateWorkspaceRequest{Name: &name}, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, out, ended, `"action":"workspace.update"`)

	cancel()
	<-ended
	if runErr != nil {
		t.Fatalf("an interrupted follow should end without error, got %v (stderr %q)", runErr, errOut)
	}

	var actions []string
	var last int64
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var e forj.AuditEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %q is not one JSON event: %v", line, err)
		}
		if e.Seq <= last {
			t.Errorf("event %d after %d: not strictly ascending (or printed twice)", e.Seq, last)
		}
		if e.WorkspaceID != fx.ws.ID {
			t.Errorf("event %s of workspace %q in the trail of %s", e.ID, e.WorkspaceID, fx.ws.ID)
		}
		last = e.Seq
		actions = append(actions, e.Action)
	}
	want := []string{"workspace.create", "user.invite", "member.add", "workspace.update"}
	if strings.Join(actions, " ") != strings.Join(want, " ") {
		t.Errorf("actions = %v, want %v", actions, want)
	}
}

// TestFollowOnTerminal prints one header, then a line per event, and an interrupt through
// Main is exit code 0, not 130: it is how a follow normally ends.
func TestFollowOnTerminal(t *testing.T) {
	fx := setup(t)
	ios, _, _, _ := iostreams.Test()
	out := &syncBuffer{}
	ios.Out = out
	ios.SetStdoutTTY(true)
	f := &cmdutil.Factory{IOStreams: ios, Getenv: fx.getenv}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var code int
	ended := make(chan struct{})
	go func() {
		code = cli.MainWith(ctx, []string{"audit", "list", "-w", "team", "--follow", "--action", "workspace."}, f)
		close(ended)
	}()
	waitFor(t, out, ended, "workspace.create")
	name := "renamed"
	if _, err := fx.owner.UpdateWorkspace(context.Background(), fx.ws.ID, forj.UpdateWorkspaceRequest{Name: &name}, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, out, ended, "workspace.update")
	cancel()
	<-ended
	if code != cmdutil.ExitOK {
		t.Errorf("exit code %d after an interrupt, want 0", code)
	}
	got := out.String()
	if n := strings.Count(got, "TIME"); n != 1 {
		t.Errorf("%d headers, want 1:\n%s", n, got)
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "admin@localhost") || !strings.Contains(lines[2], "workspace.update") {
		t.Errorf("output:\n%s", got)
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"24h":                  now.Add(-24 * time.Hour),
		"90m":                  now.Add(-90 * time.Minute),
		"30d":                  now.AddDate(0, 0, -30),
		"2w":                   now.AddDate(0, 0, -14),
		"2025-01-31":           time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC),
		"2025-01-31T15:04:05Z": time.Date(2025, 1, 31, 15, 4, 5, 0, time.UTC),
	} {
		got, err := audit.ParseTime("since", in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "yesterday", "-1h", "-3d", "3x", "d"} {
		if _, err := audit.ParseTime("since", in, now); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
			t.Errorf("ParseTime(%q): err %v, want a usage error", in, err)
		}
	}
}
