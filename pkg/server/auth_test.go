package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/authz"
	"github.com/forjinn/forjctl/pkg/forj"
)

func TestNewValidatesConfig(t *testing.T) {
	e := newEnv(t)
	if _, err := New(Config{Store: e.st, Pepper: []byte("short")}); err == nil {
		t.Error("short pepper accepted")
	}
	if _, err := New(Config{Pepper: testPepper}); err == nil {
		t.Error("nil store accepted")
	}
}

func TestBootstrap(t *testing.T) {
	e := newEnv(t)
	// Users exist: nothing happens, no secret.
	created, secret, err := Bootstrap(context.Background(), e.st, testPepper, "other@example.com", "")
	if err != nil || created || secret != "" {
		t.Fatalf("second Bootstrap = %v %q %v", created, secret, err)
	}
	// A malformed token is invalid with a hint showing the format.
	e2 := newEnv(t)
	for _, bad := range []string{"nope", "forj_key_tok_abc_0123456789abcdefghijKL"} {
		_, _, err = Bootstrap(context.Background(), e2.st, testPepper, "o@example.com", bad)
		if forj.ErrorCode(err) != forj.EInvalid || !strings.Contains(err.Error(), "forj_pat_") {
			t.Errorf("Bootstrap(%q) = %v, want invalid with a format hint", bad, err)
		}
	}
	// The bootstrap owner: active, global owner, token works; the event is audited.
	r := e.must(200, e.do("GET", "/api/v1/auth/me", e.ownerToken, nil))
	var me forj.MeResponse
	r.decode(t, &me)
	if me.User.GlobalRole != forj.GlobalOwner || me.User.Status != forj.UserActive || me.User.Email != "owner@example.com" {
		t.Errorf("owner = %+v", me.User)
	}
	if len(e.audit("auth.bootstrap")) != 1 {
		t.Error("bootstrap not audited")
	}
}

func TestBootstrapGeneratesToken(t *testing.T) {
	fresh := newEmptyStore(t)
	created, secret, err := Bootstrap(context.Background(), fresh, testPepper, "boss@example.com", "")
	if err != nil || !created {
		t.Fatalf("Bootstrap = %v %v", created, err)
	}
	if kind, _, _, ok := forj.ParseToken(secret); !ok || kind != forj.TokenPAT {
		t.Fatalf("generated token %q is not a PAT", secret)
	}
	srv, err := New(Config{Store: fresh, Pepper: testPepper})
	if err != nil {
		t.Fatal(err)
	}
	fe := &env{t: t, st: fresh, srv: srv}
	fe.must(200, fe.do("GET", "/api/v1/auth/me", secret, nil))
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	u, tok := e.newUser("dev@example.com")
	rejected := func() int { return len(e.audit("auth.token_rejected")) }

	r := e.must(401, e.do("GET", "/api/v1/auth/me", "", nil))
	if r.errCode() != forj.EUnauthenticated || rejected() != 0 {
		t.Errorf("missing token: %s, %d audit events", r.Body, rejected())
	}
	_, id, secret, _ := forj.ParseToken(tok)
	bad := []string{
		"garbage",
		forj.FormatToken(forj.TokenPAT, id, "WrongSecret0123456789abcdefgh"),
		forj.FormatToken(forj.TokenKey, id, secret), // right secret, wrong kind
		forj.FormatToken(forj.TokenPAT, "tok_unknown", secret),
	}
	for i, b := range bad {
		r := e.must(401, e.do("GET", "/api/v1/auth/me", b, nil))
		if r.errCode() != forj.EUnauthenticated {
			t.Errorf("%q: %s", b, r.Body)
		}
		if rejected() != i+1 {
			t.Errorf("%q: not audited", b)
		}
	}
	// Not a bearer scheme.
	req := e.do("GET", "/api/v1/auth/me", "", nil, "Authorization", "Basic "+tok)
	e.must(401, req)
	// Scheme is case-insensitive.
	e.must(200, e.do("GET", "/api/v1/auth/me", "", nil, "Authorization", "bearer "+tok))

	// Expired.
	var expTok string
	e.update(func(tx forj.Tx) error {
		var err error
		expTok, err = e.newToken(tx, u.ID, forj.TokenPAT, "", nil)
		return err
	})
	r = e.must(201, e.do("POST", "/api/v1/auth/tokens", tok, `{"name":"short","expiresIn":"1h"}`))
	var tr forj.TokenResponse
	r.decode(t, &tr)
	e.must(200, e.do("GET", "/api/v1/auth/me", tr.Secret, nil))
	e.clock.Advance(time.Hour)
	e.must(401, e.do("GET", "/api/v1/auth/me", tr.Secret, nil))
	ev := e.audit("auth.token_rejected")[0]
	if ev.TargetID != tr.Token.ID || ev.Result != forj.ResultDenied || !strings.Contains(string(ev.Changes), "expired") {
		t.Errorf("expired token event = %+v %s", ev, ev.Changes)
	}

	// Revoked, with a future revocation time (a rotation's grace period) still working.
	_, eid, _, _ := forj.ParseToken(expTok)
	e.update(func(tx forj.Tx) error { return tx.RevokeToken(eid, e.clock.Now().Add(time.Minute)) })
	e.must(200, e.do("GET", "/api/v1/auth/me", expTok, nil))
	e.clock.Advance(time.Minute)
	e.must(401, e.do("GET", "/api/v1/auth/me", expTok, nil))

	// A disabled user's tokens stop at once.
	e.must(200, e.do("POST", "/api/v1/users/"+u.ID+"/disable", e.ownerToken, nil))
	e.must(401, e.do("GET", "/api/v1/auth/me", tok, nil))
	e.must(200, e.do("POST", "/api/v1/users/"+u.ID+"/enable", e.ownerToken, nil))
	e.must(200, e.do("GET", "/api/v1/auth/me", tok, nil))
}

