package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/authz"
	"github.com/forjinn/forjctl/pkg/bundle/bundletest"
	"github.com/forjinn/forjctl/pkg/forj"
)

// The access matrix: every route of the route table × every kind of caller × its own
// workspace and another one. The expected status comes from one function of the route's
// declared access and the built-in roles' permissions; allowed requests run on a fresh
// fixture (they change state), denied ones on a shared one, where each must leave an audit
// event behind.

// principal is one kind of caller.
type principal struct {
	name    string
	role    string   // built-in role in workspace A ("" for none)
	owner   bool     // the platform owner
	noToken bool     // no Authorization header
	revoked bool     // a revoked token
	key     []string // an API key on workspace A with these scopes (creator: an admin of A)
}

var principals = []principal{
	{name: "owner", owner: true},
	{name: "admin", role: authz.RoleAdmin},
	{name: "developer", role: authz.RoleDeveloper},
	{name: "tester", role: authz.RoleTester},
	{name: "viewer", role: authz.RoleViewer},
	{name: "non-member"},
	{name: "no-token", noToken: true},
	{name: "revoked", role: authz.RoleAdmin, revoked: true},
	{name: "key", role: authz.RoleAdmin, key: []string{authz.WorkspaceRead, authz.MemberRead, authz.MemberWrite, authz.UsageWrite}},
}

// fixture: workspaces A and B, one user per principal (members of A only), a target user
// who is a viewer of both (the object of membership and user routes), an admin of B, and an
// unused custom role.
type fixture struct {
	*env
	a, b   *forj.Workspace
	target *forj.User
	tokens map[string]string // principal name → token
	keys   map[string]string // workspace id → the id of an API key of it (the object of key routes)
	flows  map[string]string // workspace id → a flow of it (the object of asset routes)
	sets   map[string]string // workspace id → a dataset of it holding the document "a.txt"
}

const targetPassword = "target-password-1"

func newFixture(t testing.TB, open opener, targetHash string) *fixture {
	e := newEnvWith(t, open)
	fx := &fixture{env: e, tokens: map[string]string{}, keys: map[string]string{},
		flows: map[string]string{}, sets: map[string]string{}}
	fx.a, fx.b = e.newWorkspace("alpha"), e.newWorkspace("bravo")
	fx.target, _ = e.newUser("target@example.com")
	e.update(func(tx forj.Tx) error {
		u, err := tx.GetUser(fx.target.ID)
		if err != nil {
			return err
		}
		u.PasswordHash = targetHash
		return tx.UpdateUser(u)
	})
	e.addMember(fx.a.ID, fx.target.ID, authz.RoleViewer)
	e.addMember(fx.b.ID, fx.target.ID, authz.RoleViewer)
	bAdmin, _ := e.newUser("b-admin@example.com")
	e.addMember(fx.b.ID, bAdmin.ID, authz.RoleAdmin)
	e.update(func(tx forj.Tx) error {
		return tx.CreateRole(&forj.Role{Name: "ops", Description: "unused", Permissions: []string{authz.AssetRead}})
	})
	for _, k := range []struct {
		ws      *forj.Workspace
		creator string
	}{{fx.a, fx.target.ID}, {fx.b, bAdmin.ID}} {
		e.update(func(tx forj.Tx) error {
			tok, err := e.newToken(tx, k.creator, forj.TokenKey, k.ws.ID, []string{authz.WorkspaceRead})
			_, fx.keys[k.ws.ID], _, _ = forj.ParseToken(tok)
			return err
		})
	}
	for _, ws := range []*forj.Workspace{fx.a, fx.b} {
		fx.flows[ws.ID], fx.sets[ws.ID] = e.newAsset(ws.ID, forj.KindFlow, "welcome"), e.newAsset(ws.ID, forj.KindDataset, "docs")
		e.putDocument(fx.sets[ws.ID], "a.txt", []byte("hello"))
	}
	for _, p := range principals {
		switch {
		case p.owner:
			fx.tokens[p.name] = e.ownerToken
		case p.noToken:
		default:
			u, tok := e.newUser(p.name + "@example.com")
			if p.role != "" {
				e.addMember(fx.a.ID, u.ID, p.role)
			}
			if p.key != nil {
				e.update(func(tx forj.Tx) error {
					var err error
					tok, err = e.newToken(tx, u.ID, forj.TokenKey, fx.a.ID, p.key)
					return err
				})
			}
			if p.revoked {
				_, id, _, _ := forj.ParseToken(tok)
				e.update(func(tx forj.Tx) error { return tx.RevokeToken(id, tx.Now()) })
			}
			fx.tokens[p.name] = tok
		}
	}
	return fx
}

