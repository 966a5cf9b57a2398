package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/forjinn/forjctl/pkg/forj"
)

func (e *env) countWorkspaces() int {
	e.t.Helper()
	var n int
	e.view(func(tx forj.Tx) error {
		ws, _, err := tx.ListWorkspaces(forj.WorkspaceFilter{Limit: forj.MaxLimit})
		n = len(ws)
		return err
	})
	return n
}

func TestIdempotentReplay(t *testing.T) { forEachStore(t, testIdempotentReplay) }

func testIdempotentReplay(t *testing.T, sk storeKind) {
	e := newEnvOn(t, sk)
	body := `{"name":"alpha"}`
	r1 := e.must(201, e.do("POST", "/api/v1/workspace", e.ownerToken, body, "Idempotency-Key", "k1"))
	if r1.Header.Get("Idempotent-Replayed") != "" {
		t.Error("first response marked as replayed")
	}
	r2 := e.must(201, e.do("POST", "/api/v1/workspace", e.ownerToken, body, "Idempotency-Key", "k1"))
	if r2.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(r1.Body, r2.Body) {
		t.Errorf("replay: %v %s, want %s", r2.Header, r2.Body, r1.Body)
	}
	if n := e.countWorkspaces(); n != 1 {
		t.Errorf("%d workspaces after a replay", n)
	}
	if n := len(e.audit("workspace.create")); n != 1 {
		t.Errorf("%d workspace.create events after a replay", n)
	}
	// Same key, another request: conflict.
	r := e.must(409, e.do("POST", "/api/v1/workspace", e.ownerToken, `{"name":"bravo"}`, "Idempotency-Key", "k1"))
	if r.errCode() != forj.EConflict {
		t.Error(r)
	}
	e.must(409, e.do("POST", "/api/v1/users", e.ownerToken, `{"email":"x@example.com"}`, "Idempotency-Key", "k1"))
	// Without a key, the same request is a second request (here: a name conflict).
	e.must(409, e.do("POST", "/api/v1/workspace", e.ownerToken, body))
	// Keys belong to the calling token: another token's k1 is a new request.
	_, tok := e.newUser("dev@example.com")
	e.must(201, e.do("POST", "/api/v1/auth/tokens", tok, `{"name":"x"}`, "Idempotency-Key", "k1"))
	// Errors are not recorded: fixing the request and retrying with the key works.
	e.must(400, e.do("POST", "/api/v1/workspace", e.ownerToken, `{"name":""}`, "Idempotency-Key", "k2"))
	e.must(201, e.do("POST", "/api/v1/workspace", e.ownerToken, `{"name":"charlie"}`, "Idempotency-Key", "k2"))
	// A malformed key is invalid.
	e.must(400, e.do("POST", "/api/v1/workspace", e.ownerToken, `{"name":"delta"}`, "Idempotency-Key", " padded "))
}

// A replayed response that carried a secret comes back without it: secrets are never
// stored, not even in idempotency records.
func TestIdempotentReplayHasNoSecrets(t *testing.T) {
	forEachStore(t, testIdempotentReplayHasNoSecrets)
}

func testIdempotentReplayHasNoSecrets(t *testing.T, sk storeKind) {
	e := newEnvOn(t, sk)
	var first, replay forj.TokenResponse
	e.must(201, e.do("POST", "/api/v1/auth/tokens", e.ownerToken, `{"name":"ci"}`, "Idempotency-Key", "t1")).decode(t, &first)
	r := e.must(201, e.do("POST", "/api/v1/auth/tokens", e.ownerToken, `{"name":"ci"}`, "Idempotency-Key", "t1"))
	r.decode(t, &replay)
	if first.Secret == "" || replay.Secret != "" || replay.Token.ID != first.Token.ID {
		t.Errorf("first %+v, replay %+v", first, replay)
	}
	ws := e.newWorkspace("alpha")
	var a1, a2 forj.AddUserResponse
	e.must(201, e.do("POST", "/api/v1/workspace/"+ws.ID+"/add-user", e.ownerToken, `{"email":"n@example.com","role":"viewer"}`, "Idempotency-Key", "a1")).decode(t, &a1)
	e.must(201, e.do("POST", "/api/v1/workspace/"+ws.ID+"/add-user", e.ownerToken, `{"email":"n@example.com","role":"viewer"}`, "Idempotency-Key", "a1")).decode(t, &a2)
	if a1.InviteCode == "" || a2.InviteCode != "" || !a2.Invited || a2.Member.UserID != a1.Member.UserID {
		t.Errorf("first %+v, replay %+v", a1, a2)
	}
	var rec *forj.IdempotencyRecord
	e.view(func(tx forj.Tx) error {
		var err error
		rec, err = tx.GetIdempotency("tok_owner", "t1")
		return err
	})
	if bytes.Contains(rec.Body, []byte(first.Secret)) {
		t.Error("idempotency record stores the token secret")
	}
}