func TestTouchTokenAtMostOncePerMinute(t *testing.T) {
	e := newEnv(t)
	_, tok := e.newUser("dev@example.com")
	_, id, _, _ := forj.ParseToken(tok)
	lastUsed := func() time.Time {
		var tk *forj.Token
		e.view(func(tx forj.Tx) error {
			var err error
			tk, err = tx.GetToken(id)
			return err
		})
		if tk.LastUsedAt == nil {
			return time.Time{}
		}
		return *tk.LastUsedAt
	}
	t0 := e.clock.Now()
	e.must(200, e.do("GET", "/api/v1/auth/me", tok, nil))
	if !lastUsed().Equal(t0) {
		t.Fatalf("lastUsedAt = %v, want %v", lastUsed(), t0)
	}
	e.clock.Advance(30 * time.Second)
	e.must(200, e.do("GET", "/api/v1/auth/me", tok, nil))
	if !lastUsed().Equal(t0) {
		t.Errorf("touched again within a minute: %v", lastUsed())
	}
	e.clock.Advance(31 * time.Second)
	e.must(200, e.do("GET", "/api/v1/auth/me", tok, nil))
	if !lastUsed().Equal(e.clock.Now()) {
		t.Errorf("not touched after a minute: %v", lastUsed())
	}
}

