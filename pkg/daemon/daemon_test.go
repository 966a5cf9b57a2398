package daemon

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/store/pgtest"
)

func TestStartRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "data", "forjd.db")
	cfg := Config{Listen: "127.0.0.1:0", DBPath: db, OwnerEmail: "owner@example.com"}

	d, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	created, token := d.Bootstrapped()
	if !created || token == "" {
		t.Fatalf("first start: created=%v token empty=%v", created, token == "")
	}
	req, _ := http.NewRequest("GET", d.URL()+"/api/v1/auth/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("me: %d", resp.StatusCode)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(db + ".secret")
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi, err)
	}

	// A second start reuses the database and the secret: no new owner, the token still works.
	d2, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if created, tok := d2.Bootstrapped(); created || tok != "" {
		t.Fatalf("second start bootstrapped again")
	}
	req, _ = http.NewRequest("GET", d2.URL()+"/api/v1/auth/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("me after restart: %d", resp.StatusCode)
	}
}

func TestShortSecretRefused(t *testing.T) {
	_, err := Start(context.Background(), Config{Listen: "127.0.0.1:0", DBPath: filepath.Join(t.TempDir(), "x.db"), OwnerEmail: "a@b.c", Secret: "short"})
	if err == nil {
		t.Fatal("short secret accepted")
	}
}

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestPostgresNeedsSecret(t *testing.T) {
	// No database is reached: the secret is checked first.
	_, err := Start(context.Background(), Config{Listen: "127.0.0.1:0", DBPath: "postgres://nobody@127.0.0.1:1/none", OwnerEmail: "a@b.c"})
	if !errors.Is(err, ErrNoSecret) || !strings.Contains(err.Error(), "FORJ_SECRET") || !strings.Contains(err.Error(), "every replica") {
		t.Fatalf("Start without a secret on PostgreSQL: %v", err)
	}
}

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:hunter2@h:5432/db?sslmode=require": "postgres://u:xxxxx@h:5432/db?sslmode=require",
		"postgresql://h/db?password=hunter2":             "postgresql://h/db?password=xxxxx",
		"postgres://u@h/db":                              "postgres://u@h/db",
	} {
		if got := RedactDSN(in); got != want || strings.Contains(got, "hunter2") {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

// Three replicas starting together on one empty database create exactly one owner:
// server.Bootstrap counts users and creates the owner in one Update, and the PostgreSQL
// store's write lock (an advisory lock shared by every replica) serializes those.
func TestPostgresConcurrentBootstrapCreatesOneOwner(t *testing.T) {
	dsn := pgURL(t, pgtest.Start(t))
	if !IsPostgres(dsn) {
		t.Fatalf("%q would open SQLite", dsn)
	}
	secret := strings.Repeat("s", 40)
	const n = 3
	var (
		wg    sync.WaitGroup
		ds    [n]*Daemon
		errs  [n]error
		start = make(chan struct{})
		ctx   = context.Background()
	)
	for i := range n {
		wg.Go(func() {
			<-start
			ds[i], errs[i] = Start(ctx, Config{Listen: "127.0.0.1:0", DBPath: dsn, OwnerEmail: "owner@example.com", Secret: secret, MaxConns: 4})
		})
	}
	close(start)
	wg.Wait()
	created := 0
	var token string
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		defer ds[i].Close()
		if c, tok := ds[i].Bootstrapped(); c {
			created++
			token = tok
		}
	}
	if created != 1 {
		t.Fatalf("%d replicas created the owner, want exactly 1", created)
	}
	var users int
	if err := ds[0].Store().View(ctx, func(tx forj.Tx) error {
		var err error
		users, err = tx.CountUsers()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if users != 1 {
		t.Fatalf("%d users after a concurrent first start, want 1", users)
	}
	// The owner's token works on every replica (same secret, same database).
	for i, d := range ds {
		req, _ := http.NewRequest("GET", d.URL()+"/api/v1/auth/me", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("replica %d: me: %d", i, resp.StatusCode)
		}
		resp, err = http.Get(d.URL() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("replica %d: readyz: %d", i, resp.StatusCode)
		}
	}
}

// pgURL turns pgtest's DSN into the postgres:// URL form forjd takes (pgtest gives a
// key=value string for its Unix-socket server; a URL from FORJ_TEST_POSTGRES_DSN is kept).
func pgURL(t testing.TB, dsn string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return dsn
	}
	u := url.URL{Scheme: "postgres", Path: "/"}
	q := url.Values{}
	var user, pass string
	for _, f := range strings.Fields(dsn) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			t.Fatalf("pgURL: cannot convert DSN field %q", f)
		}
		switch k {
		case "dbname":
			u.Path = "/" + v
		case "user":
			user = v
		case "password":
			pass = v
		default:
			q.Set(k, v)
		}
	}
	if pass != "" {
		u.User = url.UserPassword(user, pass)
	} else if user != "" {
		u.User = url.User(user)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
