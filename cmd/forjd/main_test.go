package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/forjinn/forjctl/pkg/forj"
)

// syncBuffer is an io.Writer the server's goroutines write logs to while the test reads it.
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

// env is a fake process environment.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// newTestMain returns a Main with its own streams and environment (HOME points into a temp
// dir so nothing of the real user is touched).
func newTestMain(t *testing.T, e env) (*Main, *syncBuffer, *syncBuffer) {
	t.Helper()
	if e == nil {
		e = env{}
	}
	if _, ok := e["HOME"]; !ok {
		e["HOME"] = t.TempDir()
	}
	m := NewMain()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	m.Stdout, m.Stderr, m.Getenv = stdout, stderr, e.get
	return m, stdout, stderr
}

// startMain parses args, runs the real forjd on a free port and closes it when the test ends
// (or earlier, through the returned stop function).
func startMain(t *testing.T, e env, args ...string) (m *Main, base string, stderr *syncBuffer, stop func()) {
	t.Helper()
	m, _, stderr = newTestMain(t, e)
	ctx := context.Background()
	if err := m.ParseFlags(ctx, append([]string{"--listen", "127.0.0.1:0"}, args...)); err != nil {
		t.Fatalf("ParseFlags: %v", err)
	}
	if err := m.Run(ctx); err != nil {
		_ = m.Close()
		t.Fatalf("Run: %v\nstderr:\n%s", err, stderr)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			if err := m.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return m, "http://" + m.Addr(), stderr, stop
}

func newToken() string {
	return forj.FormatToken(forj.TokenPAT, forj.NewID(forj.PrefixToken), forj.NewTokenSecret())
}

// call sends one JSON request and decodes the JSON answer into out (when not nil).
func call(t *testing.T, method, url, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d, decoding %q: %v", method, url, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// want fails the test when a call's status is not the expected one.
func want(t *testing.T, what string, got, wantStatus int) {
	t.Helper()
	if got != wantStatus {
		t.Fatalf("%s: status %d, want %d", what, got, wantStatus)
	}
}

func TestMainServesTheDocumentedRoutes(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "forjd.db")
	token := newToken()
	e := env{EnvBootstrapToken: token}
	_, base, stderr, stop := startMain(t, e, "--db", db, "--owner-email", "Owner@Example.com")

	var health map[string]string
	want(t, "healthz", call(t, "GET", base+"/healthz", "", nil, &health), 200)
	want(t, "readyz", call(t, "GET", base+"/readyz", "", nil, &health), 200)
	if health["status"] != "ready" {
		t.Errorf("readyz = %v", health)
	}

	var me forj.MeResponse
	want(t, "me", call(t, "GET", base+"/api/v1/auth/me", token, nil, &me), 200)
	if me.User.Email != "owner@example.com" || me.User.GlobalRole != forj.GlobalOwner {
		t.Fatalf("bootstrap owner = %+v", me.User)
	}
	want(t, "no token", call(t, "GET", base+"/api/v1/workspaces", "", nil, nil), 401)

	// POST /api/v1/workspace
	var dev, prod forj.Workspace
	want(t, "create dev", call(t, "POST", base+"/api/v1/workspace", token,
		forj.CreateWorkspaceRequest{Name: "acme-dev", Description: "Acme development", Environment: "dev"}, &dev), 201)
	if dev.Name != "acme-dev" || dev.Description != "Acme development" || !forj.HasPrefix(dev.ID, forj.PrefixWorkspace) {
		t.Fatalf("created workspace = %+v", dev)
	}
	want(t, "create prod", call(t, "POST", base+"/api/v1/workspace", token,
		forj.CreateWorkspaceRequest{Name: "acme-prod", Description: "Acme production"}, &prod), 201)
	var errBody forj.ErrorBody
	want(t, "duplicate name", call(t, "POST", base+"/api/v1/workspace", token,
		forj.CreateWorkspaceRequest{Name: "acme-dev"}, &errBody), 409)
	if errBody.Error == nil || errBody.Error.Code != forj.EConflict {
		t.Errorf("duplicate name error = %+v", errBody.Error)
	}

	// POST /api/v1/workspace/{id}/add-user: an unknown email invites...
	var added forj.AddUserResponse
	want(t, "add-user invite", call(t, "POST", base+"/api/v1/workspace/"+dev.ID+"/add-user", token,
		forj.AddUserRequest{Email: "Dana@Example.com", Role: "developer"}, &added), 201)
	if !added.Invited || added.InviteCode == "" || added.Member.Email != "dana@example.com" ||
		added.Member.Role != "developer" || added.Member.Status != forj.UserInvited || added.Member.WorkspaceID != dev.ID {
		t.Fatalf("add-user (invite) = %+v", added)
	}
	dana := added.Member.UserID
	// ...and a known user (by id) is added without a new invite.
	var again forj.AddUserResponse
	want(t, "add-user existing", call(t, "POST", base+"/api/v1/workspace/"+prod.ID+"/add-user", token,
		forj.AddUserRequest{UserID: dana, Role: "viewer"}, &again), 201)
	if again.Invited || again.InviteCode != "" || again.Member.UserID != dana || again.Member.Role != "viewer" {
		t.Fatalf("add-user (existing) = %+v", again)
	}
	want(t, "add-user twice", call(t, "POST", base+"/api/v1/workspace/"+prod.ID+"/add-user", token,
		forj.AddUserRequest{Email: "dana@example.com", Role: "viewer"}, nil), 409)

	// GET /api/v1/workspaces
	var list forj.List[forj.Workspace]
	want(t, "list", call(t, "GET", base+"/api/v1/workspaces", token, nil, &list), 200)
	if names := workspaceNames(list.Data); names != "acme-dev,acme-prod" {
		t.Fatalf("workspaces = %s", names)
	}
	want(t, "list by name", call(t, "GET", base+"/api/v1/workspaces?name=acme-prod", token, nil, &list), 200)
	if names := workspaceNames(list.Data); names != "acme-prod" {
		t.Fatalf("workspaces?name=acme-prod = %s", names)
	}

	// POST /api/v1/auth/switch-workspace
	var sw forj.SwitchWorkspaceResponse
	want(t, "switch", call(t, "POST", base+"/api/v1/auth/switch-workspace", token,
		forj.SwitchWorkspaceRequest{WorkspaceID: prod.ID}, &sw), 200)
	if sw.Workspace.ID != prod.ID || sw.Role == "" || len(sw.Permissions) == 0 {
		t.Fatalf("switch-workspace = %+v", sw)
	}
	want(t, "switch unknown", call(t, "POST", base+"/api/v1/auth/switch-workspace", token,
		forj.SwitchWorkspaceRequest{WorkspaceID: forj.NewID(forj.PrefixWorkspace)}, nil), 404)

	// POST /api/v1/workspace/{id}/remove-user
	var removed forj.Member
	want(t, "remove-user", call(t, "POST", base+"/api/v1/workspace/"+prod.ID+"/remove-user", token,
		forj.RemoveUserRequest{Email: "dana@example.com"}, &removed), 200)
	if removed.UserID != dana || removed.WorkspaceID != prod.ID {
		t.Fatalf("remove-user = %+v", removed)
	}
	var members forj.List[forj.Member]
	want(t, "members", call(t, "GET", base+"/api/v1/workspace/"+prod.ID+"/members", token, nil, &members), 200)
	for _, mb := range members.Data {
		if mb.UserID == dana {
			t.Fatalf("dana is still a member of prod: %+v", members.Data)
		}
	}
	want(t, "remove-user again", call(t, "POST", base+"/api/v1/workspace/"+prod.ID+"/remove-user", token,
		forj.RemoveUserRequest{UserID: dana}, nil), 404)

	stop()
	first := stderr.String()
	if !strings.Contains(first, "forjd listening") {
		t.Errorf("no startup log line in:\n%s", first)
	}
	assertNoToken(t, first, token)

	// A restart on the same database does not bootstrap again; the first token still works,
	// and a new FORJ_BOOTSTRAP_TOKEN is ignored (it is read on first start only).
	other := newToken()
	e[EnvBootstrapToken] = other
	_, base, stderr, _ = startMain(t, e, "--db", db)
	want(t, "me after restart", call(t, "GET", base+"/api/v1/auth/me", token, nil, &me), 200)
	want(t, "second bootstrap token", call(t, "GET", base+"/api/v1/auth/me", other, nil, nil), 401)
	want(t, "list after restart", call(t, "GET", base+"/api/v1/workspaces", token, nil, &list), 200)
	if names := workspaceNames(list.Data); names != "acme-dev,acme-prod" {
		t.Fatalf("workspaces after restart = %s", names)
	}
	var users forj.List[forj.User]
	want(t, "users", call(t, "GET", base+"/api/v1/users", token, nil, &users), 200)
	if len(users.Data) != 2 {
		t.Errorf("users after restart = %+v (want the owner and dana only)", users.Data)
	}
	if s := stderr.String(); strings.Contains(s, "created the owner") || strings.Contains(s, "owner token") {
		t.Errorf("second start bootstrapped again:\n%s", s)
	}
	assertNoToken(t, stderr.String(), token)
	assertNoToken(t, stderr.String(), other)
}

func workspaceNames(ws []forj.Workspace) string {
	var n []string
	for _, w := range ws {
		n = append(n, w.Name)
	}
	return strings.Join(n, ",")
}

// assertNoToken checks that neither the token nor its secret part appears in the log.
func assertNoToken(t *testing.T, log, token string) {
	t.Helper()
	secret := token[strings.LastIndexByte(token, '_')+1:]
	if strings.Contains(log, token) || strings.Contains(log, secret) {
		t.Errorf("the token appears in the log output:\n%s", log)
	}
}

func TestMainGeneratedTokenGoesToTheFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "forjd.db")
	tokFile := filepath.Join(dir, "owner.token")
	_, base, stderr, _ := startMain(t, env{}, "--db", db, "--bootstrap-token-file", tokFile, "--log-format", "json")

	fi, err := os.Stat(tokFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode = %v, want 0600", fi.Mode().Perm())
	}
	b, err := os.ReadFile(tokFile)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(b))
	if _, _, _, ok := forj.ParseToken(token); !ok {
		t.Fatalf("token file holds %q, not a token", b)
	}
	var me forj.MeResponse
	want(t, "me", call(t, "GET", base+"/api/v1/auth/me", token, nil, &me), 200)
	if me.User.Email != DefaultOwnerEmail {
		t.Errorf("owner email = %q, want the default %q", me.User.Email, DefaultOwnerEmail)
	}

	// The server secret was made beside the database, private, 64 hex characters.
	fi, err = os.Stat(db + ".secret")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode = %v, want 0600", fi.Mode().Perm())
	}
	sec, _ := os.ReadFile(db + ".secret")
	if !regexp.MustCompile(`^[0-9a-f]{64}\n$`).Match(sec) {
		t.Errorf("secret file = %q, want 64 hex characters", sec)
	}

	// --log-format json: every line of stderr is one JSON object, and none holds the token.
	sc := bufio.NewScanner(strings.NewReader(stderr.String()))
	lines := 0
	for sc.Scan() {
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Errorf("log line is not JSON: %q", sc.Text())
		}
		lines++
	}
	if lines == 0 {
		t.Error("no log output")
	}
	assertNoToken(t, stderr.String(), token)
}