func TestAPIKeys(t *testing.T) {
	e := newEnv(t)
	a, b := e.newWorkspace("alpha"), e.newWorkspace("bravo")
	admin, _ := e.newUser("admin@example.com")
	e.addMember(a.ID, admin.ID, authz.RoleAdmin)
	var key, ownerKey string
	e.update(func(tx forj.Tx) error {
		var err error
		if key, err = e.newToken(tx, admin.ID, forj.TokenKey, a.ID, []string{authz.WorkspaceRead, authz.WorkspaceDelete, authz.AuditRead}); err != nil {
			return err
		}
		ownerKey, err = e.newToken(tx, e.owner.ID, forj.TokenKey, b.ID, []string{authz.WorkspaceRead, authz.MemberRead})
		return err
	})
	e.must(200, e.do("GET", "/api/v1/workspace/"+a.ID, key, nil))
	e.must(403, e.do("GET", "/api/v1/workspace/"+a.ID+"/members", key, nil)) // not in scopes
	e.must(404, e.do("GET", "/api/v1/workspace/"+b.ID, key, nil))            // other workspace
	e.must(403, e.do("POST", "/api/v1/workspace", key, `{"name":"x"}`))      // never global
	e.must(403, e.do("GET", "/api/v1/auth/tokens", key, nil))                // user routes
	var l forj.List[forj.Workspace]
	e.must(200, e.do("GET", "/api/v1/workspaces", key, nil)).decode(t, &l)
	if len(l.Data) != 1 || l.Data[0].ID != a.ID {
		t.Errorf("key sees %+v", l.Data)
	}
	// Scopes ∩ creator's permissions, re-checked on every request: demote the creator.
	e.update(func(tx forj.Tx) error { _, err := tx.SetMemberRole(a.ID, admin.ID, authz.RoleViewer); return err })
	e.must(200, e.do("GET", "/api/v1/workspace/"+a.ID, key, nil))
	e.must(403, e.do("DELETE", "/api/v1/workspace/"+a.ID, key, nil))
	e.must(403, e.do("GET", "/api/v1/workspace/"+a.ID+"/audit", key, nil))
	// Remove the creator: the key sees nothing.
	e.update(func(tx forj.Tx) error { return tx.RemoveMember(a.ID, admin.ID) })
	e.must(404, e.do("GET", "/api/v1/workspace/"+a.ID, key, nil))

	// The owner's key acts only in its workspace and only within its scopes.
	e.must(200, e.do("GET", "/api/v1/workspace/"+b.ID+"/members", ownerKey, nil))
	e.must(403, e.do("DELETE", "/api/v1/workspace/"+b.ID, ownerKey, nil))
	e.must(404, e.do("GET", "/api/v1/workspace/"+a.ID, ownerKey, nil))
	var me forj.MeResponse
	e.must(200, e.do("GET", "/api/v1/auth/me", ownerKey, nil)).decode(t, &me)
	if len(me.Global) != 0 || len(me.Memberships) != 1 || me.Memberships[0].WorkspaceID != b.ID || me.Memberships[0].Role != "owner" {
		t.Errorf("owner key me = %+v", me)
	}
	// Key actions are audited with the key as the actor.
	ev := e.audit("access.denied")[0]
	if ev.ActorType != forj.ActorKey || ev.ActorEmail != "owner@example.com" {
		t.Errorf("denial by key: %+v", ev)
	}
}

