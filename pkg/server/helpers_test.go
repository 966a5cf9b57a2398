package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/store/pgtest"
	"github.com/forjinn/forjctl/pkg/store/postgres"
	"github.com/forjinn/forjctl/pkg/store/sqlite"
	"github.com/jackc/pgx/v5"
)

// TestMain stops the throwaway PostgreSQL server pgtest may have started.
func TestMain(m *testing.M) { pgtest.Main(m) }

// testStore is what the tests need of a store: the forj.Store and a readiness probe.
type testStore interface {
	forj.Store
	Ping(ctx context.Context) error
}

// storeKind opens a fresh, empty store of one kind, closed (and on PostgreSQL, dropped)
// when the test ends. now is the store's clock (nil: time.Now).
type storeKind struct {
	name string
	open opener
	// many returns an opener for tests that need many fresh stores (the access matrix): on
	// PostgreSQL each is a new schema of one database per test, not a new database.
	many func(t testing.TB) opener
}

type opener func(t testing.TB, now func() time.Time) testStore

// stores are the stores the store-dependent server tests (the access matrix, API keys and
// revocation, idempotency) run on, each as a subtest. PostgreSQL is skipped without its
// binaries (pgtest), and a failure under FORJ_REQUIRE_INTEGRATION=1.
var stores = []storeKind{
	{"sqlite", openSQLite, func(testing.TB) opener { return openSQLite }},
	{"postgres", openPostgres, postgresSchemas},
}

