// The contract test: docs/openapi.yaml is loaded and validated with kin-openapi, a real
// server on real SQLite answers a scenario that calls every route (successes and the main
// errors), and every real request and response is validated against the spec. It also
// checks that the spec and the route table list the same routes.
//
// Built with -tags openapi until go.sum carries kin-openapi's own dependencies (the lead
// adds them; see the cmd/forjd helper's report), then the tag goes.

package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/store/sqlite"
)

const oaSpecPath = "../../docs/openapi.yaml"

// oaHarness sends requests to a real server and validates each against the spec.
type oaHarness struct {
	t      *testing.T
	doc    *openapi3.T
	router routers.Router
	base   string
	st     *sqlite.Store
	opts   *openapi3filter.Options
	// seen records, per operation ("GET /api/v1/workspaces"), the statuses answered.
	seen map[string]map[int]bool
}

// oaReq is one request of the scenario.
type oaReq struct {
	method, path string
	token        string
	body         any    // JSON-encoded; a []byte is sent as is
	contentType  string // of a body; application/json when empty
	header       map[string]string
	// specInvalid marks a request the spec itself rejects (unknown field, missing token,
	// malformed parameter): the spec must refuse it too, and the answer must still match.
	specInvalid bool
}

// oaResp is the answer.
type oaResp struct {
	status int
	header http.Header
	body   []byte
}

func (r *oaResp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r *oaResp) code() string {
	var e forj.ErrorBody
	if json.Unmarshal(r.body, &e) != nil || e.Error == nil {
		return ""
	}
	return e.Error.Code
}

func oaLoadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(oaSpecPath)
	if err != nil {
		t.Fatalf("load %s: %v", oaSpecPath, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("%s is not a valid OpenAPI document: %v", oaSpecPath, err)
	}
	return doc
}