// sample is a request for one route that succeeds when the caller is allowed.
type sample struct {
	path string
	body string
	ok   int
}

// samples builds the request for a route in workspace ws; every route needs one.
func samples(fx *fixture, ws *forj.Workspace) map[string]sample {
	id, tgt, key := ws.ID, fx.target.ID, fx.keys[ws.ID]
	flow := "/api/v1/workspace/" + id + "/assets/" + fx.flows[ws.ID]
	doc := "/api/v1/workspace/" + id + "/assets/" + fx.sets[ws.ID] + "/documents/a.txt"
	usage := `{"events":[{"assistant":"support","environment":"prod","tokensIn":1,"tokensOut":2,"computeMs":3,"apiCalls":4,"voiceMinutes":0.5,"time":"` +
		fx.clock.Now().Format(time.RFC3339) + `"}]}`
	return map[string]sample{
		"GET /healthz":                                                    {"/healthz", "", 200},
		"GET /readyz":                                                     {"/readyz", "", 200},
		"POST /api/v1/auth/login":                                         {"/api/v1/auth/login", `{"email":"target@example.com","password":"` + targetPassword + `"}`, 201},
		"GET /api/v1/auth/me":                                             {"/api/v1/auth/me", "", 200},
		"POST /api/v1/auth/switch-workspace":                              {"/api/v1/auth/switch-workspace", `{"workspaceId":"` + id + `"}`, 200},
		"GET /api/v1/auth/tokens":                                         {"/api/v1/auth/tokens", "", 200},
		"POST /api/v1/auth/tokens":                                        {"/api/v1/auth/tokens", `{"name":"ci"}`, 201},
		"DELETE /api/v1/auth/tokens/{tokenId}":                            {"/api/v1/auth/tokens/current", "", 204},
		"POST /api/v1/workspace":                                          {"/api/v1/workspace", `{"name":"charlie"}`, 201},
		"GET /api/v1/workspaces":                                          {"/api/v1/workspaces", "", 200},
		"GET /api/v1/workspace/{id}":                                      {"/api/v1/workspace/" + id, "", 200},
		"PATCH /api/v1/workspace/{id}":                                    {"/api/v1/workspace/" + id, `{"description":"changed"}`, 200},
		"DELETE /api/v1/workspace/{id}":                                   {"/api/v1/workspace/" + id, "", 204},
		"POST /api/v1/workspace/{id}/add-user":                            {"/api/v1/workspace/" + id + "/add-user", `{"email":"new@example.com","role":"viewer"}`, 201},
		"POST /api/v1/workspace/{id}/remove-user":                         {"/api/v1/workspace/" + id + "/remove-user", `{"userId":"` + tgt + `"}`, 200},
		"GET /api/v1/workspace/{id}/members":                              {"/api/v1/workspace/" + id + "/members", "", 200},
		"PATCH /api/v1/workspace/{id}/members/{userId}":                   {"/api/v1/workspace/" + id + "/members/" + tgt, `{"role":"tester"}`, 200},
		"GET /api/v1/workspace/{id}/audit":                                {"/api/v1/workspace/" + id + "/audit", "", 200},
		"GET /api/v1/audit":                                               {"/api/v1/audit", "", 200},
		"GET /api/v1/workspace/{id}/keys":                                 {"/api/v1/workspace/" + id + "/keys", "", 200},
		"POST /api/v1/workspace/{id}/keys":                                {"/api/v1/workspace/" + id + "/keys", `{"name":"runtime","scopes":["workspace.read"]}`, 201},
		"DELETE /api/v1/workspace/{id}/keys/{keyId}":                      {"/api/v1/workspace/" + id + "/keys/" + key + "?reason=leaked", "", 204},
		"POST /api/v1/workspace/{id}/keys/{keyId}/rotate":                 {"/api/v1/workspace/" + id + "/keys/" + key + "/rotate", `{"grace":"1h"}`, 201},
		"GET /api/v1/keys/verify":                                         {"/api/v1/keys/verify", "", 200},
		"POST /api/v1/usage":                                              {"/api/v1/usage", usage, 202},
		"GET /api/v1/usage/report":                                        {"/api/v1/usage/report", "", 200},
		"GET /api/v1/workspace/{id}/assets":                               {"/api/v1/workspace/" + id + "/assets?kind=flow", "", 200},
		"POST /api/v1/workspace/{id}/assets":                              {"/api/v1/workspace/" + id + "/assets", `{"kind":"flow","name":"new-flow","spec":{"nodes":[]}}`, 201},
		"GET /api/v1/workspace/{id}/assets/{assetId}":                     {flow, "", 200},
		"PATCH /api/v1/workspace/{id}/assets/{assetId}":                   {flow, `{"description":"changed"}`, 200},
		"DELETE /api/v1/workspace/{id}/assets/{assetId}":                  {flow, "", 204},
		"GET /api/v1/workspace/{id}/assets/{assetId}/documents":           {"/api/v1/workspace/" + id + "/assets/" + fx.sets[ws.ID] + "/documents", "", 200},
		"PUT /api/v1/workspace/{id}/assets/{assetId}/documents/{name}":    {doc, "new content", 200},
		"GET /api/v1/workspace/{id}/assets/{assetId}/documents/{name}":    {doc, "", 200},
		"DELETE /api/v1/workspace/{id}/assets/{assetId}/documents/{name}": {doc, "", 204},
		"GET /api/v1/workspace/{id}/export":                               {"/api/v1/workspace/" + id + "/export", "", 200},
		"POST /api/v1/workspace/{id}/import":                              {"/api/v1/workspace/" + id + "/import", string(bundletest.Valid()), 200},
		"GET /api/v1/assets":                                              {"/api/v1/assets?name=welcome", "", 200},
		"POST /api/v1/assets/transfer":                                    {"/api/v1/assets/transfer", `{"mode":"copy","from":"` + id + `","to":"` + id + `","ids":["` + fx.flows[ws.ID] + `"],"onConflict":"rename"}`, 200},
		"GET /api/v1/users":                                               {"/api/v1/users", "", 200},
		"POST /api/v1/users":                                              {"/api/v1/users", `{"email":"invitee@example.com"}`, 201},
		"GET /api/v1/users/{userId}":                                      {"/api/v1/users/" + tgt, "", 200},
		"POST /api/v1/users/{userId}/disable":                             {"/api/v1/users/" + tgt + "/disable", "", 200},
		"POST /api/v1/users/{userId}/enable":                              {"/api/v1/users/" + tgt + "/enable", "", 200},
		"GET /api/v1/roles":                                               {"/api/v1/roles", "", 200},
		"GET /api/v1/roles/{name}":                                        {"/api/v1/roles/ops", "", 200},
		"POST /api/v1/roles":                                              {"/api/v1/roles", `{"name":"qa","permissions":["asset.read","audit.read"]}`, 201},
		"DELETE /api/v1/roles/{name}":                                     {"/api/v1/roles/ops", "", 204},
		"GET /api/v1/permissions":                                         {"/api/v1/permissions", "", 200},
	}
}

