package server

import (
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

// replica is a second Server on the same store, as another forjd process would be.
func (e *env) replica() *env {
	e.t.Helper()
	srv, err := New(Config{Store: e.st, Pepper: testPepper, Now: e.clock.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	r := *e
	r.srv = srv
	return &r
}

// TestAuthCacheSeesOtherReplicas: changes to who may do what, made through another server
// on the same database, take effect on this server's very next request, even though the
// caller's token is cached here.
func TestAuthCacheSeesOtherReplicas(t *testing.T) {
	e := newEnv(t)
	other := e.replica()
	ws := e.newWorkspace("cached")
	u, tok := e.newUser("cached@example.com")
	e.addMember(ws.ID, u.ID, "tester")
	auditPath := "/api/v1/workspace/" + ws.ID + "/audit"
	for range 3 { // the first request loads, touches and reloads; then the entry is cached
		e.must(200, e.do("GET", auditPath, tok, nil))
	}

	// A role change is seen at once: a viewer may not read the audit trail.
	other.must(200, other.do("PATCH", "/api/v1/workspace/"+ws.ID+"/members/"+u.ID, e.ownerToken, forj.SetMemberRoleRequest{Role: "viewer"}))
	e.must(403, e.do("GET", auditPath, tok, nil))
	e.must(200, e.do("GET", "/api/v1/workspace/"+ws.ID, tok, nil))

	// Removal from the workspace: it is no longer visible.
	other.must(200, other.do("POST", "/api/v1/workspace/"+ws.ID+"/remove-user", e.ownerToken, map[string]string{"userId": u.ID}))
	e.must(404, e.do("GET", "/api/v1/workspace/"+ws.ID, tok, nil))

	// A token revoked through the other server is refused here on the next request, while
	// the user's other token still works.
	var tok2 string
	e.update(func(tx forj.Tx) error {
		var err error
		tok2, err = e.newToken(tx, u.ID, forj.TokenPAT, "", nil)
		return err
	})
	e.must(200, e.do("GET", "/api/v1/auth/me", tok, nil))
	e.must(200, e.do("GET", "/api/v1/auth/me", tok2, nil))
	other.must(204, other.do("DELETE", "/api/v1/auth/tokens/current", tok, nil))
	e.must(401, e.do("GET", "/api/v1/auth/me", tok, nil))
	e.must(200, e.do("GET", "/api/v1/auth/me", tok2, nil))

	// A disabled user is refused at once.
	other.must(200, other.do("POST", "/api/v1/users/"+u.ID+"/disable", e.ownerToken, nil))
	e.must(401, e.do("GET", "/api/v1/auth/me", tok2, nil))
}

// TestAuthCacheChecksEveryRequest: a cached token still has its secret, its expiry and a
// future revocation (rotation grace period) checked on every request.
func TestAuthCacheChecksEveryRequest(t *testing.T) {
	e := newEnv(t)
	u, tok := e.newUser("grace@example.com")
	kind, id, _, _ := forj.ParseToken(tok)
	for range 3 {
		e.must(200, e.do("GET", "/api/v1/auth/me", tok, nil))
	}

	// Same token id, wrong secret: refused although the id is cached.
	forged := forj.FormatToken(kind, id, forj.NewTokenSecret())
	e.must(401, e.do("GET", "/api/v1/auth/me", forged, nil))
	e.must(200, e.do("GET", "/api/v1/auth/me", tok, nil))

	// A revocation an hour ahead: usable until then, refused after, with no other change.
	e.update(func(tx forj.Tx) error { return tx.RevokeToken(id, e.clock.Now().Add(time.Hour)) })
	for range 3 {
		e.must(200, e.do("GET", "/api/v1/auth/me", tok, nil))
	}
	e.clock.Advance(time.Hour)
	e.must(401, e.do("GET", "/api/v1/auth/me", tok, nil))

	// Expiry likewise.
	expires := e.clock.Now().Add(time.Hour)
	secret := forj.NewTokenSecret()
	t2 := &forj.Token{
		ID: forj.NewID(forj.PrefixToken), Kind: forj.TokenPAT, Name: "expiring", UserID: u.ID, Scopes: []string{},
		SecretHash: HashSecret(testPepper, secret), ExpiresAt: &expires,
	}
	t2.Prefix = forj.TokenDisplayPrefix(t2.Kind, t2.ID)
	e.update(func(tx forj.Tx) error { return tx.CreateToken(t2) })
	tok2 := forj.FormatToken(t2.Kind, t2.ID, secret)
	for range 3 {
		e.must(200, e.do("GET", "/api/v1/auth/me", tok2, nil))
	}
	e.clock.Advance(time.Hour)
	e.must(401, e.do("GET", "/api/v1/auth/me", tok2, nil))
}