func TestLoginAndInvite(t *testing.T) {
	e := newEnv(t)
	ws := e.newWorkspace("alpha")
	var ar forj.AddUserResponse
	e.must(201, e.do("POST", "/api/v1/workspace/"+ws.ID+"/add-user", e.ownerToken, `{"email":"New@Example.com","role":"developer"}`)).decode(t, &ar)
	if !ar.Invited || ar.InviteCode == "" || ar.Member.Status != forj.UserInvited || ar.Member.Email != "new@example.com" {
		t.Fatalf("add-user of unknown email = %+v", ar)
	}
	login := func(body string) *resp { return e.do("POST", "/api/v1/auth/login", "", body) }
	failed := func() int { return len(e.audit("auth.login_failed")) }

	// An invited user cannot log in with a password.
	r := e.must(401, login(`{"email":"new@example.com","password":"whatever-long"}`))
	generic := r.String()
	// Too short a new password is invalid (before the code is even checked).
	if r := e.must(400, login(`{"email":"new@example.com","password":"short","inviteCode":"`+ar.InviteCode+`"}`)); r.errCode() != forj.EInvalid {
		t.Error(r)
	}
	// Wrong invite code: the same generic answer.
	if r := e.must(401, login(`{"email":"new@example.com","password":"new-password-1","inviteCode":"wrongcode"}`)); r.String() != generic {
		t.Errorf("messages differ: %s vs %s", r, generic)
	}
	// Accept the invite.
	var tr forj.TokenResponse
	e.must(201, login(`{"email":"new@example.com","password":"new-password-1","inviteCode":"`+ar.InviteCode+`","tokenName":"laptop"}`)).decode(t, &tr)
	if tr.User == nil || tr.User.Status != forj.UserActive || tr.Token.Name != "laptop" || tr.Token.Kind != forj.TokenPAT {
		t.Fatalf("invite login = %+v", tr)
	}
	var me forj.MeResponse
	e.must(200, e.do("GET", "/api/v1/auth/me", tr.Secret, nil)).decode(t, &me)
	if len(me.Memberships) != 1 || me.Memberships[0].Role != "developer" || me.Memberships[0].WorkspaceName != "alpha" {
		t.Errorf("me = %+v", me)
	}
	// The code is used up.
	e.must(401, login(`{"email":"new@example.com","password":"new-password-2","inviteCode":"`+ar.InviteCode+`"}`))
	// Password login.
	e.must(201, login(`{"email":"NEW@example.com","password":"new-password-1"}`))
	// Wrong password and unknown email: the same answer.
	for _, b := range []string{`{"email":"new@example.com","password":"nope-nope-nope"}`, `{"email":"ghost@example.com","password":"nope-nope-nope"}`} {
		if r := e.must(401, login(b)); r.String() != generic {
			t.Errorf("%s: %s", b, r)
		}
	}
	if failed() != 5 {
		t.Errorf("%d auth.login_failed events, want 5", failed())
	}
	ev := e.audit("auth.login_failed")[0]
	if ev.ActorEmail != "ghost@example.com" || ev.Result != forj.ResultFailure || strings.Contains(string(ev.Changes), "nope") {
		t.Errorf("login_failed event = %+v %s", ev, ev.Changes)
	}
	var logins []forj.AuditEvent
	for _, ev := range e.audit("auth.login") {
		if ev.Action == "auth.login" {
			logins = append(logins, ev)
		}
	}
	if len(logins) != 2 || !strings.Contains(string(logins[1].Changes), "inviteAccepted") {
		t.Errorf("auth.login events = %+v", logins)
	}
	// Strict decoding and validation.
	e.must(400, login(`{"email":"new@example.com","password":"x","extra":1}`))
	e.must(400, login(`{"email":"not an email","password":"x"}`))
	e.must(400, login(`{"email":"new@example.com"}`))
	// A disabled user cannot log in.
	e.must(200, e.do("POST", "/api/v1/users/"+tr.User.ID+"/disable", e.ownerToken, nil))
	e.must(401, login(`{"email":"new@example.com","password":"new-password-1"}`))

	// Invites expire after 7 days.
	var ir forj.InviteUserResponse
	e.must(201, e.do("POST", "/api/v1/users", e.ownerToken, `{"email":"late@example.com","name":"Late"}`)).decode(t, &ir)
	e.clock.Advance(7*24*time.Hour + time.Second)
	e.must(401, login(`{"email":"late@example.com","password":"late-password","inviteCode":"`+ir.InviteCode+`"}`))
	// Re-inviting issues a fresh code.
	var ir2 forj.InviteUserResponse
	e.must(201, e.do("POST", "/api/v1/users", e.ownerToken, `{"email":"late@example.com"}`)).decode(t, &ir2)
	if ir2.InviteCode == ir.InviteCode {
		t.Error("re-invite reused the code")
	}
	e.must(201, login(`{"email":"late@example.com","password":"late-password","inviteCode":"`+ir2.InviteCode+`"}`))
}

func TestTokens(t *testing.T) {
	e := newEnv(t)
	u, tok := e.newUser("dev@example.com")
	_, other := e.newUser("other@example.com")

	var tr forj.TokenResponse
	e.must(201, e.do("POST", "/api/v1/auth/tokens", tok, `{"name":"ci","expiresIn":"90d"}`)).decode(t, &tr)
	want := e.clock.Now().Add(90 * 24 * time.Hour)
	if tr.Token.ExpiresAt == nil || !tr.Token.ExpiresAt.Equal(want) || tr.Token.UserID != u.ID || !strings.HasPrefix(tr.Secret, tr.Token.Prefix+"_") {
		t.Fatalf("token = %+v", tr)
	}
	for _, b := range []string{`{"name":""}`, `{"name":"x","expiresIn":"soon"}`, `{"name":"x","expiresIn":"-1h"}`, `{"name":"x","expiresIn":"9999d"}`} {
		if r := e.do("POST", "/api/v1/auth/tokens", tok, b); r.Code != 400 {
			t.Errorf("%s: %d %s", b, r.Code, r.Body)
		}
	}
	var l forj.List[forj.Token]
	e.must(200, e.do("GET", "/api/v1/auth/tokens", tok, nil)).decode(t, &l)
	if len(l.Data) != 2 {
		t.Errorf("tokens = %+v", l.Data)
	}
	if strings.Contains(e.do("GET", "/api/v1/auth/tokens", tok, nil).String(), "ecret") {
		t.Error("token list shows secrets")
	}
	// Someone else's token is not found; revoking one's own works and is audited.
	e.must(404, e.do("DELETE", "/api/v1/auth/tokens/"+tr.Token.ID, other, nil))
	e.must(204, e.do("DELETE", "/api/v1/auth/tokens/"+tr.Token.ID, tok, nil))
	e.must(401, e.do("GET", "/api/v1/auth/me", tr.Secret, nil))
	e.must(204, e.do("DELETE", "/api/v1/auth/tokens/"+tr.Token.ID, tok, nil)) // again: nothing to do
	if n := len(e.audit("token.revoke")); n != 1 {
		t.Errorf("%d token.revoke events", n)
	}
	// Logout.
	e.must(204, e.do("DELETE", "/api/v1/auth/tokens/current", tok, nil))
	e.must(401, e.do("GET", "/api/v1/auth/me", tok, nil))
}