// expected is the status a principal gets on a route in its own workspace (A) or another
// one (B), from the route's declared access and the built-in roles' permissions.
func expected(rt route, p principal, own bool, ok int) int {
	if rt.access == public {
		return ok
	}
	if p.noToken || p.revoked {
		return http.StatusUnauthorized
	}
	isKey := p.key != nil
	switch rt.access {
	case authenticated:
		return ok
	case userOnly:
		if isKey {
			return http.StatusForbidden
		}
		return ok
	case global:
		if p.owner && !isKey {
			return ok
		}
		return http.StatusForbidden
	case apiKey:
		if isKey {
			return ok
		}
		return http.StatusUnauthorized
	case keyWorkspace:
		if !isKey {
			return http.StatusForbidden
		}
	}
	// workspace and bodyWorkspace; keyWorkspace (an API key, in its own workspace A)
	if p.owner {
		return ok
	}
	if !own || p.role == "" {
		return http.StatusNotFound
	}
	r, _ := authz.Builtin(p.role)
	perms := r.Permissions
	if isKey {
		perms = slices.DeleteFunc(slices.Clone(perms), func(s string) bool { return !slices.Contains(p.key, s) })
	}
	if slices.Contains(perms, rt.perm) {
		return ok
	}
	return http.StatusForbidden
}

