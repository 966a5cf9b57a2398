package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

// 32 concurrent clients send 60 s of mixed reads and writes — lists, asset creates, updates
// with If-Match, deletes, transfers, member changes, usage ingest with API keys, audit and
// usage reports, exports — and the server answers none of them with a 5xx or a broken
// connection (design §12). Conflicts (409, 412) are expected: the clients race on purpose.
// On SQLite (one forjd) and on PostgreSQL (two replicas, the clients spread over both).

const (
	soakClients  = 32
	soakDuration = 60 * time.Second / raceScale
	soakShort    = 5 * time.Second // with -short
)

func TestSoakSQLite(t *testing.T) {
	token := newToken()
	_, base, _, _ := startMain(t, env{EnvBootstrapToken: token}, "--db", filepath.Join(t.TempDir(), "forjd.db"))
	soak(t, []string{base}, token)
}

func TestSoakPostgresReplicas(t *testing.T) {
	a, b, owner := replicas(t)
	soak(t, []string{a, b}, owner)
}

// soakAsset is an asset a client created, where it last saw it.
type soakAsset struct {
	id, workspace string
	version       int64
}

// soakClient is one of the concurrent clients: its own connection pool, random source and
// assets.
type soakClient struct {
	t          *testing.T
	n          int
	base       string
	owner      string
	workspaces []string
	keys       map[string]string // workspace id → an API key of it, for usage ingest
	http       *http.Client
	rng        *rand.Rand
	assets     []soakAsset
	created    int

	counts   map[string]int // "op status" → requests
	failures []string       // 5xx answers and transport errors
}

func soak(t *testing.T, bases []string, owner string) {
	duration := soakDuration
	if testing.Short() {
		duration = soakShort
	}
	// Four workspaces with an API key each, shared by all the clients.
	var workspaces []string
	keys := map[string]string{}
	for i := range 4 {
		var w forj.Workspace
		want(t, "create workspace", call(t, "POST", bases[0]+"/api/v1/workspace", owner, forj.CreateWorkspaceRequest{Name: fmt.Sprintf("soak-%d", i)}, &w), 201)
		var key forj.TokenResponse
		want(t, "create key", call(t, "POST", bases[0]+"/api/v1/workspace/"+w.ID+"/keys", owner, forj.CreateKeyRequest{Name: "ingest"}, &key), 201)
		workspaces = append(workspaces, w.ID)
		keys[w.ID] = key.Secret
	}

	transport := &http.Transport{MaxIdleConnsPerHost: soakClients}
	defer transport.CloseIdleConnections()
	clients := make([]*soakClient, soakClients)
	for i := range clients {
		clients[i] = &soakClient{
			t: t, n: i, base: bases[i%len(bases)], owner: owner, workspaces: workspaces, keys: keys,
			http: &http.Client{Transport: transport, Timeout: 30 * time.Second},
			rng:  rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano()))), counts: map[string]int{},
		}
	}
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				c.step()
			}
		})
	}
	wg.Wait()

	total, counts, failures := 0, map[string]int{}, []string{}
	for _, c := range clients {
		for k, n := range c.counts {
			counts[k] += n
			total += n
		}
		failures = append(failures, c.failures...)
	}
	keysSorted := make([]string, 0, len(counts))
	for k := range counts {
		keysSorted = append(keysSorted, k)
	}
	sort.Strings(keysSorted)
	var summary strings.Builder
	for _, k := range keysSorted {
		fmt.Fprintf(&summary, "  %-22s %6d\n", k, counts[k])
	}
	t.Logf("%d requests in %s from %d clients (%.0f/s):\n%s", total, duration, soakClients, float64(total)/duration.Seconds(), summary.String())
	if len(failures) > 0 {
		if len(failures) > 20 {
			failures = append(failures[:20], fmt.Sprintf("… and %d more", len(failures)-20))
		}
		t.Fatalf("%d failures:\n%s", len(failures), strings.Join(failures, "\n"))
	}
	if total < soakClients {
		t.Fatalf("only %d requests were sent", total)
	}
}

// step sends one request, chosen at random: about half reads, half writes.
func (c *soakClient) step() {
	ws := c.workspaces[c.rng.IntN(len(c.workspaces))]
	switch p := c.rng.IntN(100); {
	case p < 15:
		c.do("workspaces", "GET", "/api/v1/workspaces", c.owner, nil, nil)
	case p < 27:
		c.do("assets", "GET", "/api/v1/workspace/"+ws+"/assets?limit=50", c.owner, nil, nil)
	case p < 42:
		c.create(ws)
	case p < 52:
		c.update()
	case p < 58:
		c.get()
	case p < 63:
		c.delete()
	case p < 71:
		c.transfer()
	case p < 76:
		body := forj.AddUserRequest{Email: fmt.Sprintf("u%02d@soak.test", c.rng.IntN(20)), Role: []string{"viewer", "tester", "developer"}[c.rng.IntN(3)]}
		c.do("add-user", "POST", "/api/v1/workspace/"+ws+"/add-user", c.owner, body, nil)
	case p < 80:
		c.do("remove-user", "POST", "/api/v1/workspace/"+ws+"/remove-user", c.owner, forj.RemoveUserRequest{Email: fmt.Sprintf("u%02d@soak.test", c.rng.IntN(20))}, nil)
	case p < 88:
		ev := forj.UsageEvent{Assistant: fmt.Sprintf("bot-%d", c.rng.IntN(5)), Environment: "prod", TokensIn: int64(c.rng.IntN(1000)), APICalls: 1, Time: time.Now().UTC()}
		c.do("usage-ingest", "POST", "/api/v1/usage", c.keys[ws], forj.UsageIngestRequest{Events: []forj.UsageEvent{ev}}, nil)
	case p < 93:
		c.do("audit", "GET", "/api/v1/workspace/"+ws+"/audit?limit=20", c.owner, nil, nil)
	case p < 98:
		c.do("usage-report", "GET", "/api/v1/usage/report?by=workspace", c.owner, nil, nil)
	default:
		c.do("export", "GET", "/api/v1/workspace/"+ws+"/export", c.owner, nil, nil)
	}
}

