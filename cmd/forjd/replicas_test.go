package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/forjinn/forjctl/pkg/bundle/bundletest"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/store/pgtest"
)

// Two real forjd processes' worth of Main (each its own server, pool and auth cache) on
// one PostgreSQL database, with clients spread over both. What must hold across replicas
// holds through the database, not through process memory.

// replicas starts two forjd Mains on one fresh database with the same FORJ_SECRET and
// returns their base URLs and the owner's token.
func replicas(t *testing.T) (a, b, owner string) {
	t.Helper()
	dsn := pgURL(t, pgtest.Start(t))
	owner = newToken()
	e := func() env {
		return env{EnvSecret: strings.Repeat("k", 48), EnvBootstrapToken: owner}
	}
	_, a, _, _ = startMain(t, e(), "--db", dsn, "--db-max-conns", "8")
	_, b, _, _ = startMain(t, e(), "--db", dsn, "--db-max-conns", "8")
	return a, b, owner
}

// send is one request with optional extra headers; it returns the status and raw body.
func send(t *testing.T, method, url, token string, body any, hdr map[string]string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Error(err)
			return 0, nil
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err) // Error, not Fatal: used from goroutines
		return 0, nil
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Error(err)
	}
	return resp.StatusCode, raw
}

func TestReplicasIdempotencyKeyTakesEffectOnce(t *testing.T) {
	a, b, owner := replicas(t)
	const n = 20
	body := forj.CreateWorkspaceRequest{Name: "once", Description: "created once"}
	var (
		wg     sync.WaitGroup
		status [n]int
		out    [n][]byte
		start  = make(chan struct{})
	)
	for i := range n {
		base := a
		if i%2 == 1 {
			base = b
		}
		wg.Go(func() {
			<-start
			status[i], out[i] = send(t, "POST", base+"/api/v1/workspace", owner, body, map[string]string{"Idempotency-Key": "create-once-1"})
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if status[i] != http.StatusCreated {
			t.Fatalf("request %d: status %d: %s", i, status[i], out[i])
		}
		if !bytes.Equal(out[i], out[0]) {
			t.Fatalf("answers differ:\n%d: %s\n0: %s", i, out[i], out[0])
		}
	}
	var list struct{ Data []forj.Workspace }
	want(t, "list", call(t, "GET", b+"/api/v1/workspaces?limit=500", owner, nil, &list), 200)
	got := 0
	for _, w := range list.Data {
		if w.Name == "once" {
			got++
		}
	}
	if got != 1 {
		t.Fatalf("%d workspaces named once, want exactly 1", got)
	}
}

func TestReplicasRevokedPATIsRefusedByTheOtherReplica(t *testing.T) {
	a, b, owner := replicas(t)
	var tr forj.TokenResponse
	want(t, "create PAT on A", call(t, "POST", a+"/api/v1/auth/tokens", owner, forj.CreateTokenRequest{Name: "ci"}, &tr), 201)
	// B resolves (and caches) the token, more than once.
	for range 3 {
		want(t, "PAT on B", call(t, "GET", b+"/api/v1/auth/me", tr.Secret, nil, nil), 200)
	}
	want(t, "PAT on A", call(t, "GET", a+"/api/v1/auth/me", tr.Secret, nil, nil), 200)
	want(t, "revoke PAT on A", call(t, "DELETE", a+"/api/v1/auth/tokens/"+tr.Token.ID, owner, nil, nil), 204)
	// The very next request on B is refused: B's auth cache is checked against the
	// store's auth generation, which A's revocation advanced.
	want(t, "revoked PAT on B", call(t, "GET", b+"/api/v1/auth/me", tr.Secret, nil, nil), 401)
	want(t, "revoked PAT on A", call(t, "GET", a+"/api/v1/auth/me", tr.Secret, nil, nil), 401)
	// The owner's own token is unaffected on both.
	want(t, "owner on B", call(t, "GET", b+"/api/v1/auth/me", owner, nil, nil), 200)
	want(t, "owner on A", call(t, "GET", a+"/api/v1/auth/me", owner, nil, nil), 200)
}

func TestReplicasRevokedKeyIsRefusedByTheOtherReplica(t *testing.T) {
	a, b, owner := replicas(t)
	var ws forj.Workspace
	want(t, "create workspace on A", call(t, "POST", a+"/api/v1/workspace", owner, forj.CreateWorkspaceRequest{Name: "keys"}, &ws), 201)
	var key forj.TokenResponse
	want(t, "create key on A", call(t, "POST", a+"/api/v1/workspace/"+ws.ID+"/keys", owner, forj.CreateKeyRequest{Name: "ingest"}, &key), 201)
	for range 3 {
		want(t, "key on A", call(t, "GET", a+"/api/v1/keys/verify", key.Secret, nil, nil), 200)
		want(t, "key on B", call(t, "GET", b+"/api/v1/keys/verify", key.Secret, nil, nil), 200)
	}
	want(t, "revoke key on B", call(t, "DELETE", b+"/api/v1/workspace/"+ws.ID+"/keys/"+key.Token.ID, owner, nil, nil), 204)
	want(t, "revoked key on A", call(t, "GET", a+"/api/v1/keys/verify", key.Secret, nil, nil), 401)
	want(t, "revoked key on B", call(t, "GET", b+"/api/v1/keys/verify", key.Secret, nil, nil), 401)
}

func TestReplicasConcurrentWritesAllLand(t *testing.T) {
	a, b, owner := replicas(t)
	var ws forj.Workspace
	want(t, "create workspace", call(t, "POST", b+"/api/v1/workspace", owner, forj.CreateWorkspaceRequest{Name: "team"}, &ws), 201)

	const members, workspaces = 50, 20
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range members {
		base := []string{a, b}[i%2]
		wg.Go(func() {
			<-start
			st, raw := send(t, "POST", base+"/api/v1/workspace/"+ws.ID+"/add-user", owner,
				forj.AddUserRequest{Email: fmt.Sprintf("m%02d@example.com", i), Role: "viewer"}, nil)
			if st != http.StatusCreated && st != http.StatusOK {
				t.Errorf("add member %d: %d %s", i, st, raw)
			}
		})
	}
	for i := range workspaces {
		base := []string{a, b}[(i+1)%2]
		wg.Go(func() {
			<-start
			st, raw := send(t, "POST", base+"/api/v1/workspace", owner,
				forj.CreateWorkspaceRequest{Name: fmt.Sprintf("ws-%02d", i)}, nil)
			if st != http.StatusCreated {
				t.Errorf("create workspace %d: %d %s", i, st, raw)
			}
		})
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// Both replicas see every write.
	for _, base := range []string{a, b} {
		var ml struct{ Data []forj.Member }
		want(t, "members", call(t, "GET", base+"/api/v1/workspace/"+ws.ID+"/members?limit=500", owner, nil, &ml), 200)
		seen := map[string]bool{}
		for _, m := range ml.Data {
			if strings.HasSuffix(m.Email, "@example.com") && strings.HasPrefix(m.Email, "m") {
				seen[m.Email] = true
			}
		}
		if len(seen) != members {
			t.Errorf("%s: %d of %d members landed", base, len(seen), members)
		}
		var wl struct{ Data []forj.Workspace }
		want(t, "workspaces", call(t, "GET", base+"/api/v1/workspaces?limit=500", owner, nil, &wl), 200)
		n := 0
		for _, w := range wl.Data {
			if strings.HasPrefix(w.Name, "ws-") {
				n++
			}
		}
		if n != workspaces {
			t.Errorf("%s: %d of %d workspaces landed", base, n, workspaces)
		}
	}
}

// Moves back and forth and overlapping copies, sent at once through both replicas, lose
// and duplicate nothing: every transfer runs under the one write lock the replicas share,
// so a flow is moved by one transfer or another, and a copy's origin check sees the copy
// the other replica made.
func TestReplicasConcurrentTransfersLoseAndDuplicateNothing(t *testing.T) {
	a, b, owner := replicas(t)
	ctx := context.Background()
	clients := make([]*client.Client, 2)
	for i, base := range []string{a, b} {
		c, err := client.New(client.Options{BaseURL: base, Token: owner})
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = c
	}
	ws := map[string]*forj.Workspace{}
	for _, name := range []string{"dev", "prod", "staging"} {
		w, err := clients[0].CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		ws[name] = w
	}
	const flows = 1000
	if _, err := clients[1].Import(ctx, ws["dev"].ID, bytes.NewReader(bundletest.Flows(flows).Bundle()), client.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	list := func(w *forj.Workspace) []forj.Asset {
		var out []forj.Asset
		for a, err := range clients[0].AllAssets(ctx, w.ID, client.AssetListOptions{Kind: forj.KindFlow, ListOptions: client.ListOptions{Limit: forj.MaxLimit}}) {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, a)
		}
		return out
	}
	var ids []string
	for _, a := range list(ws["dev"]) {
		ids = append(ids, a.ID)
	}

	// Eight workers, half on each replica: movers send random batches dev ⇄ prod (an id
	// that is not where a request says is that item's failure, not the request's); copiers
	// also copy overlapping batches from either side to staging.
	const workers, rounds, batch = 8, 12, 150
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range workers {
		c := clients[w%2]
		rng := rand.New(rand.NewPCG(uint64(w), 42))
		wg.Go(func() {
			<-start
			for r := range rounds {
				req := forj.TransferRequest{Mode: forj.TransferMove, From: ws["dev"].ID, To: ws["prod"].ID, OnConflict: forj.OnConflictFail}
				if (w+r)%2 == 1 {
					req.From, req.To = req.To, req.From
				}
				if w >= workers/2 && r%3 == 0 {
					// Under rename a second copy would land as NAME-2: only the origin
					// check stands between the copiers and duplicates.
					req.Mode, req.To, req.OnConflict = forj.TransferCopy, ws["staging"].ID, forj.OnConflictRename
				}
				perm := rng.Perm(len(ids))[:batch]
				for _, i := range perm {
					req.IDs = append(req.IDs, ids[i])
				}
				if _, err := c.Transfer(ctx, req); err != nil {
					t.Errorf("worker %d, round %d: %v", w, r, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()

	where := map[string]int{}
	for _, name := range []string{"dev", "prod"} {
		for _, a := range list(ws[name]) {
			where[a.ID]++
		}
	}
	copies := map[string]int{}
	for _, a := range list(ws["staging"]) {
		copies[a.Origin]++
	}
	for _, id := range ids {
		if where[id] != 1 {
			t.Errorf("flow %s is in %d of dev and prod, want exactly one", id, where[id])
		}
		if copies[id] > 1 {
			t.Errorf("flow %s was copied to staging %d times", id, copies[id])
		}
	}
	if len(where) != flows || len(copies) == 0 {
		t.Errorf("%d flows in dev and prod (want %d), copies of %d in staging", len(where), flows, len(copies))
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