func (rt route) key() string { return rt.method + " " + rt.pattern }

func hasWorkspace(rt route) bool { return rt.access == workspace || rt.access == bodyWorkspace }

// TestAccessMatrix runs on every store: the denied requests share one store per store kind,
// each allowed request gets a fresh one (in a subtest, so it is closed at once; on
// PostgreSQL a fresh schema of the test's database).
func TestAccessMatrix(t *testing.T) {
	targetHash := hashPassword(targetPassword)
	forEachStore(t, func(t *testing.T, sk storeKind) { testAccessMatrix(t, sk, targetHash) })
}

func testAccessMatrix(t *testing.T, sk storeKind, targetHash string) {
	fresh := sk.many(t)
	shared := newFixture(t, fresh, targetHash)
	// Every route has a sample, and every sample is a route.
	rts := routes()
	smp := samples(shared, shared.a)
	for _, rt := range rts {
		if _, ok := smp[rt.key()]; !ok {
			t.Fatalf("route %s has no sample in the access matrix", rt.key())
		}
	}
	if len(smp) != len(rts) {
		t.Fatalf("%d samples for %d routes", len(smp), len(rts))
	}

	var allowed, denied int
	for _, rt := range rts {
		for _, p := range principals {
			for _, own := range []bool{true, false} {
				if !own && !hasWorkspace(rt) {
					continue
				}
				where := "own"
				if !own {
					where = "other"
				}
				name := fmt.Sprintf("%s/%s/%s", rt.key(), p.name, where)
				want := expected(rt, p, own, smp[rt.key()].ok)
				if want < 400 {
					allowed++
					t.Run(name, func(t *testing.T) {
						t.Parallel() // after the denied requests, on their own stores
						matrixCase(t, newFixture(t, fresh, targetHash), rt, p, own, want, name)
					})
				} else {
					denied++
					matrixCase(t, shared, rt, p, own, want, name)
				}
			}
		}
	}
	t.Logf("%s: %d routes, %d allowed and %d denied requests", sk.name, len(rts), allowed, denied)
}

// matrixCase sends one request of the matrix on fx and checks its status and, when denied,
// that it leaks nothing and leaves an audit event.
func matrixCase(t *testing.T, fx *fixture, rt route, p principal, own bool, want int, name string) {
	t.Helper()
	ws := fx.a
	if !own {
		ws = fx.b
	}
	s := samples(fx, ws)[rt.key()]
	before := len(fx.audit("access.denied")) + len(fx.audit("auth.token_rejected"))
	var body any
	if s.body != "" {
		body = s.body
	}
	r := fx.do(rt.method, s.path, fx.tokens[p.name], body)
	if r.Code != want {
		t.Errorf("%s: status %d, want %d: %s", name, r.Code, want, r.Body)
		return
	}
	if want < 400 {
		return
	}
	// No leaks: a denial never names the other workspace.
	if strings.Contains(r.String(), fx.b.Name) {
		t.Errorf("%s: response leaks workspace name: %s", name, r.Body)
	}
	after := len(fx.audit("access.denied")) + len(fx.audit("auth.token_rejected"))
	wantEvents := 1
	if p.noToken {
		wantEvents = 0 // nothing presented, nothing to audit
	}
	if after-before != wantEvents {
		t.Errorf("%s: %d denial events written, want %d", name, after-before, wantEvents)
	}
}