func (c *soakClient) create(ws string) {
	c.created++
	body := forj.CreateAssetRequest{Kind: forj.KindFlow, Name: fmt.Sprintf("c%02d-%d", c.n, c.created),
		Labels: map[string]string{"client": fmt.Sprint(c.n)}, Spec: json.RawMessage(`{"nodes":[]}`)}
	var a forj.Asset
	if c.do("create", "POST", "/api/v1/workspace/"+ws+"/assets", c.owner, body, &a) == http.StatusCreated {
		c.assets = append(c.assets, soakAsset{id: a.ID, workspace: a.WorkspaceID, version: a.Version})
	}
}

// pick is one of the client's assets, or -1 when it has none.
func (c *soakClient) pick() int {
	if len(c.assets) == 0 {
		return -1
	}
	return c.rng.IntN(len(c.assets))
}

func (c *soakClient) update() {
	i := c.pick()
	if i < 0 {
		return
	}
	a := &c.assets[i]
	desc := fmt.Sprintf("edited %d", c.rng.IntN(1000))
	var out forj.Asset
	switch c.do("update", "PATCH", "/api/v1/workspace/"+a.workspace+"/assets/"+a.id, c.owner, forj.UpdateAssetRequest{Description: &desc}, &out,
		"If-Match", fmt.Sprintf("%q", fmt.Sprint(a.version))) {
	case http.StatusOK:
		a.version = out.Version
	case http.StatusPreconditionFailed:
		c.refresh(i) // a transfer changed it: read the version again, as a client would
	}
}

func (c *soakClient) get() {
	if i := c.pick(); i >= 0 {
		c.refresh(i)
	}
}

// refresh reads asset i again for its version.
func (c *soakClient) refresh(i int) {
	a := &c.assets[i]
	var out forj.Asset
	if c.do("get", "GET", "/api/v1/workspace/"+a.workspace+"/assets/"+a.id, c.owner, nil, &out) == http.StatusOK {
		a.version = out.Version
	}
}

func (c *soakClient) delete() {
	i := c.pick()
	if i < 0 {
		return
	}
	a := c.assets[i]
	switch c.do("delete", "DELETE", "/api/v1/workspace/"+a.workspace+"/assets/"+a.id, c.owner, nil, nil,
		"If-Match", fmt.Sprintf("%q", fmt.Sprint(a.version))) {
	case http.StatusNoContent:
		c.assets = slices.Delete(c.assets, i, i+1)
	case http.StatusPreconditionFailed:
		c.refresh(i)
	}
}

// transfer moves or copies up to five of the client's assets of one workspace to another.
func (c *soakClient) transfer() {
	i := c.pick()
	if i < 0 {
		return
	}
	from := c.assets[i].workspace
	to := c.workspaces[c.rng.IntN(len(c.workspaces))]
	req := forj.TransferRequest{Mode: forj.TransferMove, From: from, To: to, OnConflict: forj.OnConflictRename}
	if to == from || c.rng.IntN(4) == 0 {
		req.Mode = forj.TransferCopy
	}
	var moved []int
	for j, a := range c.assets {
		if a.workspace == from && len(req.IDs) < 5 {
			req.IDs = append(req.IDs, a.id)
			moved = append(moved, j)
		}
	}
	var out forj.TransferResponse
	if c.do("transfer", "POST", "/api/v1/assets/transfer", c.owner, req, &out) != http.StatusOK || req.Mode != forj.TransferMove {
		return
	}
	for k, it := range out.Items {
		if it.Result == forj.ItemMoved || it.Result == forj.ItemRenamed {
			c.assets[moved[k]].workspace = to
		}
	}
}

// do sends one request and counts its answer; a 5xx or a transport error is a failure. It
// returns the status (0 on a transport error) and decodes a 2xx answer into out.
func (c *soakClient) do(op, method, path, token string, body, out any, header ...string) int {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			panic(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		panic(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.counts[op+" error"]++
		c.failures = append(c.failures, fmt.Sprintf("%s %s: %v", method, path, err))
		return 0
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	c.counts[fmt.Sprintf("%s %d", op, resp.StatusCode)]++
	switch {
	case err != nil:
		c.failures = append(c.failures, fmt.Sprintf("%s %s: %d, reading the body: %v", method, path, resp.StatusCode, err))
	case resp.StatusCode >= 500:
		c.failures = append(c.failures, fmt.Sprintf("%s %s: %d %s", method, path, resp.StatusCode, raw))
	case out != nil && resp.StatusCode < 300:
		if err := json.Unmarshal(raw, out); err != nil {
			c.failures = append(c.failures, fmt.Sprintf("%s %s: %d, decoding %q: %v", method, path, resp.StatusCode, raw, err))
		}
	}
	return resp.StatusCode
}