func TestMainGeneratedTokenIsFramedOnStderr(t *testing.T) {
	dir := t.TempDir()
	_, base, stderr, _ := startMain(t, env{"XDG_DATA_HOME": dir})

	out := stderr.String()
	m := regexp.MustCompile(`(?m)^Token: (forj_pat_\S+)$`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "owner token (shown once)") {
		t.Fatalf("no framed token on stderr:\n%s", out)
	}
	want(t, "me", call(t, "GET", base+"/api/v1/auth/me", m[1], nil, nil), 200)
	// Only the framed message holds it: no log line does.
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, m[1]) && !strings.HasPrefix(line, "Token: ") {
			t.Errorf("token outside the framed message: %q", line)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "forjd", "forjd.db")); err != nil {
		t.Errorf("database not at the XDG default: %v", err)
	}
}

func TestMainSecretFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "forjd.db")
	token := newToken()
	e := env{EnvSecret: strings.Repeat("s3cr3t-", 6), EnvBootstrapToken: token}
	_, base, _, stop := startMain(t, e, "--db", db)
	want(t, "me", call(t, "GET", base+"/api/v1/auth/me", token, nil, nil), 200)
	stop()
	if _, err := os.Stat(db + ".secret"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a secret file was made although %s is set: %v", EnvSecret, err)
	}

	// Another secret makes every stored token hash useless: the token no longer works.
	e[EnvSecret] = strings.Repeat("other-", 7)
	_, base, _, _ = startMain(t, e, "--db", db)
	want(t, "me with another secret", call(t, "GET", base+"/api/v1/auth/me", token, nil, nil), 401)

	// Too short a secret is refused before anything is opened.
	e[EnvSecret] = "short"
	m, _, _ := newTestMain(t, e)
	if err := m.ParseFlags(context.Background(), []string{"--listen", "127.0.0.1:0", "--db", db}); err != nil {
		t.Fatal(err)
	}
	err := m.Run(context.Background())
	_ = m.Close()
	if err == nil || !strings.Contains(err.Error(), EnvSecret) {
		t.Errorf("Run with a short secret = %v, want an error naming %s", err, EnvSecret)
	}
}

