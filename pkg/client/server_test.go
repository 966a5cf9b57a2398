package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/server"
	"github.com/forjinn/forjctl/pkg/store/sqlite"
)

// These tests run the client against the real forjd (pkg/server) on a real SQLite file.

var pepper = []byte("client-test-pepper-client-test-pepper-00")

type realServer struct {
	url   string
	owner *client.Client
	token string
	gets  *counter
}

// counter counts the requests a client sends, by method and path.
type counter struct {
	mu    sync.Mutex
	paths []string
	next  http.RoundTripper
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.paths = append(c.paths, r.Method+" "+r.URL.Path)
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func (c *counter) count(methodPath string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, p := range c.paths {
		if p == methodPath {
			n++
		}
	}
	return n
}

func startServer(t *testing.T) *realServer {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "forj.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := server.New(server.Config{Store: st, Pepper: pepper})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	_, token, err := server.Bootstrap(context.Background(), st, pepper, "owner@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	rs := &realServer{url: ts.URL, token: token, gets: &counter{next: http.DefaultTransport}}
	rs.owner = rs.client(t, token)
	return rs
}

func (rs *realServer) client(t *testing.T, token string) *client.Client {
	t.Helper()
	c, err := client.New(client.Options{
		BaseURL:    rs.url,
		Token:      token,
		UserAgent:  "forjctl/test",
		HTTPClient: &http.Client{Transport: rs.gets},
		Sleep:      func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func wantCode(t *testing.T, err error, code string, status int) *forj.Error {
	t.Helper()
	var fe *forj.Error
	if !errors.As(err, &fe) || fe.Code != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	var ae *client.APIError
	if status != 0 && (!errors.As(err, &ae) || ae.Status != status || ae.RequestID == "") {
		t.Fatalf("err = %#v, want an *APIError with status %d and a request id", err, status)
	}
	return fe
}

func TestRealServerWorkspaces(t *testing.T) {
	ctx := context.Background()
	rs := startServer(t)
	c := rs.owner

	if err := c.Healthz(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Readyz(ctx); err != nil {
		t.Fatal(err)
	}
	names := []string{"echo", "alpha", "delta", "bravo", "charlie"}
	for _, n := range names {
		must[*forj.Workspace](t)(c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: n, Environment: "dev"}))
	}

	// One page.
	page := must[*forj.List[forj.Workspace]](t)(c.ListWorkspaces(ctx, client.ListOptions{Limit: 2}))
	if len(page.Data) != 2 || page.NextCursor == "" || page.Data[0].Name != "alpha" {
		t.Fatalf("first page = %+v", page)
	}

	// The iterator walks every page.
	before := rs.gets.count("GET /api/v1/workspaces")
	var got []string
	for w, err := range c.AllWorkspaces(ctx, client.ListOptions{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, w.Name)
	}
	if strings.Join(got, ",") != "alpha,bravo,charlie,delta,echo" {
		t.Errorf("AllWorkspaces = %v", got)
	}
	if n := rs.gets.count("GET /api/v1/workspaces") - before; n != 3 {
		t.Errorf("AllWorkspaces fetched %d pages, want 3", n)
	}
	// Breaking out stops fetching.
	before = rs.gets.count("GET /api/v1/workspaces")
	for range c.AllWorkspaces(ctx, client.ListOptions{Limit: 2}) {
		break
	}
	if n := rs.gets.count("GET /api/v1/workspaces") - before; n != 1 {
		t.Errorf("a loop that breaks at once fetched %d pages", n)
	}

	// Names and ids resolve; unknown ones say how to list.
	delta := must[*forj.Workspace](t)(c.ResolveWorkspace(ctx, "delta"))
	if byID := must[*forj.Workspace](t)(c.ResolveWorkspace(ctx, delta.ID)); byID.Name != "delta" {
		t.Errorf("ResolveWorkspace(id) = %+v", byID)
	}
	for _, missing := range []string{"nope", forj.NewID(forj.PrefixWorkspace)} {
		_, err := c.ResolveWorkspace(ctx, missing)
		fe := wantCode(t, err, forj.ENotFound, 0)
		if fe.Message != fmt.Sprintf("workspace %q not found", missing) || fe.Hint != "see the workspaces you can use with: forjctl workspace list" {
			t.Errorf("ResolveWorkspace(%q) = %#v", missing, fe)
		}
	}

	// If-Match: the current version applies, a stale one is a conflict (412).
	desc := "the fourth"
	upd := must[*forj.Workspace](t)(c.UpdateWorkspace(ctx, delta.ID, forj.UpdateWorkspaceRequest{Description: &desc}, delta.Version))
	if upd.Description != desc || upd.Version != delta.Version+1 {
		t.Errorf("UpdateWorkspace = %+v", upd)
	}
	_, err := c.UpdateWorkspace(ctx, delta.ID, forj.UpdateWorkspaceRequest{Description: &desc}, delta.Version)
	wantCode(t, err, forj.EConflict, http.StatusPreconditionFailed)

	// The server's validation errors come back as they were written.
	_, err = c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "alpha"})
	wantCode(t, err, forj.EConflict, http.StatusConflict)
	_, err = c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: ""})
	if fe := wantCode(t, err, forj.EInvalid, http.StatusBadRequest); fe.Message != "workspace name is required" {
		t.Errorf("message = %q", fe.Message)
	}

	// The same Idempotency-Key replays the first answer: one workspace, not two.
	w1 := must[*forj.Workspace](t)(c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "foxtrot"}, client.WithIdempotencyKey("k-foxtrot")))
	w2 := must[*forj.Workspace](t)(c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "foxtrot"}, client.WithIdempotencyKey("k-foxtrot")))
	if w1.ID != w2.ID {
		t.Errorf("replay made another workspace: %s vs %s", w1.ID, w2.ID)
	}

	sw := must[*forj.SwitchWorkspaceResponse](t)(c.SwitchWorkspace(ctx, delta.ID))
	if sw.Workspace.ID != delta.ID || sw.Role == "" {
		t.Errorf("SwitchWorkspace = %+v", sw)
	}

	if err := c.DeleteWorkspace(ctx, delta.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetWorkspace(ctx, delta.ID)
	wantCode(t, err, forj.ENotFound, http.StatusNotFound)
}