func openSQLite(t testing.TB, now func() time.Time) testStore {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "forj.db"), sqlite.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func openPostgres(t testing.TB, now func() time.Time) testStore {
	t.Helper()
	dsn := pgtest.Start(t) // its cleanup (drop the database) runs after the Close below
	st, err := postgres.Open(context.Background(), dsn, postgres.Options{Now: now, MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// postgresSchemas creates one database and returns an opener of stores each in a new,
// empty schema of it (the store's tables are unqualified, so search_path picks the
// schema): a schema costs a fraction of a database. The schemas go with the database.
func postgresSchemas(t testing.TB) opener {
	t.Helper()
	dsn := pgtest.Start(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(ctx) })
	var mu sync.Mutex // admin and n
	n := 0
	return func(t testing.TB, now func() time.Time) testStore {
		t.Helper()
		mu.Lock()
		n++
		schema := fmt.Sprintf("s%d", n)
		_, err := admin.Exec(ctx, "CREATE SCHEMA "+schema)
		mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		sdsn := dsn + " search_path=" + schema
		if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
			sep := "?"
			if strings.Contains(dsn, "?") {
				sep = "&"
			}
			sdsn = dsn + sep + "search_path=" + schema
		}
		// A small pool: many of these are open at once (parallel subtests).
		st, err := postgres.Open(ctx, sdsn, postgres.Options{Now: now, MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
}

// forEachStore runs fn as a subtest per store kind.
func forEachStore(t *testing.T, fn func(t *testing.T, sk storeKind)) {
	t.Helper()
	for _, sk := range stores {
		t.Run(sk.name, func(t *testing.T) { fn(t, sk) })
	}
}

var testPepper = []byte("test-pepper-test-pepper-test-pepper-0123")

// testClock is a settable clock shared by the server and the store.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a real server on a real store, with a bootstrapped owner.
type env struct {
	t          testing.TB
	st         testStore
	srv        *Server
	clock      *testClock
	owner      *forj.User
	ownerToken string
}

type envOption func(*Config)

func withLogger(l *slog.Logger) envOption { return func(c *Config) { c.Logger = l } }

// ownerTokenFixed is the known bootstrap token of every test env.
const ownerTokenFixed = "forj_pat_tok_owner_OwnerSecret0123456789abcdef"

// newEnv is an env on SQLite (a file in a temp dir). Tests on newEnv run on SQLite only:
// they test the server's handlers, encoding and errors, which do not depend on the store.
// What does depend on it (authorization over stored memberships and tokens, key
// revocation, idempotency records under concurrency) runs on every store through
// forEachStore and newEnvOn, and pkg/store/storetest checks the stores themselves.
func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	return newEnvOn(t, stores[0], opts...)
}

// newEnvOn is an env on a fresh store of kind sk.
func newEnvOn(t testing.TB, sk storeKind, opts ...envOption) *env {
	t.Helper()
	return newEnvWith(t, sk.open, opts...)
}

// newEnvWith is an env on a fresh store from open.
func newEnvWith(t testing.TB, open opener, opts ...envOption) *env {
	t.Helper()
	clock := &testClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	st := open(t, clock.Now)
	cfg := Config{Store: st, Pepper: testPepper, Now: clock.Now, Ready: st.Ping}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	created, secret, err := Bootstrap(context.Background(), st, testPepper, "Owner@Example.com", ownerTokenFixed)
	if err != nil || !created || secret != ownerTokenFixed {
		t.Fatalf("Bootstrap = %v %q %v", created, secret, err)
	}
	e := &env{t: t, st: st, srv: srv, clock: clock, ownerToken: secret}
	e.view(func(tx forj.Tx) error {
		e.owner, err = tx.GetUserByEmail("owner@example.com")
		return err
	})
	return e
}

func (e *env) view(fn func(tx forj.Tx) error) {
	e.t.Helper()
	if err := e.st.View(context.Background(), fn); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) update(fn func(tx forj.Tx) error) {
	e.t.Helper()
	if err := e.st.Update(context.Background(), fn); err != nil {
		e.t.Fatal(err)
	}
}

// resp is a finished response.
type resp struct {
	Code   int
	Header http.Header
	Body   []byte
}

func (r *resp) String() string { return string(r.Body) }

// errCode is the error code of an error response ("" when the body is not an error).
func (r *resp) errCode() string {
	var b forj.ErrorBody
	if json.Unmarshal(r.Body, &b) != nil || b.Error == nil {
		return ""
	}
	return b.Error.Code
}

func (r *resp) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// do sends a request through ServeHTTP. body: nil, a string (sent as is) or a value
// (JSON-encoded). hdr: alternating header names and values.
func (e *env) do(method, path, token string, body any, hdr ...string) *resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return &resp{Code: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// must fails the test unless the response has the wanted status.
func (e *env) must(want int, r *resp) *resp {
	e.t.Helper()
	if r.Code != want {
		e.t.Fatalf("status %d, want %d: %s", r.Code, want, r.Body)
	}
	return r
}

// newUser creates an active user with a personal access token, straight in the store.
func (e *env) newUser(email string) (*forj.User, string) {
	e.t.Helper()
	u := &forj.User{Email: email, Name: strings.Split(email, "@")[0], Status: forj.UserActive, GlobalRole: forj.GlobalMember}
	var token string
	e.update(func(tx forj.Tx) error {
		if err := tx.CreateUser(u); err != nil {
			return err
		}
		var err error
		token, err = e.newToken(tx, u.ID, forj.TokenPAT, "", nil)
		return err
	})
	return u, token
}

// newToken creates a token (a personal one, or an API key when workspaceID is set).
func (e *env) newToken(tx forj.Tx, userID, kind, workspaceID string, scopes []string) (string, error) {
	id, secret := forj.NewID(forj.PrefixToken), forj.NewTokenSecret()
	t := &forj.Token{
		ID: id, Kind: kind, Name: "test " + kind, UserID: userID, WorkspaceID: workspaceID, Scopes: scopes,
		Prefix: forj.TokenDisplayPrefix(kind, id), SecretHash: HashSecret(testPepper, secret),
	}
	if t.Scopes == nil {
		t.Scopes = []string{}
	}
	if err := tx.CreateToken(t); err != nil {
		return "", err
	}
	return forj.FormatToken(kind, id, secret), nil
}

func (e *env) newWorkspace(name string) *forj.Workspace {
	e.t.Helper()
	w := &forj.Workspace{Name: name, CreatedBy: e.owner.ID, UpdatedBy: e.owner.ID}
	e.update(func(tx forj.Tx) error { return tx.CreateWorkspace(w) })
	return w
}

func (e *env) addMember(wsID, userID, role string) {
	e.t.Helper()
	e.update(func(tx forj.Tx) error { _, err := tx.AddMember(wsID, userID, role); return err })
}

// audit lists audit events matching an action prefix, newest first.
func (e *env) audit(actionPrefix string) []forj.AuditEvent {
	e.t.Helper()
	var evs []forj.AuditEvent
	e.view(func(tx forj.Tx) error {
		var err error
		evs, _, err = tx.ListAudit(forj.AuditFilter{ActionPrefix: actionPrefix, Limit: forj.MaxLimit})
		return err
	})
	return evs
}

// newEmptyStore opens a store with no users (not bootstrapped), on SQLite only: it serves
// the bootstrap test, whose store side (create the first owner once) storetest covers.
func newEmptyStore(t testing.TB) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "empty.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newAsset creates an asset of kind in a workspace directly in the store and returns its id.
func (e *env) newAsset(wsID, kind, name string) string {
	e.t.Helper()
	a := &forj.Asset{WorkspaceID: wsID, Kind: kind, Name: name, Spec: []byte(`{}`), Labels: map[string]string{}}
	e.update(func(tx forj.Tx) error { return tx.CreateAsset(a) })
	return a.ID
}

// putDocument stores a one-chunk document in a dataset directly in the store.
func (e *env) putDocument(assetID, name string, data []byte) {
	e.t.Helper()
	sum := sha256.Sum256(data)
	blob := forj.NewID(forj.PrefixBlob)
	e.update(func(tx forj.Tx) error {
		if err := tx.CreateBlob(blob); err != nil {
			return err
		}
		if err := tx.PutBlobChunk(blob, 0, data); err != nil {
			return err
		}
		if err := tx.CompleteBlob(blob, int64(len(data)), hex.EncodeToString(sum[:])); err != nil {
			return err
		}
		return tx.PutDocument(&forj.Document{AssetID: assetID, Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), BlobID: blob})
	})
}