func TestParseFlags(t *testing.T) {
	home := t.TempDir()
	for _, tc := range []struct {
		name   string
		args   []string
		env    env
		wantDB string
		err    string // substring of a *UsageError; "" for success
	}{
		{name: "defaults", env: env{"HOME": home}, wantDB: filepath.Join(home, ".local/share/forjd/forjd.db")},
		{name: "xdg", env: env{"HOME": home, "XDG_DATA_HOME": "/data"}, wantDB: "/data/forjd/forjd.db"},
		{name: "relative xdg is ignored", env: env{"HOME": home, "XDG_DATA_HOME": "rel"}, wantDB: filepath.Join(home, ".local/share/forjd/forjd.db")},
		{name: "env db", env: env{"HOME": home, EnvDB: "/srv/f.db"}, wantDB: "/srv/f.db"},
		{name: "flag beats env", args: []string{"--db", "/x.db"}, env: env{EnvDB: "/srv/f.db"}, wantDB: "/x.db"},
		{name: "no home", env: env{"HOME": ""}, err: "pass --db"},
		{name: "unknown flag", args: []string{"--nope"}, err: "flag provided but not defined"},
		{name: "positional", args: []string{"serve"}, err: `unexpected argument "serve"`},
		{name: "log format", args: []string{"--log-format", "xml"}, err: "use text or json"},
		{name: "postgres", args: []string{"--db", "postgres://u@h/db"}, wantDB: "postgres://u@h/db"},
		{name: "postgres env", env: env{EnvDB: "postgresql://h/db"}, wantDB: "postgresql://h/db"},
		{name: "postgres pool", args: []string{"--db", "postgres://h/db", "--db-max-conns", "0"}, err: "--db-max-conns"},
		{name: "other url", args: []string{"--db", "mysql://u:pw@h/db"}, err: "not a postgres:// URL"},
		{name: "key=value dsn", env: env{EnvDB: "host=h dbname=db password=pw"}, err: "not a postgres:// URL"},
		{name: "owner email", args: []string{"--owner-email", "not-an-email"}, err: "--owner-email"},
		{name: "listen", args: []string{"--listen", "8420"}, err: "--listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _, _ := newTestMain(t, tc.env)
			err := m.ParseFlags(context.Background(), tc.args)
			if tc.err != "" {
				var ue *UsageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseFlags(%q) = %v, want a usage error containing %q", tc.args, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseFlags(%q) = %v", tc.args, err)
			}
			if m.DBPath != tc.wantDB {
				t.Errorf("DBPath = %q, want %q", m.DBPath, tc.wantDB)
			}
			if m.Listen != DefaultListen || m.OwnerEmail != DefaultOwnerEmail || m.LogFormat != "text" {
				t.Errorf("defaults: listen %q owner %q log %q", m.Listen, m.OwnerEmail, m.LogFormat)
			}
		})
	}
}

func TestParseFlagsVersionAndHelp(t *testing.T) {
	m, stdout, _ := newTestMain(t, env{})
	if err := m.ParseFlags(context.Background(), []string{"--version"}); !errors.Is(err, ErrDone) {
		t.Fatalf("--version: %v", err)
	}
	if !strings.HasPrefix(stdout.String(), "forjd ") {
		t.Errorf("--version printed %q", stdout.String())
	}
	m, _, stderr := newTestMain(t, env{})
	if err := m.ParseFlags(context.Background(), []string{"-h"}); !errors.Is(err, ErrDone) {
		t.Fatalf("-h: %v", err)
	}
	for _, s := range []string{"--listen", "--db", "--db-max-conns", "--shutdown-timeout", "postgres://", "--owner-email", "--bootstrap-token-file", "--log-format", EnvSecret} {
		if !strings.Contains(stderr.String(), strings.TrimPrefix(s, "-")) {
			t.Errorf("help does not mention %s:\n%s", s, stderr)
		}
	}
}

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{ErrDone, 0},
		{usageErrorf("bad"), 2},
		{errors.New("boom"), 1},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