func TestRealServerMembersLoginAndTokens(t *testing.T) {
	ctx := context.Background()
	rs := startServer(t)
	c := rs.owner
	ws := must[*forj.Workspace](t)(c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "team"}))
	other := must[*forj.Workspace](t)(c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "other"}))

	var invite string
	for i, email := range []string{"ada@example.com", "bob@example.com", "cy@example.com"} {
		r := must[*forj.AddUserResponse](t)(c.AddUser(ctx, ws.ID, forj.AddUserRequest{Email: email, Role: "viewer"}))
		if !r.Invited || r.InviteCode == "" || r.Member.Email != email {
			t.Fatalf("AddUser(%s) = %+v", email, r)
		}
		if i == 0 {
			invite = r.InviteCode
		}
	}
	var emails []string
	for m, err := range c.AllMembers(ctx, ws.ID, client.MemberListOptions{ListOptions: client.ListOptions{Limit: 2}}) {
		if err != nil {
			t.Fatal(err)
		}
		emails = append(emails, m.Email)
	}
	if strings.Join(emails, ",") != "ada@example.com,bob@example.com,cy@example.com" {
		t.Errorf("AllMembers = %v", emails)
	}
	bob := must[*forj.Member](t)(c.ResolveMember(ctx, ws.ID, "Bob@Example.com"))
	if byID := must[*forj.Member](t)(c.ResolveMember(ctx, ws.ID, bob.UserID)); byID.Email != "bob@example.com" {
		t.Errorf("ResolveMember(id) = %+v", byID)
	}
	_, err := c.ResolveMember(ctx, ws.ID, "zed@example.com")
	wantCode(t, err, forj.ENotFound, 0)
	_, err = c.ResolveMember(ctx, ws.ID, "not an email")
	wantCode(t, err, forj.EInvalid, 0)

	if m := must[*forj.Member](t)(c.SetMemberRole(ctx, ws.ID, bob.UserID, "admin")); m.Role != "admin" {
		t.Errorf("SetMemberRole = %+v", m)
	}
	if m := must[*forj.Member](t)(c.RemoveUser(ctx, ws.ID, forj.RemoveUserRequest{Email: "cy@example.com"})); m.Email != "cy@example.com" {
		t.Errorf("RemoveUser = %+v", m)
	}

	// An invited user logs in with the invite code and sees only its workspace.
	anon := rs.client(t, "")
	_, err = anon.Login(ctx, forj.LoginRequest{Email: "ada@example.com", Password: "wrong-password-1"})
	wantCode(t, err, forj.EUnauthenticated, http.StatusUnauthorized)
	var trace bytes.Buffer
	dbg, err := client.New(client.Options{BaseURL: rs.url, Debug: &trace})
	if err != nil {
		t.Fatal(err)
	}
	password := "a long enough passphrase"
	login := must[*forj.TokenResponse](t)(dbg.Login(ctx, forj.LoginRequest{Email: "ada@example.com", Password: password, InviteCode: invite, TokenName: "laptop"}))
	if login.Secret == "" || login.User == nil || login.User.Status != forj.UserActive {
		t.Fatalf("Login = %+v", login)
	}
	for _, leak := range []string{password, invite, login.Secret} {
		if strings.Contains(trace.String(), leak) {
			t.Errorf("debug trace of a real login holds %q:\n%s", leak, trace.String())
		}
	}
	if !strings.Contains(trace.String(), "< HTTP/1.1 201 Created") || !strings.Contains(trace.String(), `"password":"***"`) {
		t.Errorf("debug trace:\n%s", trace.String())
	}

	ada := rs.client(t, login.Secret)
	me := must[*forj.MeResponse](t)(ada.Me(ctx))
	if me.User.Email != "ada@example.com" || len(me.Memberships) != 1 || me.Memberships[0].WorkspaceID != ws.ID {
		t.Errorf("Me = %+v", me)
	}
	_, err = ada.ResolveWorkspace(ctx, "other")
	wantCode(t, err, forj.ENotFound, 0)
	_, err = ada.GetWorkspace(ctx, other.ID)
	wantCode(t, err, forj.ENotFound, http.StatusNotFound) // never forbidden: no existence leak
	err = ada.DeleteWorkspace(ctx, ws.ID)
	wantCode(t, err, forj.EForbidden, http.StatusForbidden)

	// Tokens: create, list, revoke; a revoked token stops working.
	extra := must[*forj.TokenResponse](t)(ada.CreateToken(ctx, forj.CreateTokenRequest{Name: "ci", ExpiresIn: "90d"}))
	var tokNames []string
	for tok, err := range ada.AllTokens(ctx, client.ListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		tokNames = append(tokNames, tok.Name)
	}
	if len(tokNames) != 2 {
		t.Errorf("tokens = %v", tokNames)
	}
	ci := rs.client(t, extra.Secret)
	if err := ci.RevokeToken(ctx, client.CurrentToken); err != nil {
		t.Fatal(err)
	}
	_, err = ci.Me(ctx)
	if fe := wantCode(t, err, forj.EUnauthenticated, http.StatusUnauthorized); fe.Hint == "" {
		t.Errorf("unauthenticated without a hint: %#v", fe)
	}
	if err := ada.RevokeToken(ctx, login.Token.ID); err != nil {
		t.Fatal(err)
	}
	_, err = ada.Me(ctx)
	wantCode(t, err, forj.EUnauthenticated, http.StatusUnauthorized)
}