// 20 concurrent creates with one key over real HTTP: one workspace, one event, 20 equal
// answers.
func TestIdempotentConcurrentCreates(t *testing.T) { forEachStore(t, testIdempotentConcurrentCreates) }

func testIdempotentConcurrentCreates(t *testing.T, sk storeKind) {
	e := newEnvOn(t, sk)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	const n = 20
	bodies := make([][]byte, n)
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", ts.URL+"/api/v1/workspace", bytes.NewReader([]byte(`{"name":"once"}`)))
			req.Header.Set("Authorization", "Bearer "+e.ownerToken)
			req.Header.Set("Idempotency-Key", "same-key")
			res, err := ts.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			codes[i] = res.StatusCode
			bodies[i], _ = io.ReadAll(res.Body)
		}()
	}
	wg.Wait()
	for i := range n {
		if codes[i] != 201 || !bytes.Equal(bodies[i], bodies[0]) {
			t.Errorf("request %d: %d %s", i, codes[i], bodies[i])
		}
	}
	if c := e.countWorkspaces(); c != 1 {
		t.Errorf("%d workspaces, want 1", c)
	}
	if c := len(e.audit("workspace.create")); c != 1 {
		t.Errorf("%d workspace.create events, want 1", c)
	}
}

// twinStore lets one transaction miss an idempotency record, as a transaction would whose
// concurrent twin committed the record between its read and its write (possible with
// stores that do not serialize writers; pkg/store/postgres does, through its write lock).
// The server must roll back and replay the twin's response.
type twinStore struct {
	forj.Store
	mu     sync.Mutex
	missed bool
}

type twinTx struct {
	forj.Tx
	s *twinStore
}

func (s *twinStore) Update(ctx context.Context, fn func(forj.Tx) error) error {
	return s.Store.Update(ctx, func(tx forj.Tx) error { return fn(&twinTx{Tx: tx, s: s}) })
}

func (t *twinTx) GetIdempotency(scope, key string) (*forj.IdempotencyRecord, error) {
	t.s.mu.Lock()
	miss := !t.s.missed
	t.s.missed = true
	t.s.mu.Unlock()
	rec, err := t.Tx.GetIdempotency(scope, key)
	if err == nil && miss {
		return nil, forj.Errorf(forj.ENotFound, "idempotency record not found")
	}
	return rec, err
}

func TestIdempotentTwinConflictReplays(t *testing.T) {
	forEachStore(t, testIdempotentTwinConflictReplays)
}

func testIdempotentTwinConflictReplays(t *testing.T, sk storeKind) {
	e := newEnvOn(t, sk)
	first := e.must(201, e.do("POST", "/api/v1/workspace", e.ownerToken, `{"name":"tw"}`, "Idempotency-Key", "twin"))
	srv, err := New(Config{Store: &twinStore{Store: e.st}, Pepper: testPepper, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	// The handler misses the record and its create fails on the name the twin took: rolled
	// back, and the twin's stored response is replayed.
	r := e.must(201, e.do("POST", "/api/v1/workspace", e.ownerToken, `{"name":"tw"}`, "Idempotency-Key", "twin"))
	if r.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(r.Body, first.Body) {
		t.Errorf("twin answer: %v %s", r.Header, r.Body)
	}
	// The same with a different body is still a conflict after the rollback.
	e.srv.store.(*twinStore).missed = false
	e.must(409, e.do("POST", "/api/v1/workspace", e.ownerToken, `{"name":"other"}`, "Idempotency-Key", "twin"))
	if c := e.countWorkspaces(); c != 1 {
		t.Errorf("%d workspaces, want 1", c)
	}
	// A twin whose change does not collide gets as far as PutIdempotency, which conflicts:
	// its transaction (a second token) rolls back and the twin's token is replayed.
	first = e.must(201, e.do("POST", "/api/v1/auth/tokens", e.ownerToken, `{"name":"t"}`, "Idempotency-Key", "twin2"))
	e.srv.store.(*twinStore).missed = false
	r = e.must(201, e.do("POST", "/api/v1/auth/tokens", e.ownerToken, `{"name":"t"}`, "Idempotency-Key", "twin2"))
	var a, b forj.TokenResponse
	first.decode(t, &a)
	r.decode(t, &b)
	if r.Header.Get("Idempotent-Replayed") != "true" || a.Token.ID != b.Token.ID {
		t.Errorf("twin token: %s vs %s", first.Body, r.Body)
	}
	var toks []forj.Token
	e.view(func(tx forj.Tx) error {
		var err error
		toks, err = tx.ListTokens(forj.TokenFilter{UserID: e.owner.ID})
		return err
	})
	if len(toks) != 2 { // bootstrap + one
		t.Errorf("%d tokens, want 2", len(toks))
	}
}