// Members of A see nothing of B in lists either.
func TestNoCrossWorkspaceLeaksInLists(t *testing.T) {
	forEachStore(t, testNoCrossWorkspaceLeaksInLists)
}

func testNoCrossWorkspaceLeaksInLists(t *testing.T, sk storeKind) {
	fx := newFixture(t, sk.open, hashPassword(targetPassword))
	// Something happens in B.
	fx.must(200, fx.do("PATCH", "/api/v1/workspace/"+fx.b.ID, fx.ownerToken, `{"description":"secret plans"}`))
	for _, p := range principals {
		if p.owner || p.noToken || p.revoked {
			continue
		}
		for _, path := range []string{"/api/v1/workspaces", "/api/v1/audit", "/api/v1/auth/me", "/api/v1/workspaces?name=bravo"} {
			r := fx.must(200, fx.do("GET", path, fx.tokens[p.name], nil))
			if strings.Contains(r.String(), fx.b.ID) || strings.Contains(r.String(), "bravo") || strings.Contains(r.String(), "secret plans") {
				t.Errorf("%s GET %s leaks workspace B: %s", p.name, path, r.Body)
			}
		}
	}
	// The owner sees both.
	r := fx.must(200, fx.do("GET", "/api/v1/workspaces", fx.ownerToken, nil))
	var l forj.List[forj.Workspace]
	r.decode(t, &l)
	if len(l.Data) != 2 {
		t.Errorf("owner sees %d workspaces, want 2", len(l.Data))
	}
}

// TestUnknownWorkspaceIs404: the owner, allowed in every workspace, still gets 404 (not an
// empty list or a 200) for a workspace id that does not exist, on every workspace route.
func TestUnknownWorkspaceIs404(t *testing.T) {
	forEachStore(t, testUnknownWorkspaceIs404)
}

func testUnknownWorkspaceIs404(t *testing.T, sk storeKind) {
	e := newEnvOn(t, sk)
	u, _ := e.newUser("someone@example.com")
	n := 0
	for _, rt := range routes() {
		if rt.access != workspace && rt.access != bodyWorkspace {
			continue
		}
		n++
		const missing = "ws_doesnotexist0000000000000"
		path := strings.NewReplacer("{id}", missing, "{userId}", u.ID).Replace(rt.pattern)
		var body any
		switch {
		case strings.HasSuffix(rt.pattern, "/assets/transfer"):
			body = map[string]any{"mode": "copy", "from": missing, "to": missing, "ids": []string{"ast_x"}}
		case rt.method == "POST" && strings.HasSuffix(rt.pattern, "/assets"):
			body = map[string]string{"kind": "flow", "name": "x"}
		case strings.HasSuffix(rt.pattern, "/switch-workspace"):
			body = map[string]string{"workspaceId": missing}
		case strings.HasSuffix(rt.pattern, "/add-user"):
			body = map[string]string{"userId": u.ID, "role": "viewer"}
		case strings.HasSuffix(rt.pattern, "/remove-user"):
			body = map[string]string{"userId": u.ID}
		case strings.HasSuffix(rt.pattern, "{userId}"):
			body = map[string]string{"role": "viewer"}
		case rt.method == "PATCH":
			body = map[string]string{"description": "x"}
		}
		r := e.do(rt.method, path, e.ownerToken, body, "If-Match", `"1"`)
		if r.Code != 404 || r.errCode() != forj.ENotFound {
			t.Errorf("owner %s %s: status %d, want 404 not_found: %s", rt.method, path, r.Code, r.Body)
		}
	}
	if n < 8 {
		t.Fatalf("only %d workspace routes checked", n)
	}
}