func TestRealServerUsersRolesAudit(t *testing.T) {
	ctx := context.Background()
	rs := startServer(t)
	c := rs.owner

	inv := must[*forj.InviteUserResponse](t)(c.InviteUser(ctx, forj.InviteUserRequest{Email: "dee@example.com", Name: "Dee"}))
	if inv.InviteCode == "" || inv.User.Status != forj.UserInvited {
		t.Fatalf("InviteUser = %+v", inv)
	}
	if u := must[*forj.User](t)(c.GetUser(ctx, inv.User.ID)); u.Email != "dee@example.com" {
		t.Errorf("GetUser = %+v", u)
	}
	if u := must[*forj.User](t)(c.DisableUser(ctx, inv.User.ID)); u.Status != forj.UserDisabled {
		t.Errorf("DisableUser = %+v", u)
	}
	if u := must[*forj.User](t)(c.EnableUser(ctx, inv.User.ID)); u.Status == forj.UserDisabled {
		t.Errorf("EnableUser = %+v", u)
	}
	users := must[*forj.List[forj.User]](t)(c.ListUsers(ctx, client.UserListOptions{Email: "dee@example.com"}))
	if len(users.Data) != 1 {
		t.Errorf("ListUsers(email) = %+v", users)
	}
	n := 0
	for _, err := range c.AllUsers(ctx, client.UserListOptions{ListOptions: client.ListOptions{Limit: 1}}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 {
		t.Errorf("AllUsers: %d users, want 2", n)
	}

	roles := must[*forj.List[forj.Role]](t)(c.ListRoles(ctx, client.ListOptions{}))
	if len(roles.Data) != 4 || roles.Data[0].Name != "viewer" {
		t.Errorf("ListRoles = %+v", roles.Data)
	}
	perms := must[*forj.List[forj.Permission]](t)(c.ListPermissions(ctx, client.ListOptions{}))
	if len(perms.Data) == 0 {
		t.Errorf("ListPermissions is empty")
	}
	r := must[*forj.Role](t)(c.CreateRole(ctx, forj.CreateRoleRequest{Name: "auditor", Permissions: []string{"workspace.read", "audit.read"}}))
	if r.BuiltIn || r.Name != "auditor" {
		t.Errorf("CreateRole = %+v", r)
	}
	if g := must[*forj.Role](t)(c.GetRole(ctx, "auditor")); len(g.Permissions) != 2 {
		t.Errorf("GetRole = %+v", g)
	}
	err := c.DeleteRole(ctx, "viewer")
	wantCode(t, err, forj.EInvalid, http.StatusBadRequest)
	if err := c.DeleteRole(ctx, "auditor"); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetRole(ctx, "auditor")
	wantCode(t, err, forj.ENotFound, http.StatusNotFound)

	// Audit: a workspace's trail, paged, and the trail across workspaces.
	ws := must[*forj.Workspace](t)(c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "audited"}))
	for _, e := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		must[*forj.AddUserResponse](t)(c.AddUser(ctx, ws.ID, forj.AddUserRequest{Email: e, Role: "tester"}))
	}
	var actions []string
	for ev, err := range c.AllAudit(ctx, ws.ID, client.AuditListOptions{ListOptions: client.ListOptions{Limit: 2}, Action: "member."}) {
		if err != nil {
			t.Fatal(err)
		}
		actions = append(actions, ev.Action)
	}
	if len(actions) != 3 || actions[0] != "member.add" {
		t.Errorf("AllAudit(member.) = %v", actions)
	}
	all := must[*forj.List[forj.AuditEvent]](t)(c.ListAllAudit(ctx, client.AuditListOptions{Action: "auth.bootstrap"}))
	if len(all.Data) != 1 || all.Data[0].WorkspaceID != "" {
		t.Errorf("ListAllAudit(auth.bootstrap) = %+v", all.Data)
	}
	first := must[*forj.List[forj.AuditEvent]](t)(c.ListAudit(ctx, ws.ID, client.AuditListOptions{}))
	oldest := first.Data[len(first.Data)-1]
	after := must[*forj.List[forj.AuditEvent]](t)(c.ListAudit(ctx, ws.ID, client.AuditListOptions{After: oldest.Seq}))
	if len(after.Data) != len(first.Data)-1 || (len(after.Data) > 1 && after.Data[0].Seq > after.Data[1].Seq) {
		t.Errorf("ListAudit(after %d) = %d events, want %d ascending", oldest.Seq, len(after.Data), len(first.Data)-1)
	}
}

func TestRealServerRaw(t *testing.T) {
	ctx := context.Background()
	rs := startServer(t)
	resp, err := rs.owner.Raw(ctx, "POST", "/api/v1/workspace", strings.NewReader(`{"name":"raw"}`), http.Header{"Idempotency-Key": {"raw-1"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || !strings.Contains(string(body), `"name":"raw"`) {
		t.Errorf("Raw POST = %d %s", resp.StatusCode, body)
	}
	resp, err = rs.owner.Raw(ctx, "GET", "/api/v1/workspaces?name=raw", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"name":"raw"`) {
		t.Errorf("Raw GET = %d %s", resp.StatusCode, body)
	}
	// Errors come back as responses, for `forjctl api` to print.
	resp, err = rs.owner.Raw(ctx, "GET", "/api/v1/workspace/ws_nope", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("Raw GET missing = %d", resp.StatusCode)
	}
}