func TestSwitchWorkspaceAndMe(t *testing.T) {
	e := newEnv(t)
	a := e.newWorkspace("alpha")
	u, tok := e.newUser("t@example.com")
	e.addMember(a.ID, u.ID, authz.RoleTester)
	var sw forj.SwitchWorkspaceResponse
	e.must(200, e.do("POST", "/api/v1/auth/switch-workspace", tok, `{"workspaceId":"`+a.ID+`"}`)).decode(t, &sw)
	tester, _ := authz.Builtin(authz.RoleTester)
	if sw.Workspace.ID != a.ID || sw.Role != "tester" || strings.Join(sw.Permissions, ",") != strings.Join(tester.Permissions, ",") {
		t.Errorf("switch = %+v", sw)
	}
	e.must(200, e.do("POST", "/api/v1/auth/switch-workspace", e.ownerToken, `{"workspaceId":"`+a.ID+`"}`)).decode(t, &sw)
	if admin, _ := authz.Builtin(authz.RoleAdmin); sw.Role != "owner" || strings.Join(sw.Permissions, ",") != strings.Join(admin.Permissions, ",") {
		t.Errorf("owner switch = %+v", sw)
	}
	e.must(400, e.do("POST", "/api/v1/auth/switch-workspace", tok, `{}`))
	e.must(404, e.do("POST", "/api/v1/auth/switch-workspace", tok, `{"workspaceId":"ws_nope"}`))
	e.must(404, e.do("POST", "/api/v1/auth/switch-workspace", e.ownerToken, `{"workspaceId":"ws_nope"}`))

	var me forj.MeResponse
	e.must(200, e.do("GET", "/api/v1/auth/me", tok, nil)).decode(t, &me)
	if me.User.ID != u.ID || len(me.Global) != 0 || len(me.Memberships) != 1 || me.Memberships[0].Role != "tester" {
		t.Errorf("me = %+v", me)
	}
	raw := e.do("GET", "/api/v1/auth/me", tok, nil).String()
	if strings.Contains(raw, "secretHash") || strings.Contains(raw, "passwordHash") {
		t.Errorf("me leaks hashes: %s", raw)
	}
}

func TestRequestIDAndRecover(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/healthz", "", nil, "X-Request-Id", "abc-123")
	if r.Header.Get("X-Request-Id") != "abc-123" {
		t.Errorf("request id = %q", r.Header.Get("X-Request-Id"))
	}
	r = e.do("GET", "/healthz", "", nil, "X-Request-Id", "bad id\nwith junk")
	if id := r.Header.Get("X-Request-Id"); !strings.HasPrefix(id, "req_") {
		t.Errorf("insane request id kept: %q", id)
	}
	// A panicking handler is a 500 internal error, and the server keeps serving.
	e.srv.mux.HandleFunc("GET /test/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	r = e.must(500, e.do("GET", "/test/panic", "", nil))
	if r.errCode() != forj.EInternal || strings.Contains(r.String(), "boom") {
		t.Errorf("panic answer: %s", r)
	}
	e.must(200, e.do("GET", "/healthz", "", nil))
}

func TestReadyz(t *testing.T) {
	e := newEnv(t)
	e.must(200, e.do("GET", "/readyz", "", nil))
	e.st.Close()
	r := e.must(503, e.do("GET", "/readyz", "", nil))
	if !strings.Contains(r.String(), "unavailable") {
		t.Error(r)
	}
}