// newOAHarness runs on SQLite only: the contract test checks the server's responses
// against the OpenAPI document, which do not depend on the store (the store-dependent
// behaviour runs on every store through forEachStore).
func newOAHarness(t *testing.T) (*oaHarness, string) {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "forjd.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	pepper := []byte("openapi-test-pepper-0123456789abcdef")
	// Errors only: the server's log explains a 500 when the scenario fails.
	logger := slog.New(slog.NewTextHandler(oaLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := New(Config{Store: st, Pepper: pepper, Ready: st.Ping, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	_, owner, err := Bootstrap(context.Background(), st, pepper, "owner@example.com", "")
	if err != nil {
		t.Fatal(err)
	}

	// Bundles (export and import) are raw bytes to the validator, like documents.
	openapi3filter.RegisterBodyDecoder("application/gzip", openapi3filter.FileBodyDecoder)
	doc := oaLoadSpec(t)
	doc.Servers = openapi3.Servers{{URL: ts.URL}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	h := &oaHarness{
		t: t, doc: doc, router: router, base: ts.URL, st: st, seen: map[string]map[int]bool{},
		opts: &openapi3filter.Options{
			AuthenticationFunc:                oaBearer,
			IncludeResponseStatus:             true, // an undocumented status is an error
			MultiError:                        true,
			RejectWhenRequestBodyNotSpecified: true,
		},
	}
	return h, owner
}

// oaLogWriter sends the server's log lines to the test log.
type oaLogWriter struct{ t *testing.T }

func (w oaLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// oaBearer accepts any bearer credential: whether the token is good is the server's
// business, and the scenario checks its answers.
func oaBearer(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "bearer" {
		return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
	}
	if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
		return errors.New("no bearer token")
	}
	return nil
}

// do sends r, checks the status, and validates the request and the response.
func (h *oaHarness) do(r oaReq, want int) *oaResp {
	h.t.Helper()
	var body []byte
	switch b := r.body.(type) {
	case nil:
	case []byte:
		body = b
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			h.t.Fatal(err)
		}
	}
	build := func() *http.Request {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequest(r.method, h.base+r.path, rd)
		if err != nil {
			h.t.Fatal(err)
		}
		if r.token != "" {
			req.Header.Set("Authorization", "Bearer "+r.token)
		}
		if body != nil {
			ct := r.contentType
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
		}
		for k, v := range r.header {
			req.Header.Set(k, v)
		}
		return req
	}

	resp, err := http.DefaultClient.Do(build())
	if err != nil {
		h.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	got := &oaResp{status: resp.StatusCode, header: resp.Header}
	got.body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		h.t.Fatal(err)
	}
	what := fmt.Sprintf("%s %s", r.method, r.path)
	if got.status != want {
		h.t.Fatalf("%s: status %d, want %d: %s", what, got.status, want, got.body)
	}
	if got.header.Get("X-Request-Id") == "" {
		h.t.Errorf("%s: no X-Request-Id", what)
	}

	vreq := build()
	route, params, err := h.router.FindRoute(vreq)
	if err != nil {
		h.t.Errorf("%s: not in the spec: %v", what, err)
		return got
	}
	op := route.Method + " " + route.Path
	if h.seen[op] == nil {
		h.seen[op] = map[int]bool{}
	}
	h.seen[op][got.status] = true

	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: h.opts}
	err = openapi3filter.ValidateRequest(ctx, in)
	switch {
	case r.specInvalid && err == nil:
		h.t.Errorf("%s: the spec accepts a request the scenario meant to be invalid (body %s)", what, body)
	case !r.specInvalid && err != nil:
		h.t.Errorf("%s: request does not match the spec: %v\nbody: %s", what, err, body)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 got.status,
		Header:                 got.header,
		Body:                   io.NopCloser(bytes.NewReader(got.body)),
		Options:                h.opts,
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		h.t.Errorf("%s → %d: response does not match the spec: %v\nbody: %s", what, got.status, err, got.body)
	}
	return got
}

// wantCode checks an error answer's code.
func (h *oaHarness) wantCode(r *oaResp, code string) {
	h.t.Helper()
	if c := r.code(); c != code {
		h.t.Errorf("error code %q, want %q: %s", c, code, r.body)
	}
}

func TestOpenAPIContract(t *testing.T) {
	h, owner := newOAHarness(t)
	get := func(path, token string, want int) *oaResp {
		t.Helper()
		return h.do(oaReq{method: "GET", path: path, token: token}, want)
	}
	send := func(method, path, token string, body any, want int) *oaResp {
		t.Helper()
		return h.do(oaReq{method: method, path: path, token: token, body: body}, want)
	}

	// Health.
	get("/healthz", "", 200)
	get("/readyz", "", 200)

	// Authentication failures.
	h.wantCode(h.do(oaReq{method: "GET", path: "/api/v1/auth/me", specInvalid: true}, 401), forj.EUnauthenticated)
	get("/api/v1/auth/me", "forj_pat_tok_nobody_AAAAAAAAAAAAAAAAAAAAAAAA", 401)
	get("/api/v1/auth/me", "not-a-token", 401)
	var me forj.MeResponse
	get("/api/v1/auth/me", owner, 200).decode(t, &me)

	// Workspaces.
	var dev, prod forj.Workspace
	r := send("POST", "/api/v1/workspace", owner, forj.CreateWorkspaceRequest{
		Name: "acme-dev", Description: "Acme development", Color: "#336699", Icon: "rocket", Environment: "dev"}, 201)
	r.decode(t, &dev)
	send("POST", "/api/v1/workspace", owner, forj.CreateWorkspaceRequest{Name: "acme-prod", Environment: "prod"}, 201).decode(t, &prod)
	h.wantCode(send("POST", "/api/v1/workspace", owner, forj.CreateWorkspaceRequest{Name: "acme-dev"}, 409), forj.EConflict)
	h.wantCode(send("POST", "/api/v1/workspace", owner, forj.CreateWorkspaceRequest{Name: "ws_sneaky"}, 400), forj.EInvalid)
	h.wantCode(h.do(oaReq{method: "POST", path: "/api/v1/workspace", token: owner,
		body: []byte(`{"name":"x","owner":"me"}`), specInvalid: true}, 400), forj.EInvalid)
	h.wantCode(h.do(oaReq{method: "POST", path: "/api/v1/workspace", token: owner,
		body: forj.CreateWorkspaceRequest{Name: "big", Description: strings.Repeat("x", 2<<20)}, specInvalid: true}, 413), forj.ETooLarge)

	// Idempotency: the same key and body replays; the same key with another body conflicts.
	idem := map[string]string{"Idempotency-Key": "create-staging-1"}
	var staging, replay forj.Workspace
	h.do(oaReq{method: "POST", path: "/api/v1/workspace", token: owner, header: idem,
		body: forj.CreateWorkspaceRequest{Name: "acme-staging"}}, 201).decode(t, &staging)
	r = h.do(oaReq{method: "POST", path: "/api/v1/workspace", token: owner, header: idem,
		body: forj.CreateWorkspaceRequest{Name: "acme-staging"}}, 201)
	r.decode(t, &replay)
	if replay.ID != staging.ID || r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay = %+v (header %q), want the first answer", replay, r.header.Get("Idempotent-Replayed"))
	}
	h.wantCode(h.do(oaReq{method: "POST", path: "/api/v1/workspace", token: owner, header: idem,
		body: forj.CreateWorkspaceRequest{Name: "acme-other"}}, 409), forj.EConflict)

	var wl forj.List[forj.Workspace]
	get("/api/v1/workspaces", owner, 200).decode(t, &wl)
	if len(wl.Data) != 3 {
		t.Errorf("owner sees %d workspaces, want 3", len(wl.Data))
	}
	get("/api/v1/workspaces?limit=1", owner, 200).decode(t, &wl)
	if len(wl.Data) != 1 || wl.NextCursor == "" {
		t.Fatalf("limit=1 page = %+v", wl)
	}
	get("/api/v1/workspaces?limit=1&cursor="+wl.NextCursor, owner, 200)
	get("/api/v1/workspaces?name=acme-prod", owner, 200)
	h.do(oaReq{method: "GET", path: "/api/v1/workspaces?limit=lots", token: owner, specInvalid: true}, 400)
	get("/api/v1/workspaces?cursor=%25%25%25", owner, 400)

	r = get("/api/v1/workspace/"+dev.ID, owner, 200)
	etag := r.header.Get("ETag")
	unknownWS := forj.NewID(forj.PrefixWorkspace)
	get("/api/v1/workspace/"+unknownWS, owner, 404)

	desc := "Acme development, moved"
	h.do(oaReq{method: "PATCH", path: "/api/v1/workspace/" + dev.ID, token: owner,
		header: map[string]string{"If-Match": etag}, body: forj.UpdateWorkspaceRequest{Description: &desc}}, 200)
	h.wantCode(h.do(oaReq{method: "PATCH", path: "/api/v1/workspace/" + dev.ID, token: owner,
		header: map[string]string{"If-Match": etag}, body: forj.UpdateWorkspaceRequest{Description: &desc}}, 412), forj.EConflict)
	taken := "acme-prod"
	send("PATCH", "/api/v1/workspace/"+dev.ID, owner, forj.UpdateWorkspaceRequest{Name: &taken}, 409)
	h.do(oaReq{method: "PATCH", path: "/api/v1/workspace/" + dev.ID, token: owner,
		header: map[string]string{"If-Match": "yesterday"}, body: forj.UpdateWorkspaceRequest{}}, 400)
	send("PATCH", "/api/v1/workspace/"+unknownWS, owner, forj.UpdateWorkspaceRequest{}, 404)

	// Users: invite, accept by logging in, log in again.
	var inv forj.InviteUserResponse
	send("POST", "/api/v1/users", owner, forj.InviteUserRequest{Email: "vera@example.com", Name: "Vera"}, 201).decode(t, &inv)
	send("POST", "/api/v1/users", owner, forj.InviteUserRequest{Email: "not an email"}, 400)
	const pw = "correct horse battery staple"
	var login forj.TokenResponse
	send("POST", "/api/v1/auth/login", "", forj.LoginRequest{Email: "vera@example.com", Password: pw, InviteCode: inv.InviteCode}, 201).decode(t, &login)
	send("POST", "/api/v1/auth/login", "", forj.LoginRequest{Email: "vera@example.com", Password: pw, TokenName: "laptop"}, 201).decode(t, &login)
	vera := login.Secret
	h.wantCode(send("POST", "/api/v1/auth/login", "", forj.LoginRequest{Email: "vera@example.com", Password: "wrong password!"}, 401), forj.EUnauthenticated)
	h.do(oaReq{method: "POST", path: "/api/v1/auth/login", body: forj.LoginRequest{Email: "vera@example.com"}, specInvalid: true}, 400)
	send("POST", "/api/v1/auth/login", "", forj.LoginRequest{Email: "vera", Password: "x"}, 400)
	h.do(oaReq{method: "POST", path: "/api/v1/auth/login", body: []byte(`{"email":"a@b.c","password":"x","remember":true}`), specInvalid: true}, 400)
	h.do(oaReq{method: "POST", path: "/api/v1/auth/login", body: []byte(`{"email":"a@b.c","password":"` + strings.Repeat("p", 2<<20) + `"}`)}, 413)
	send("POST", "/api/v1/users", owner, forj.InviteUserRequest{Email: "vera@example.com"}, 409)
	send("POST", "/api/v1/users", vera, forj.InviteUserRequest{Email: "eve@example.com"}, 403)

	var ul forj.List[forj.User]
	get("/api/v1/users", owner, 200).decode(t, &ul)
	get("/api/v1/users?status=active&email=vera@example.com", owner, 200)
	h.do(oaReq{method: "GET", path: "/api/v1/users?status=sleepy", token: owner, specInvalid: true}, 400)
	get("/api/v1/users", vera, 403)
	veraID := login.User.ID
	get("/api/v1/users/"+veraID, owner, 200)
	get("/api/v1/users/"+forj.NewID(forj.PrefixUser), owner, 404)
	get("/api/v1/users/"+veraID, vera, 403)

	// Members: add by email (invite) and by id, list, change role, remove.
	var added forj.AddUserResponse
	send("POST", "/api/v1/workspace/"+dev.ID+"/add-user", owner, forj.AddUserRequest{Email: "nina@example.com", Role: "developer"}, 201).decode(t, &added)
	if !added.Invited || added.InviteCode == "" {
		t.Errorf("add-user of a new email = %+v, want an invite", added)
	}
	ninaID := added.Member.UserID
	send("POST", "/api/v1/workspace/"+dev.ID+"/add-user", owner, forj.AddUserRequest{UserID: veraID, Role: "viewer"}, 201).decode(t, &added)
	send("POST", "/api/v1/workspace/"+dev.ID+"/add-user", owner, forj.AddUserRequest{UserID: veraID, Role: "viewer"}, 409)
	send("POST", "/api/v1/workspace/"+dev.ID+"/add-user", owner, forj.AddUserRequest{Email: "zed@example.com", Role: "wizard"}, 400)
	h.do(oaReq{method: "POST", path: "/api/v1/workspace/" + dev.ID + "/add-user", token: owner,
		body: []byte(`{"email":"zed@example.com","role":"viewer","workspaceId":"ws_x"}`), specInvalid: true}, 400)
	send("POST", "/api/v1/workspace/"+unknownWS+"/add-user", owner, forj.AddUserRequest{Email: "zed@example.com", Role: "viewer"}, 404)
	send("POST", "/api/v1/workspace/"+dev.ID+"/add-user", vera, forj.AddUserRequest{Email: "zed@example.com", Role: "viewer"}, 403)
	send("POST", "/api/v1/workspace/"+prod.ID+"/add-user", vera, forj.AddUserRequest{Email: "zed@example.com", Role: "viewer"}, 404)

	var ml forj.List[forj.Member]
	get("/api/v1/workspace/"+dev.ID+"/members", vera, 200).decode(t, &ml)
	if len(ml.Data) != 2 {
		t.Errorf("dev has %d members, want 2", len(ml.Data))
	}
	get("/api/v1/workspace/"+dev.ID+"/members?email=NINA@example.com&limit=10", owner, 200)
	get("/api/v1/workspace/"+dev.ID+"/members?email=bad", owner, 400)
	get("/api/v1/workspace/"+prod.ID+"/members", vera, 404)

	// A custom role without workspace.read: its holder sees the workspace but may not read it.
	send("POST", "/api/v1/roles", owner, forj.CreateRoleRequest{Name: "auditor", Description: "reads the trail", Permissions: []string{"audit.read"}}, 201)
	send("POST", "/api/v1/roles", owner, forj.CreateRoleRequest{Name: "auditor", Permissions: []string{"audit.read"}}, 409)
	send("POST", "/api/v1/roles", owner, forj.CreateRoleRequest{Name: "root", Permissions: []string{"user.write"}}, 400)
	send("POST", "/api/v1/roles", vera, forj.CreateRoleRequest{Name: "mine", Permissions: []string{"audit.read"}}, 403)
	h.do(oaReq{method: "POST", path: "/api/v1/roles", token: owner, body: []byte(`{"name":"x"}`), specInvalid: true}, 400)
	send("PATCH", "/api/v1/workspace/"+prod.ID+"/members/"+veraID, owner, forj.SetMemberRoleRequest{Role: "viewer"}, 404)
	send("POST", "/api/v1/workspace/"+prod.ID+"/add-user", owner, forj.AddUserRequest{UserID: veraID, Role: "auditor"}, 201)
	send("POST", "/api/v1/auth/switch-workspace", vera, forj.SwitchWorkspaceRequest{WorkspaceID: prod.ID}, 403)
	get("/api/v1/workspace/"+prod.ID, vera, 403)
	send("PATCH", "/api/v1/workspace/"+dev.ID, vera, forj.UpdateWorkspaceRequest{Description: &desc}, 403)
	get("/api/v1/workspace/"+dev.ID+"/audit", vera, 403)
	get("/api/v1/workspace/"+prod.ID+"/audit", vera, 200)
	get("/api/v1/workspace/"+staging.ID+"/audit", vera, 404)
	get("/api/v1/workspace/"+prod.ID+"/members", vera, 403)

	var m forj.Member
	send("PATCH", "/api/v1/workspace/"+dev.ID+"/members/"+veraID, owner, forj.SetMemberRoleRequest{Role: "admin"}, 200).decode(t, &m)
	if m.Role != "admin" {
		t.Errorf("set-role answered %+v", m)
	}
	send("PATCH", "/api/v1/workspace/"+dev.ID+"/members/"+veraID, owner, forj.SetMemberRoleRequest{Role: "wizard"}, 400)
	send("PATCH", "/api/v1/workspace/"+dev.ID+"/members/"+veraID, vera, forj.SetMemberRoleRequest{Role: "viewer"}, 403) // not oneself
	h.do(oaReq{method: "PATCH", path: "/api/v1/workspace/" + dev.ID + "/members/" + veraID, token: owner,
		body: []byte(`{"role":"viewer","userId":"usr_x"}`), specInvalid: true}, 400)

	// Switch workspace.
	var sw forj.SwitchWorkspaceResponse
	send("POST", "/api/v1/auth/switch-workspace", vera, forj.SwitchWorkspaceRequest{WorkspaceID: dev.ID}, 200).decode(t, &sw)
	if sw.Workspace.ID != dev.ID || sw.Role != "admin" {
		t.Errorf("switch-workspace = %+v", sw)
	}
	send("POST", "/api/v1/auth/switch-workspace", owner, forj.SwitchWorkspaceRequest{WorkspaceID: prod.ID}, 200)
	send("POST", "/api/v1/auth/switch-workspace", vera, forj.SwitchWorkspaceRequest{WorkspaceID: staging.ID}, 404)
	send("POST", "/api/v1/auth/switch-workspace", owner, forj.SwitchWorkspaceRequest{}, 400)
	h.do(oaReq{method: "POST", path: "/api/v1/auth/switch-workspace", token: owner,
		body: []byte(`{"workspaceId":"` + dev.ID + `","role":"admin"}`), specInvalid: true}, 400)
	get("/api/v1/auth/me", vera, 200).decode(t, &me)
	if len(me.Memberships) != 2 {
		t.Errorf("vera's memberships = %+v", me.Memberships)
	}

	// Remove a member (vera is an admin of dev now and removes nina).
	var removed forj.Member
	send("POST", "/api/v1/workspace/"+dev.ID+"/remove-user", vera, forj.RemoveUserRequest{Email: "nina@example.com"}, 200).decode(t, &removed)
	send("POST", "/api/v1/workspace/"+dev.ID+"/remove-user", vera, forj.RemoveUserRequest{Email: "nina@example.com"}, 404)
	send("POST", "/api/v1/workspace/"+dev.ID+"/remove-user", vera, forj.RemoveUserRequest{UserID: veraID}, 403)
	send("POST", "/api/v1/workspace/"+dev.ID+"/remove-user", owner, forj.RemoveUserRequest{}, 400)
	send("POST", "/api/v1/workspace/"+prod.ID+"/remove-user", vera, forj.RemoveUserRequest{UserID: veraID}, 403)
	send("POST", "/api/v1/workspace/"+staging.ID+"/remove-user", vera, forj.RemoveUserRequest{UserID: veraID}, 404)
	h.do(oaReq{method: "POST", path: "/api/v1/workspace/" + dev.ID + "/remove-user", token: owner,
		body: []byte(`{"userId":"` + veraID + `","reason":"x"}`), specInvalid: true}, 400)

	// Roles and permissions.
	var rl forj.List[forj.Role]
	get("/api/v1/roles", vera, 200).decode(t, &rl)
	if len(rl.Data) != 5 || !rl.Data[0].BuiltIn || rl.Data[4].Name != "auditor" {
		t.Errorf("roles = %+v", rl.Data)
	}
	get("/api/v1/roles/admin", vera, 200)
	get("/api/v1/roles/auditor", vera, 200)
	get("/api/v1/roles/wizard", vera, 404)
	get("/api/v1/permissions", vera, 200)
	send("DELETE", "/api/v1/roles/admin", owner, nil, 400)
	send("DELETE", "/api/v1/roles/auditor", owner, nil, 409) // vera holds it in prod
	send("DELETE", "/api/v1/roles/auditor", vera, nil, 403)
	send("DELETE", "/api/v1/roles/wizard", owner, nil, 404)
	send("PATCH", "/api/v1/workspace/"+prod.ID+"/members/"+veraID, owner, forj.SetMemberRoleRequest{Role: "tester"}, 200)
	send("DELETE", "/api/v1/roles/auditor", owner, nil, 204)

	// Audit trail.
	var al forj.List[forj.AuditEvent]
	get("/api/v1/workspace/"+dev.ID+"/audit", owner, 200).decode(t, &al)
	if len(al.Data) == 0 {
		t.Error("dev's audit trail is empty")
	}
	get("/api/v1/workspace/"+dev.ID+"/audit?action=member.&actor=owner@example.com&since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z&limit=2", owner, 200)
	get("/api/v1/workspace/"+dev.ID+"/audit?after=0&actor="+veraID, owner, 200)
	get("/api/v1/workspace/"+unknownWS+"/audit", vera, 404)
	h.do(oaReq{method: "GET", path: "/api/v1/workspace/" + dev.ID + "/audit?since=yesterday", token: owner, specInvalid: true}, 400)
	h.do(oaReq{method: "GET", path: "/api/v1/workspace/" + dev.ID + "/audit?after=-1", token: owner, specInvalid: true}, 400)
	get("/api/v1/audit", owner, 200).decode(t, &al)
	if len(al.Data) == 0 {
		t.Error("the owner's audit trail is empty")
	}
	get("/api/v1/audit?action=access.denied", vera, 200)
	h.do(oaReq{method: "GET", path: "/api/v1/audit?limit=-5", token: owner, specInvalid: true}, 400)
	get("/api/v1/audit?actor=nobody", owner, 400)

	// Tokens: list, create, revoke by id and "current".
	var tl forj.List[forj.Token]
	get("/api/v1/auth/tokens", vera, 200).decode(t, &tl)
	if len(tl.Data) != 2 {
		t.Errorf("vera has %d tokens, want 2 (two logins)", len(tl.Data))
	}
	var ci forj.TokenResponse
	send("POST", "/api/v1/auth/tokens", vera, forj.CreateTokenRequest{Name: "ci", ExpiresIn: "90d"}, 201).decode(t, &ci)
	send("POST", "/api/v1/auth/tokens", vera, forj.CreateTokenRequest{Name: "bad", ExpiresIn: "forever"}, 400)
	h.do(oaReq{method: "POST", path: "/api/v1/auth/tokens", token: vera, body: []byte(`{"name":"x","scopes":["*"]}`), specInvalid: true}, 400)
	send("DELETE", "/api/v1/auth/tokens/"+ci.Token.ID, vera, nil, 204)
	get("/api/v1/auth/me", ci.Secret, 401)
	send("DELETE", "/api/v1/auth/tokens/"+login.Token.ID, owner, nil, 404) // not the owner's own

	// A workspace API key (made through the store: key routes come later) may not manage
	// personal tokens, nor act outside its workspace.
	key := oaAPIKey(t, h.st, veraID, dev.ID, []string{"workspace.read", "member.read"})
	get("/api/v1/auth/tokens", key, 403)
	send("POST", "/api/v1/auth/tokens", key, forj.CreateTokenRequest{Name: "escape"}, 403)
	send("DELETE", "/api/v1/auth/tokens/current", key, nil, 403)
	get("/api/v1/workspace/"+dev.ID, key, 200)
	get("/api/v1/workspace/"+prod.ID, key, 404)
	send("POST", "/api/v1/workspace/"+dev.ID+"/add-user", key, forj.AddUserRequest{Email: "zed@example.com", Role: "viewer"}, 403)
	send("POST", "/api/v1/workspace", key, forj.CreateWorkspaceRequest{Name: "by-key"}, 403)

	// Disable and enable a user: its tokens stop and start working.
	var u forj.User
	send("POST", "/api/v1/users/"+veraID+"/disable", owner, nil, 200).decode(t, &u)
	if u.Status != forj.UserDisabled {
		t.Errorf("disable answered %+v", u)
	}
	get("/api/v1/auth/me", vera, 401)
	send("POST", "/api/v1/users/"+veraID+"/enable", owner, map[string]any{}, 200).decode(t, &u)
	if u.Status != forj.UserActive {
		t.Errorf("enable answered %+v", u)
	}
	get("/api/v1/auth/me", vera, 200)
	send("POST", "/api/v1/users/"+me.User.ID+"/disable", vera, nil, 403)
	send("POST", "/api/v1/users/"+veraID+"/enable", vera, nil, 403)
	h.do(oaReq{method: "POST", path: "/api/v1/users/" + veraID + "/enable", token: owner, body: []byte(`{"force":true}`), specInvalid: true}, 400)
	send("POST", "/api/v1/users/"+forj.NewID(forj.PrefixUser)+"/enable", owner, nil, 404)
	send("POST", "/api/v1/users/"+forj.NewID(forj.PrefixUser)+"/disable", owner, nil, 404)
	h.do(oaReq{method: "POST", path: "/api/v1/users/" + veraID + "/disable", token: owner, body: []byte(`{"reason":"x"}`), specInvalid: true}, 400)
	var ownerMe forj.MeResponse
	get("/api/v1/auth/me", owner, 200).decode(t, &ownerMe)
	send("POST", "/api/v1/users/"+ownerMe.User.ID+"/disable", owner, nil, 403)

	// Workspace API keys.
	keysPath := "/api/v1/workspace/" + dev.ID + "/keys"
	var kr, narrow forj.TokenResponse
	send("POST", keysPath, owner, forj.CreateKeyRequest{Name: "runtime", ExpiresIn: "90d"}, 201).decode(t, &kr)
	runtimeKey := kr.Secret
	send("POST", keysPath, owner, forj.CreateKeyRequest{Name: "reader", Scopes: []string{"workspace.read"}}, 201).decode(t, &narrow)
	h.wantCode(send("POST", keysPath, owner, forj.CreateKeyRequest{Name: "bad", Scopes: []string{"nope.nope"}}, 400), forj.EInvalid)
	h.wantCode(send("POST", keysPath, narrow.Secret, forj.CreateKeyRequest{Name: "wider"}, 403), forj.EForbidden)
	h.wantCode(send("POST", keysPath, runtimeKey, forj.CreateKeyRequest{Name: "x", ExpiresIn: "forever"}, 400), forj.EInvalid)
	h.do(oaReq{method: "POST", path: keysPath, token: owner, body: []byte(`{"name":"x","workspaceId":"ws_x"}`), specInvalid: true}, 400)
	send("POST", "/api/v1/workspace/"+prod.ID+"/keys", runtimeKey, forj.CreateKeyRequest{Name: "elsewhere"}, 404)
	var kl forj.List[forj.Token]
	get(keysPath, owner, 200).decode(t, &kl)
	if len(kl.Data) < 2 || kl.Data[0].ID != narrow.Token.ID || kl.Data[1].ID != kr.Token.ID {
		t.Errorf("keys = %+v", kl.Data)
	}
	get(keysPath+"?all=true", runtimeKey, 200)
	get(keysPath, narrow.Secret, 403)
	get("/api/v1/workspace/"+prod.ID+"/keys", runtimeKey, 404)
	h.do(oaReq{method: "GET", path: keysPath + "?all=maybe", token: owner, specInvalid: true}, 400)
	var kv forj.KeyVerifyResponse
	get("/api/v1/keys/verify", runtimeKey, 200).decode(t, &kv)
	if kv.KeyID != kr.Token.ID || kv.WorkspaceID != dev.ID || len(kv.Scopes) == 0 || kv.ExpiresAt == nil {
		t.Errorf("verify = %+v", kv)
	}
	h.wantCode(get("/api/v1/keys/verify", owner, 401), forj.EUnauthenticated)

	// Usage: ingested with a key, reported to members.
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	batch := forj.UsageIngestRequest{Events: []forj.UsageEvent{
		{Assistant: "support", Environment: "prod", TokensIn: 100, TokensOut: 50, ComputeMs: 900, APICalls: 2, VoiceMinutes: 1.5, Time: at},
		{Assistant: "sales", Environment: "dev", TokensIn: 10, TokensOut: 5, ComputeMs: 90, APICalls: 1, Time: at},
	}}
	var ing forj.UsageIngestResponse
	send("POST", "/api/v1/usage", runtimeKey, batch, 202).decode(t, &ing)
	if ing.Accepted != 2 {
		t.Errorf("ingest = %+v", ing)
	}
	h.wantCode(send("POST", "/api/v1/usage", owner, batch, 403), forj.EForbidden)
	h.wantCode(send("POST", "/api/v1/usage", narrow.Secret, batch, 403), forj.EForbidden)
	future := forj.UsageIngestRequest{Events: []forj.UsageEvent{{Assistant: "a", Environment: "prod", Time: time.Now().Add(time.Hour)}}}
	h.wantCode(send("POST", "/api/v1/usage", runtimeKey, future, 400), forj.EInvalid)
	h.do(oaReq{method: "POST", path: "/api/v1/usage", token: runtimeKey, body: forj.UsageIngestRequest{Events: []forj.UsageEvent{}}, specInvalid: true}, 400)
	h.do(oaReq{method: "POST", path: "/api/v1/usage", token: runtimeKey, specInvalid: true,
		body: []byte(`{"events":[{"assistant":"a","environment":"prod","tokensIn":-1,"time":"` + at.Format(time.RFC3339) + `"}]}`)}, 400)
	var rep forj.UsageReport
	get("/api/v1/usage/report?by=assistant&env=prod", owner, 200).decode(t, &rep)
	if len(rep.Rows) != 1 || rep.Rows[0].Key != "support" || rep.Total.TokensIn != 100 || rep.Total.VoiceMinutes != 1.5 {
		t.Errorf("report = %+v", rep)
	}
	get("/api/v1/usage/report?workspace="+dev.ID, vera, 200).decode(t, &rep)
	if len(rep.Rows) != 1 || rep.Rows[0].Label != dev.Name || rep.Total.Events != 2 || rep.Total.TokensIn != 110 {
		t.Errorf("report by workspace = %+v", rep)
	}
	h.wantCode(get("/api/v1/usage/report?workspace="+dev.ID, narrow.Secret, 403), forj.EForbidden) // no usage.read scope
	h.wantCode(get("/api/v1/usage/report?workspace="+prod.ID, runtimeKey, 404), forj.ENotFound)    // another workspace
	h.wantCode(get("/api/v1/usage/report?workspace="+unknownWS, owner, 404), forj.ENotFound)
	h.do(oaReq{method: "GET", path: "/api/v1/usage/report?by=month", token: owner, specInvalid: true}, 400)

	// Rotate with a grace period, then revoke.
	keyPath := keysPath + "/" + kr.Token.ID
	var rot forj.RotateKeyResponse
	send("POST", keyPath+"/rotate", owner, forj.RotateKeyRequest{Grace: "1h"}, 201).decode(t, &rot)
	if rot.Replaced != kr.Token.ID || rot.Secret == "" || rot.Token.Name != "runtime" || rot.OldValidUntil.IsZero() {
		t.Errorf("rotate = %+v", rot)
	}
	get("/api/v1/keys/verify", runtimeKey, 200) // inside the grace period
	get("/api/v1/keys/verify", rot.Secret, 200)
	h.wantCode(send("POST", keyPath+"/rotate", owner, forj.RotateKeyRequest{Grace: "90d"}, 400), forj.EInvalid)
	send("POST", keyPath+"/rotate", narrow.Secret, nil, 403)
	send("DELETE", keyPath+"?reason=rotated", owner, nil, 204)
	get("/api/v1/keys/verify", runtimeKey, 401)
	h.wantCode(send("POST", keyPath+"/rotate", owner, nil, 409), forj.EConflict)
	send("DELETE", keysPath+"/"+forj.NewID(forj.PrefixToken), owner, nil, 404)
	send("POST", keysPath+"/"+forj.NewID(forj.PrefixToken)+"/rotate", owner, nil, 404)
	send("DELETE", keyPath, narrow.Secret, nil, 403)
	h.do(oaReq{method: "DELETE", path: keyPath + "?reason=" + strings.Repeat("x", 300), token: owner, specInvalid: true}, 400)
	sweepKey, sweepKeyID := rot.Secret, rot.Token.ID

	// Assets: a flow, a dataset with documents and a credential with a secret.
	assetsPath := "/api/v1/workspace/" + dev.ID + "/assets"
	prodAssets := "/api/v1/workspace/" + prod.ID + "/assets"
	var flow, ds, cred forj.Asset
	r = send("POST", assetsPath, owner, forj.CreateAssetRequest{Kind: forj.KindFlow, Name: "support-bot", Description: "Answers tickets",
		Labels: map[string]string{"team": "support", "tier": "gold"}, Spec: json.RawMessage(`{"nodes": [{"id": "n1"}], "edges": []}`)}, 201)
	r.decode(t, &flow)
	if flow.Version < 1 || flow.WorkspaceID != dev.ID || string(flow.Spec) != `{"nodes":[{"id":"n1"}],"edges":[]}` || r.header.Get("ETag") == "" {
		t.Errorf("created flow = %+v (ETag %q)", flow, r.header.Get("ETag"))
	}
	send("POST", assetsPath, owner, forj.CreateAssetRequest{Kind: forj.KindDataset, Name: "faq", Labels: map[string]string{"team": "support"}}, 201).decode(t, &ds)
	const apiKeySecret = "sk-contract-test-0123456789"
	r = send("POST", assetsPath, vera, forj.CreateAssetRequest{Kind: forj.KindCredential, Name: "openai",
		Spec: json.RawMessage(`{"provider":"openai"}`), Secret: json.RawMessage(`{"apiKey":"` + apiKeySecret + `"}`)}, 201)
	r.decode(t, &cred)
	if !cred.HasSecret || bytes.Contains(r.body, []byte(apiKeySecret)) {
		t.Errorf("created credential = %s, want hasSecret and no secret", r.body)
	}
	h.wantCode(send("POST", assetsPath, owner, forj.CreateAssetRequest{Kind: forj.KindFlow, Name: "support-bot"}, 409), forj.EConflict)
	h.wantCode(send("POST", assetsPath, owner, forj.CreateAssetRequest{Kind: forj.KindFlow, Name: "leaky",
		Secret: json.RawMessage(`{"k":"v"}`)}, 400), forj.EInvalid)
	h.do(oaReq{method: "POST", path: assetsPath, token: owner, body: forj.CreateAssetRequest{Kind: forj.KindFlow, Name: "a/b"}, specInvalid: true}, 400)
	send("POST", assetsPath, owner, forj.CreateAssetRequest{Kind: forj.KindTool, Name: "bad-labels", Labels: map[string]string{"Team": "x"}}, 400)
	h.do(oaReq{method: "POST", path: assetsPath, token: owner, body: forj.CreateAssetRequest{Kind: "widget", Name: "w"}, specInvalid: true}, 400)
	h.do(oaReq{method: "POST", path: assetsPath, token: owner, body: []byte(`{"kind":"flow","name":"x","spec":[1]}`), specInvalid: true}, 400)
	h.do(oaReq{method: "POST", path: assetsPath, token: owner, body: []byte(`{"kind":"flow","name":"x","workspaceId":"ws_x"}`), specInvalid: true}, 400)
	h.wantCode(send("POST", prodAssets, vera, forj.CreateAssetRequest{Kind: forj.KindFlow, Name: "nope"}, 403), forj.EForbidden) // tester
	send("POST", "/api/v1/workspace/"+staging.ID+"/assets", vera, forj.CreateAssetRequest{Kind: forj.KindFlow, Name: "nope"}, 404)

	// List with filters and pages.
	var asl forj.List[forj.Asset]
	get(assetsPath, vera, 200).decode(t, &asl)
	if len(asl.Data) != 3 {
		t.Errorf("dev's assets = %+v, want 3", asl.Data)
	}
	get(assetsPath+"?kind=flow", owner, 200).decode(t, &asl)
	if len(asl.Data) != 1 || asl.Data[0].ID != flow.ID {
		t.Errorf("?kind=flow = %+v", asl.Data)
	}
	get(assetsPath+"?label=team=support&label=tier=gold", owner, 200).decode(t, &asl)
	if len(asl.Data) != 1 || asl.Data[0].ID != flow.ID {
		t.Errorf("?label=team=support&label=tier=gold = %+v", asl.Data)
	}
	get(assetsPath+"?limit=2", owner, 200).decode(t, &asl)
	if len(asl.Data) != 2 || asl.NextCursor == "" {
		t.Fatalf("limit=2 page = %+v", asl)
	}
	get(assetsPath+"?limit=2&cursor="+asl.NextCursor, owner, 200)
	get(assetsPath+"?name=faq", owner, 200)
	h.do(oaReq{method: "GET", path: assetsPath + "?kind=widget", token: owner, specInvalid: true}, 400)
	h.do(oaReq{method: "GET", path: assetsPath + "?label=team", token: owner, specInvalid: true}, 400)
	get("/api/v1/workspace/"+staging.ID+"/assets", vera, 404)
	get("/api/v1/workspace/"+prod.ID+"/assets", key, 404) // a dev key
	get(assetsPath, key, 403)                             // without asset.read

	// Get, then update with If-Match.
	flowPath := assetsPath + "/" + flow.ID
	r = get(flowPath, vera, 200)
	assetTag := r.header.Get("ETag")
	if assetTag != fmt.Sprintf(`"%d"`, flow.Version) {
		t.Errorf("asset ETag %q, want version %d", assetTag, flow.Version)
	}
	get(prodAssets+"/"+flow.ID, owner, 404) // in another workspace
	get(assetsPath+"/"+forj.NewID(forj.PrefixAsset), owner, 404)
	get(flowPath, key, 403) // no asset.read scope
	newDesc, newLabels := "Answers tickets, politely", map[string]string{"team": "support"}
	var upd forj.Asset
	r = h.do(oaReq{method: "PATCH", path: flowPath, token: owner, header: map[string]string{"If-Match": assetTag},
		body: forj.UpdateAssetRequest{Description: &newDesc, Labels: &newLabels, Spec: json.RawMessage(`{"nodes":[]}`)}}, 200)
	r.decode(t, &upd)
	if upd.Version <= flow.Version || upd.Description != newDesc || len(upd.Labels) != 1 || r.header.Get("ETag") == assetTag {
		t.Errorf("updated flow = %+v (ETag %q)", upd, r.header.Get("ETag"))
	}
	h.wantCode(h.do(oaReq{method: "PATCH", path: flowPath, token: owner, header: map[string]string{"If-Match": assetTag},
		body: forj.UpdateAssetRequest{Description: &desc}}, 412), forj.EConflict)
	h.do(oaReq{method: "PATCH", path: flowPath, token: owner, header: map[string]string{"If-Match": "yesterday"}, body: forj.UpdateAssetRequest{}}, 400)
	dsName, supportBot := "faq", "support-bot"
	send("PATCH", flowPath, owner, forj.UpdateAssetRequest{Name: &dsName}, 200) // the dataset's name: another kind, no conflict
	send("PATCH", flowPath, owner, forj.UpdateAssetRequest{Name: &supportBot}, 200).decode(t, &upd)
	flowTag := fmt.Sprintf(`"%d"`, upd.Version)
	send("PATCH", flowPath, owner, forj.UpdateAssetRequest{Secret: json.RawMessage(`{"k":"v"}`)}, 400) // not a credential
	send("PATCH", assetsPath+"/"+ds.ID, owner, forj.UpdateAssetRequest{Name: &supportBot}, 200)        // a dataset may share a flow's name
	send("PATCH", assetsPath+"/"+ds.ID, owner, forj.UpdateAssetRequest{Name: &dsName}, 200)
	h.do(oaReq{method: "PATCH", path: flowPath, token: owner, body: []byte(`{"spec":null}`), specInvalid: true}, 400)
	h.do(oaReq{method: "PATCH", path: flowPath, token: owner, body: []byte(`{"kind":"tool"}`), specInvalid: true}, 400)
	send("PATCH", prodAssets+"/"+flow.ID, owner, forj.UpdateAssetRequest{Description: &newDesc}, 404)
	send("PATCH", flowPath, key, forj.UpdateAssetRequest{Description: &newDesc}, 403)
	credPath := assetsPath + "/" + cred.ID
	var credUpd forj.Asset
	send("PATCH", credPath, vera, forj.UpdateAssetRequest{Secret: json.RawMessage(`null`)}, 200).decode(t, &credUpd)
	if credUpd.HasSecret {
		t.Errorf("secret null left %+v", credUpd)
	}
	r = send("PATCH", credPath, vera, forj.UpdateAssetRequest{Secret: json.RawMessage(`{"apiKey":"` + apiKeySecret + `-2"}`)}, 200)
	r.decode(t, &credUpd)
	if !credUpd.HasSecret || bytes.Contains(r.body, []byte(apiKeySecret)) {
		t.Errorf("secret set = %s", r.body)
	}
	// A name taken by another flow.
	var router forj.Asset
	send("POST", assetsPath, owner, forj.CreateAssetRequest{Kind: forj.KindFlow, Name: "router"}, 201).decode(t, &router)
	h.wantCode(send("PATCH", assetsPath+"/"+router.ID, owner, forj.UpdateAssetRequest{Name: &supportBot}, 409), forj.EConflict)

	// Dataset documents, streamed both ways.
	docsPath := assetsPath + "/" + ds.ID + "/documents"
	content := bytes.Repeat([]byte("What are your opening hours? Nine to five.\n"), 1000)
	sum := fmt.Sprintf("%x", sha256.Sum256(content))
	putDoc := func(path string, body []byte, hdr map[string]string, want int) *oaResp {
		t.Helper()
		return h.do(oaReq{method: "PUT", path: path, token: owner, body: body, contentType: "application/octet-stream", header: hdr}, want)
	}
	var doc forj.Document
	putDoc(docsPath+"/faq.md", content, map[string]string{"X-Content-SHA256": sum}, 201).decode(t, &doc)
	if doc.Size != int64(len(content)) || doc.SHA256 != sum || doc.AssetID != ds.ID {
		t.Errorf("put document = %+v", doc)
	}
	putDoc(docsPath+"/faq.md", content[:100], nil, 200)
	putDoc(docsPath+"/faq.md", content, nil, 200)
	putDoc(docsPath+"/opening%20hours.txt", []byte("9-5\n"), nil, 201)
	putDoc(docsPath+"/empty.txt", []byte{}, nil, 201)
	h.wantCode(putDoc(docsPath+"/bad.md", content, map[string]string{"X-Content-SHA256": strings.Repeat("0", 64)}, 400), forj.EInvalid)
	h.do(oaReq{method: "PUT", path: docsPath + "/bad.md", token: owner, body: content, contentType: "application/octet-stream",
		header: map[string]string{"X-Content-SHA256": "xyz"}, specInvalid: true}, 400)
	putDoc(flowPath+"/documents/x.md", content, nil, 400) // not a dataset
	putDoc(assetsPath+"/"+forj.NewID(forj.PrefixAsset)+"/documents/x.md", content, nil, 404)
	h.do(oaReq{method: "PUT", path: docsPath + "/x.md", token: key, body: content, contentType: "application/octet-stream"}, 403)
	var dl forj.List[forj.Document]
	get(docsPath, vera, 200).decode(t, &dl)
	if len(dl.Data) != 3 {
		t.Errorf("documents = %+v, want 3", dl.Data)
	}
	get(flowPath+"/documents", owner, 400)
	get(prodAssets+"/"+ds.ID+"/documents", owner, 404)
	get(docsPath, key, 403)
	r = get(docsPath+"/faq.md", vera, 200)
	if !bytes.Equal(r.body, content) || r.header.Get("X-Content-SHA256") != sum || r.header.Get("ETag") != `"`+sum+`"` {
		t.Errorf("download: %d bytes, sha %q, ETag %q", len(r.body), r.header.Get("X-Content-SHA256"), r.header.Get("ETag"))
	}
	get(docsPath+"/opening%20hours.txt", owner, 200)
	get(docsPath+"/empty.txt", owner, 200)
	get(docsPath+"/missing.md", owner, 404)
	get(flowPath+"/documents/faq.md", owner, 400)
	get(docsPath+"/faq.md", key, 403)
	send("DELETE", docsPath+"/empty.txt", owner, nil, 204)
	send("DELETE", docsPath+"/empty.txt", owner, nil, 404)
	send("DELETE", flowPath+"/documents/faq.md", owner, nil, 400)
	send("DELETE", docsPath+"/faq.md", key, nil, 403)

	// Search across workspaces: the CLI's "it is in workspace X".
	get("/api/v1/assets?name=support-bot", vera, 200).decode(t, &asl)
	if len(asl.Data) != 1 || asl.Data[0].WorkspaceID != dev.ID {
		t.Errorf("search = %+v", asl.Data)
	}
	get("/api/v1/assets?kind=dataset&label=team=support&limit=10", owner, 200)
	get("/api/v1/assets", key, 200).decode(t, &asl) // no asset.read anywhere
	if len(asl.Data) != 0 {
		t.Errorf("a key without asset.read found %+v", asl.Data)
	}
	h.do(oaReq{method: "GET", path: "/api/v1/assets?kind=widget", token: owner, specInvalid: true}, 400)
	get("/api/v1/assets?cursor=%25%25%25", owner, 400)

	// Transfers between dev and prod.
	transfer := func(tok string, req forj.TransferRequest, want int) *forj.TransferResponse {
		t.Helper()
		r := send("POST", "/api/v1/assets/transfer", tok, req, want)
		if want != 200 {
			return nil
		}
		var tr forj.TransferResponse
		r.decode(t, &tr)
		if len(tr.Items) != len(req.IDs) {
			t.Errorf("transfer answered %d items for %d ids", len(tr.Items), len(req.IDs))
		}
		return &tr
	}
	tr := transfer(owner, forj.TransferRequest{Mode: forj.TransferCopy, From: dev.ID, To: prod.ID, IDs: []string{flow.ID, ds.ID}, DryRun: true}, 200)
	if !tr.DryRun || tr.Summary[forj.ItemCopied] != 2 {
		t.Errorf("copy dry run = %+v", tr)
	}
	get(prodAssets, owner, 200).decode(t, &asl)
	if len(asl.Data) != 0 {
		t.Errorf("a dry run copied %+v", asl.Data)
	}
	tr = transfer(owner, forj.TransferRequest{Mode: forj.TransferCopy, From: dev.ID, To: prod.ID, IDs: []string{flow.ID, ds.ID}}, 200)
	if tr.Summary[forj.ItemCopied] != 2 || tr.Items[1].TargetID == "" || tr.Items[1].TargetID == ds.ID {
		t.Fatalf("copy = %+v", tr)
	}
	get(prodAssets+"/"+tr.Items[1].TargetID+"/documents", owner, 200).decode(t, &dl)
	if len(dl.Data) != 2 {
		t.Errorf("the copied dataset has %+v", dl.Data)
	}
	tr = transfer(owner, forj.TransferRequest{Mode: forj.TransferCopy, From: dev.ID, To: prod.ID, IDs: []string{flow.ID}, OnConflict: forj.OnConflictFail}, 200)
	if tr.Items[0].Result != forj.ItemUnchanged {
		t.Errorf("copying again = %+v, want unchanged", tr.Items[0])
	}
	// A conflict item and a missing id fail on their own; the credential still moves.
	send("POST", prodAssets, owner, forj.CreateAssetRequest{Kind: forj.KindFlow, Name: "router"}, 201)
	missing := forj.NewID(forj.PrefixAsset)
	tr = transfer(owner, forj.TransferRequest{Mode: forj.TransferMove, From: dev.ID, To: prod.ID, IDs: []string{router.ID, missing, cred.ID}}, 200)
	if it := tr.Items[0]; it.Result != forj.ItemFailed || it.Error == nil || it.Error.Code != forj.EConflict {
		t.Errorf("conflict item = %+v", it)
	}
	if it := tr.Items[1]; it.Result != forj.ItemFailed || it.Error == nil || it.Error.Code != forj.ENotFound {
		t.Errorf("missing item = %+v", it)
	}
	if it := tr.Items[2]; it.Result != forj.ItemMoved || it.TargetID != cred.ID {
		t.Errorf("moved item = %+v", it)
	}
	tr = transfer(owner, forj.TransferRequest{Mode: forj.TransferMove, From: dev.ID, To: prod.ID, IDs: []string{router.ID}, OnConflict: forj.OnConflictRename, DryRun: true}, 200)
	if it := tr.Items[0]; it.Result != forj.ItemRenamed || it.NewName != "router-2" {
		t.Errorf("rename dry run = %+v", it)
	}
	tr = transfer(owner, forj.TransferRequest{Mode: forj.TransferMove, From: dev.ID, To: prod.ID, IDs: []string{cred.ID}, OnConflict: forj.OnConflictSkip}, 200)
	if tr.Items[0].Result != forj.ItemUnchanged {
		t.Errorf("moving again = %+v, want unchanged", tr.Items[0])
	}
	get(prodAssets+"/"+cred.ID, owner, 200)
	get(credPath, owner, 404) // moved away
	h.wantCode(send("POST", "/api/v1/assets/transfer", vera, forj.TransferRequest{Mode: forj.TransferCopy, From: dev.ID, To: prod.ID, IDs: []string{flow.ID}}, 403), forj.EForbidden)
	transfer(vera, forj.TransferRequest{Mode: forj.TransferCopy, From: dev.ID, To: staging.ID, IDs: []string{flow.ID}}, 404)
	transfer(owner, forj.TransferRequest{Mode: forj.TransferCopy, From: dev.ID, To: unknownWS, IDs: []string{flow.ID}}, 404)
	h.wantCode(h.do(oaReq{method: "POST", path: "/api/v1/assets/transfer", token: owner, specInvalid: true,
		body: forj.TransferRequest{Mode: forj.TransferCopy, From: "", To: prod.ID, IDs: []string{flow.ID}}}, 400), forj.EInvalid)
	for _, body := range []string{
		`{"mode":"teleport","from":"` + dev.ID + `","to":"` + prod.ID + `","ids":["` + flow.ID + `"]}`,
		`{"mode":"copy","from":"` + dev.ID + `","to":"` + prod.ID + `","ids":[]}`,
		`{"mode":"copy","from":"` + dev.ID + `","to":"` + prod.ID + `","ids":["` + flow.ID + `","` + flow.ID + `"]}`,
		`{"mode":"copy","from":"` + dev.ID + `","to":"` + prod.ID + `","ids":["` + flow.ID + `"],"onConflict":"merge"}`,
		`{"mode":"copy","from":"` + dev.ID + `","to":"` + prod.ID + `","ids":["` + flow.ID + `"],"force":true}`,
	} {
		h.wantCode(h.do(oaReq{method: "POST", path: "/api/v1/assets/transfer", token: owner, body: []byte(body), specInvalid: true}, 400), forj.EInvalid)
	}
	many := make([]string, forj.MaxTransferItems+1)
	for i := range many {
		many[i] = forj.NewID(forj.PrefixAsset)
	}
	h.wantCode(h.do(oaReq{method: "POST", path: "/api/v1/assets/transfer", token: owner, specInvalid: true,
		body: forj.TransferRequest{Mode: forj.TransferCopy, From: dev.ID, To: prod.ID, IDs: many}}, 413), forj.ETooLarge)

	// Export prod (copies of the flow and the dataset, its own router, the moved credential)
	// and import it into dev.
	exportPath, importPath := "/api/v1/workspace/"+prod.ID+"/export", "/api/v1/workspace/"+dev.ID+"/import"
	const passphrase = "correct horse battery staple"
	withPass := map[string]string{forj.BundlePassphraseHeader: passphrase}
	plain := get(exportPath, owner, 200)
	if len(plain.body) < 2 || plain.body[0] != 0x1f || plain.body[1] != 0x8b || !strings.Contains(plain.header.Get("Content-Disposition"), prod.Name) {
		t.Errorf("export: %d bytes, Content-Disposition %q", len(plain.body), plain.header.Get("Content-Disposition"))
	}
	sealed := h.do(oaReq{method: "GET", path: exportPath + "?includeSecrets=true", token: owner, header: withPass}, 200)
	h.wantCode(get(exportPath+"?includeSecrets=true", owner, 400), forj.EInvalid) // no passphrase
	h.do(oaReq{method: "GET", path: exportPath + "?includeSecrets=true", token: owner, header: map[string]string{forj.BundlePassphraseHeader: "short"}, specInvalid: true}, 400)
	h.wantCode(h.do(oaReq{method: "GET", path: exportPath + "?includeSecrets=true", token: vera, header: withPass}, 403), forj.EForbidden) // tester: no asset.write
	get(exportPath, vera, 200)                                                                                                             // a tester may export
	get("/api/v1/workspace/"+staging.ID+"/export", vera, 404)
	get("/api/v1/workspace/"+dev.ID+"/export", key, 403)

	importBundle := func(query string, bundle []byte, hdr map[string]string, want int) *oaResp {
		t.Helper()
		return h.do(oaReq{method: "POST", path: importPath + query, token: owner, body: bundle, contentType: "application/gzip", header: hdr}, want)
	}
	var ir forj.ImportResponse
	importBundle("?dryRun=true", sealed.body, withPass, 200).decode(t, &ir)
	if !ir.DryRun || ir.Summary[forj.ItemCreated] != 1 || ir.Summary[forj.ItemUnchanged] != 3 || ir.Documents != 2 || ir.Bytes == 0 {
		t.Errorf("import dry run = %+v", ir)
	}
	h.wantCode(importBundle("", sealed.body, nil, 400), forj.EInvalid) // sealed secrets, no passphrase
	importBundle("?onConflict=fail", sealed.body, withPass, 200).decode(t, &ir)
	if ir.DryRun || ir.Summary[forj.ItemCreated] != 1 {
		t.Errorf("import = %+v", ir)
	}
	get(assetsPath+"?kind=credential&name=openai", owner, 200).decode(t, &asl)
	if len(asl.Data) != 1 || !asl.Data[0].HasSecret {
		t.Errorf("the imported credential = %+v, want its secret", asl.Data)
	}
	importBundle("", plain.body, nil, 200).decode(t, &ir)
	if ir.Summary[forj.ItemUnchanged] != len(ir.Items) {
		t.Errorf("re-import = %+v, want all unchanged", ir)
	}
	// A changed asset conflicts; nothing is applied.
	routerDesc := "routes by language"
	send("PATCH", assetsPath+"/"+router.ID, owner, forj.UpdateAssetRequest{Description: &routerDesc}, 200)
	r = importBundle("", plain.body, nil, 409)
	var eb forj.ErrorBody
	r.decode(t, &eb)
	if eb.Error == nil || eb.Error.Code != forj.EConflict || len(eb.Error.Details) != 1 {
		t.Errorf("import conflict = %s", r.body)
	}
	importBundle("?onConflict=rename&dryRun=true", plain.body, nil, 200).decode(t, &ir)
	if ir.Summary[forj.ItemRenamed] != 1 {
		t.Errorf("import rename dry run = %+v", ir)
	}
	importBundle("?onConflict=overwrite", plain.body, map[string]string{"Idempotency-Key": "import-1"}, 200).decode(t, &ir)
	if ir.Summary[forj.ItemUpdated] != 1 {
		t.Errorf("import overwrite = %+v", ir)
	}
	r = importBundle("", []byte("this is not a bundle"), nil, 400)
	r.decode(t, &eb)
	if eb.Error == nil || eb.Error.Code != forj.EInvalid || len(eb.Error.Details) == 0 {
		t.Errorf("import of garbage = %s, want invalid with details", r.body)
	}
	h.do(oaReq{method: "POST", path: importPath + "?onConflict=merge", token: owner, body: plain.body, contentType: "application/gzip", specInvalid: true}, 400)
	h.wantCode(h.do(oaReq{method: "POST", path: "/api/v1/workspace/" + prod.ID + "/import", token: vera, body: plain.body, contentType: "application/gzip"}, 403), forj.EForbidden)
	h.do(oaReq{method: "POST", path: "/api/v1/workspace/" + staging.ID + "/import", token: vera, body: plain.body, contentType: "application/gzip"}, 404)

	// Delete with If-Match.
	h.wantCode(h.do(oaReq{method: "DELETE", path: flowPath, token: owner, header: map[string]string{"If-Match": assetTag}}, 412), forj.EConflict)
	h.do(oaReq{method: "DELETE", path: flowPath, token: owner, header: map[string]string{"If-Match": "x"}}, 400)
	send("DELETE", prodAssets+"/"+cred.ID, vera, nil, 403) // tester in prod
	h.do(oaReq{method: "DELETE", path: flowPath, token: owner, header: map[string]string{"If-Match": flowTag}}, 204)
	get(flowPath, owner, 404)
	send("DELETE", flowPath, owner, nil, 404)
	send("DELETE", assetsPath+"/"+router.ID, vera, nil, 204)
	sweepAssetID := ds.ID

	// Delete a workspace.
	send("DELETE", "/api/v1/workspace/"+prod.ID, vera, nil, 403) // tester in prod
	send("DELETE", "/api/v1/workspace/"+staging.ID, vera, nil, 404)
	send("DELETE", "/api/v1/workspace/"+staging.ID, owner, nil, 204)
	send("DELETE", "/api/v1/workspace/"+staging.ID, owner, nil, 404)

	// Idempotency-Key reused for another request: a conflict on every kind of POST.
	reuse := func(key, path1 string, body1 any, want1 int, path2 string, body2 any) {
		t.Helper()
		hdr := map[string]string{"Idempotency-Key": key}
		h.do(oaReq{method: "POST", path: path1, token: owner, body: body1, header: hdr}, want1)
		h.wantCode(h.do(oaReq{method: "POST", path: path2, token: owner, body: body2, header: hdr}, 409), forj.EConflict)
	}
	reuse("k-switch", "/api/v1/auth/switch-workspace", forj.SwitchWorkspaceRequest{WorkspaceID: dev.ID}, 200,
		"/api/v1/auth/switch-workspace", forj.SwitchWorkspaceRequest{WorkspaceID: prod.ID})
	reuse("k-token", "/api/v1/auth/tokens", forj.CreateTokenRequest{Name: "a"}, 201,
		"/api/v1/auth/tokens", forj.CreateTokenRequest{Name: "b"})
	reuse("k-disable", "/api/v1/users/"+ninaID+"/disable", nil, 200, "/api/v1/users/"+veraID+"/disable", nil)
	reuse("k-enable", "/api/v1/users/"+ninaID+"/enable", nil, 200, "/api/v1/users/"+veraID+"/enable", nil)
	reuse("k-remove", "/api/v1/workspace/"+prod.ID+"/remove-user", forj.RemoveUserRequest{UserID: veraID}, 200,
		"/api/v1/workspace/"+prod.ID+"/remove-user", forj.RemoveUserRequest{UserID: ninaID})
	reuse("k-add", "/api/v1/workspace/"+prod.ID+"/add-user", forj.AddUserRequest{UserID: veraID, Role: "viewer"}, 201,
		"/api/v1/workspace/"+prod.ID+"/add-user", forj.AddUserRequest{UserID: ninaID, Role: "viewer"})
	reuse("k-invite", "/api/v1/users", forj.InviteUserRequest{Email: "omar@example.com"}, 201,
		"/api/v1/users", forj.InviteUserRequest{Email: "pia@example.com"})
	reuse("k-asset", assetsPath, forj.CreateAssetRequest{Kind: forj.KindTool, Name: "calculator"}, 201,
		assetsPath, forj.CreateAssetRequest{Kind: forj.KindTool, Name: "calendar"})
	reuse("k-transfer", "/api/v1/assets/transfer", forj.TransferRequest{Mode: forj.TransferCopy, From: dev.ID, To: prod.ID, IDs: []string{ds.ID}}, 200,
		"/api/v1/assets/transfer", forj.TransferRequest{Mode: forj.TransferCopy, From: dev.ID, To: prod.ID, IDs: []string{ds.ID}, OnConflict: forj.OnConflictSkip})
	reuse("k-role", "/api/v1/roles", forj.CreateRoleRequest{Name: "reader", Permissions: []string{"asset.read"}}, 201,
		"/api/v1/roles", forj.CreateRoleRequest{Name: "writer", Permissions: []string{"asset.write"}})

	// Log out: "current" revokes the calling token.
	send("DELETE", "/api/v1/auth/tokens/current", vera, nil, 204)
	get("/api/v1/auth/me", vera, 401)

	// Sweep every operation: without a token each protected one answers 401, and each one
	// that takes a body answers 413 to an oversize one.
	concrete := strings.NewReplacer("{id}", dev.ID, "{userId}", veraID, "{tokenId}", "current", "{name}", "viewer", "{keyId}", sweepKeyID,
		"{assetId}", sweepAssetID)
	huge := []byte(`{"padding":"` + strings.Repeat("x", 1<<20) + `"}`)
	for _, path := range h.doc.Paths.InMatchingOrder() {
		for method, op := range h.doc.Paths.Value(path).Operations() {
			p := concrete.Replace(path)
			if op.Security == nil || len(*op.Security) > 0 {
				h.wantCode(h.do(oaReq{method: method, path: p, specInvalid: true}, 401), forj.EUnauthenticated)
			}
			// Streamed bodies (documents) are not bound by the 1 MiB limit.
			if op.RequestBody != nil && op.RequestBody.Value.Content.Get("application/json") != nil {
				tok := owner
				if path == "/api/v1/usage" {
					tok = sweepKey // usage takes an API key only
				}
				h.wantCode(h.do(oaReq{method: method, path: p, token: tok, body: huge, specInvalid: true}, 413), forj.ETooLarge)
			}
		}
	}

	// A database that does not answer makes the server unready.
	if err := h.st.Close(); err != nil {
		t.Fatal(err)
	}
	get("/readyz", "", 503)

	h.checkCoverage()
}

// oaAPIKey stores a workspace API key for a user and returns the token string.
func oaAPIKey(t *testing.T, st *sqlite.Store, userID, workspaceID string, scopes []string) string {
	t.Helper()
	id, secret := forj.NewID(forj.PrefixToken), forj.NewTokenSecret()
	// The harness's pepper: keys are checked with the server's HMAC.
	pepper := []byte("openapi-test-pepper-0123456789abcdef")
	err := st.Update(context.Background(), func(tx forj.Tx) error {
		return tx.CreateToken(&forj.Token{
			ID: id, Kind: forj.TokenKey, Name: "contract-key", UserID: userID, WorkspaceID: workspaceID,
			Scopes: scopes, Prefix: forj.TokenDisplayPrefix(forj.TokenKey, id), SecretHash: HashSecret(pepper, secret),
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return forj.FormatToken(forj.TokenKey, id, secret)
}

// checkCoverage fails for a spec operation the scenario never called, and logs the
// documented statuses it never saw.
func (h *oaHarness) checkCoverage() {
	h.t.Helper()
	var missing, unseen []string
	for path, item := range h.doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := method + " " + path
			seen := h.seen[key]
			if len(seen) == 0 {
				missing = append(missing, key)
				continue
			}
			for code := range op.Responses.Map() {
				var n int
				if _, err := fmt.Sscan(code, &n); err == nil && !seen[n] && n != 500 {
					unseen = append(unseen, key+" → "+code)
				}
			}
		}
	}
	sort.Strings(missing)
	sort.Strings(unseen)
	for _, k := range missing {
		h.t.Errorf("the scenario never called %s", k)
	}
	if len(unseen) > 0 {
		h.t.Logf("documented statuses the scenario did not produce:\n  %s", strings.Join(unseen, "\n  "))
	}
}

// TestOpenAPIRoutesMatchRouteTable: every route the server answers is in the spec with
// its method, and every operation of the spec is a route of the server.
func TestOpenAPIRoutesMatchRouteTable(t *testing.T) {
	doc := oaLoadSpec(t)
	served := map[string]bool{}
	for _, rt := range routes() {
		key := rt.method + " " + rt.pattern
		served[key] = true
		item := doc.Paths.Value(rt.pattern)
		if item == nil || item.GetOperation(rt.method) == nil {
			t.Errorf("the server answers %s, which docs/openapi.yaml does not describe", key)
			continue
		}
		op := item.GetOperation(rt.method)
		// Public routes need no security; every other route needs the bearer scheme.
		isPublic := op.Security != nil && len(*op.Security) == 0
		if isPublic != (rt.access == public) {
			t.Errorf("%s: spec says public=%v, route table says access %v", key, isPublic, rt.access)
		}
		// Every POST but login documents Idempotency-Key.
		if rt.method == http.MethodPost && rt.access != public && !oaHasParam(op, item, "Idempotency-Key") {
			t.Errorf("%s does not document Idempotency-Key", key)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !served[method+" "+path] {
				t.Errorf("docs/openapi.yaml describes %s %s, which the server does not answer", method, path)
			}
		}
	}
	// The error code enum is the set of forj codes.
	codes := doc.Components.Schemas["Error"].Value.Properties["code"].Value.Enum
	want := []string{forj.EInvalid, forj.EUnauthenticated, forj.EForbidden, forj.ENotFound, forj.EConflict, forj.ETooLarge, forj.ERateLimited, forj.EInternal}
	var got []string
	for _, c := range codes {
		got = append(got, fmt.Sprint(c))
	}
	if !slices.Equal(got, want) {
		t.Errorf("error code enum = %v, want %v", got, want)
	}
}

func oaHasParam(op *openapi3.Operation, item *openapi3.PathItem, name string) bool {
	for _, ps := range []openapi3.Parameters{op.Parameters, item.Parameters} {
		for _, p := range ps {
			if p.Value != nil && p.Value.Name == name {
				return true
			}
		}
	}
	return false
}
