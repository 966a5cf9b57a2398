//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/forjinn/forjctl/pkg/bundle/bundletest"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
)

// moveResult is the move benchmark's runs.
type moveResult struct {
	CLI   []cliRun        // forjctl flow move --all, one per round
	Ref   []time.Duration // the Go loop of one call per flow, one per round
	Conns []int64         // connections the Go loop opened, per round (1: keep-alive held)
	// Shell is the curl loop's time for every flow, one per round: measured, or, when it ran
	// over a subset of ShellN flows, extrapolated from it (ShellWall is what was measured).
	Shell     []time.Duration
	ShellWall []time.Duration
	ShellN    int
	Load      []float64 // 1-minute load average after each run
	// AddedRTT is what the delaying proxy (-rtt) adds to a request's round trip, measured.
	AddedRTT time.Duration
}

// moveOrders are the orders the ways of moving run in, round after round (indexes into
// benchMove's list: 0 the CLI, 1 the Go loop, 2 the curl loop). Each run moves every flow
// to the other workspace, so direction alternates run after run. With two ways, odd rounds
// run the CLI first (a→b) and the Go loop second (b→a), even rounds the other way round.
// With three, the six orders in turn: in any three rounds each way runs both a→b and b→a,
// and over six each runs twice in each position and three times in each direction.
func moveOrders(ways int) [][]int {
	if ways == 2 {
		return [][]int{{0, 1}, {1, 0}}
	}
	return [][]int{{0, 1, 2}, {0, 2, 1}, {1, 2, 0}, {1, 0, 2}, {2, 0, 1}, {2, 1, 0}}
}

// benchMove seeds one forjd with cfg.flows flows in workspace bench-a and moves them back
// and forth between bench-a and bench-b, cfg.moveRounds times each way of moving them: the
// CLI, the Go loop of one call per flow and, with cfg.shellRef, the curl loop. The order
// changes from round to round (moveOrders), so no way always runs first or in the same
// direction.
func benchMove(ctx context.Context, cfg *config, env []string) (*moveResult, error) {
	dir := filepath.Join(cfg.work, "move")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if cfg.shellRef {
		v, err := checkShellTools()
		if err != nil {
			return nil, err
		}
		fmt.Printf("move: curl loop with %s\n", v)
	}
	srv, err := startForjd(ctx, cfg.forjd, dir, env)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	c, err := client.New(client.Options{BaseURL: srv.URL, Token: ownerToken, Timeout: 5 * time.Minute})
	if err != nil {
		return nil, err
	}
	a, b, ids, err := seedMove(ctx, c, cfg.flows)
	if err != nil {
		return nil, err
	}
	res := &moveResult{ShellN: len(ids)}
	if cfg.shellFlows > 0 && cfg.shellFlows < len(ids) {
		res.ShellN = cfg.shellFlows
	}
	idsFile := filepath.Join(dir, "ids.txt")
	if err := writeIDs(idsFile, ids[:res.ShellN]); err != nil {
		return nil, err
	}
	// The CLI and the references talk to target: forjd, or a proxy adding a round trip.
	target := srv.URL
	if cfg.rtt > 0 {
		var closeProxy func()
		if target, res.AddedRTT, closeProxy, err = delayed(ctx, srv.URL, cfg.rtt); err != nil {
			return nil, err
		}
		defer closeProxy()
	}
	fmt.Printf("move: forjd %s, %d flows in bench-a\n", srv.URL, len(ids))

	cli := func(from, to *forj.Workspace) error {
		cpu0, _ := srv.cpu()
		r, err := forjctl(ctx, cfg.forjctl, cliEnv(env, target), "flow", "move", "--all", "--from", from.Name, "--to", to.Name)
		if err != nil {
			return err
		}
		cpu1, _ := srv.cpu()
		if err := expectFlows(ctx, c, to.ID, len(ids)); err != nil {
			return err
		}
		res.CLI, res.Load = append(res.CLI, r), append(res.Load, loadavg())
		fmt.Printf("  cli  %s→%s  %8.3f s  (CLI: peak RSS %d MiB (floor %d), CPU %.2f s; forjd CPU %.2f s)\n",
			from.Name, to.Name, r.Wall.Seconds(), r.MaxRSS>>10, r.Floor>>10, r.CPU.Seconds(), (cpu1 - cpu0).Seconds())
		return nil
	}
	ref := func(from, to *forj.Workspace) error {
		cpu0, _ := srv.cpu()
		d, conns, err := referenceMove(ctx, target, ids, from.ID, to.ID)
		if err != nil {
			return err
		}
		cpu1, _ := srv.cpu()
		if err := expectFlows(ctx, c, to.ID, len(ids)); err != nil {
			return err
		}
		res.Ref, res.Conns, res.Load = append(res.Ref, d), append(res.Conns, conns), append(res.Load, loadavg())
		fmt.Printf("  ref  %s→%s  %8.3f s  (Go loop: %d requests, %d connection(s), %.0f requests/s; forjd CPU %.2f s)\n",
			from.Name, to.Name, d.Seconds(), len(ids), conns, float64(len(ids))/d.Seconds(), (cpu1 - cpu0).Seconds())
		return nil
	}
	shell := func(from, to *forj.Workspace) error {
		cpu0, _ := srv.cpu()
		r, err := shellMove(ctx, env, target, idsFile, from.ID, to.ID)
		if err != nil {
			return err
		}
		cpu1, _ := srv.cpu()
		if err := transferRest(ctx, c, ids[res.ShellN:], from.ID, to.ID); err != nil {
			return err
		}
		if err := expectFlows(ctx, c, to.ID, len(ids)); err != nil {
			return err
		}
		all := time.Duration(float64(r.Wall) * float64(len(ids)) / float64(res.ShellN))
		res.Shell, res.ShellWall, res.Load = append(res.Shell, all), append(res.ShellWall, r.Wall), append(res.Load, loadavg())
		extra := ""
		if res.ShellN < len(ids) {
			extra = fmt.Sprintf("; %d flows, extrapolated to %d: %.3f s", res.ShellN, len(ids), all.Seconds())
		}
		fmt.Printf("  curl %s→%s  %8.3f s  (bash loop: %d curl processes, %.0f requests/s, bash+curl CPU %.2f s; forjd CPU %.2f s%s)\n",
			from.Name, to.Name, r.Wall.Seconds(), res.ShellN, float64(res.ShellN)/r.Wall.Seconds(), r.CPU.Seconds(), (cpu1 - cpu0).Seconds(), extra)
		return nil
	}
	ways := []func(from, to *forj.Workspace) error{cli, ref}
	if cfg.shellRef {
		ways = append(ways, shell)
	}
	orders := moveOrders(len(ways))
	from, to := a, b
	for round := 1; round <= cfg.moveRounds; round++ {
		fmt.Printf(" round %d/%d (load %.2f)\n", round, cfg.moveRounds, loadavg())
		for _, w := range orders[(round-1)%len(orders)] {
			if err := ways[w](from, to); err != nil {
				return nil, err
			}
			from, to = to, from
		}
	}
	return res, nil
}

// seedMove creates bench-a with n flows and an empty bench-b, and returns the flows' ids.
// The references are handed them (the curl loop in a file): they do not list the source
// (the CLI does, inside its timing). A move keeps an asset's id, so one listing serves every
// round.
func seedMove(ctx context.Context, c *client.Client, n int) (a, b *forj.Workspace, ids []string, err error) {
	if a, err = c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "bench-a"}); err != nil {
		return nil, nil, nil, err
	}
	if b, err = c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "bench-b"}); err != nil {
		return nil, nil, nil, err
	}
	if err := importFlows(ctx, c, a.ID, n); err != nil {
		return nil, nil, nil, err
	}
	if ids, err = flowIDs(ctx, c, a.ID); err != nil {
		return nil, nil, nil, err
	}
	if len(ids) != n {
		return nil, nil, nil, fmt.Errorf("seeded %d flows, listed %d", n, len(ids))
	}
	return a, b, ids, nil
}

// delayed starts a delaying proxy in front of server and returns its URL and the round trip
// it really adds: sleeps are not that precise (about 1 ms at best here), so it is measured.
func delayed(ctx context.Context, server string, rtt time.Duration) (url string, added time.Duration, closeFn func(), err error) {
	p, err := startDelayProxy(ctx, strings.TrimPrefix(server, "http://"), rtt)
	if err != nil {
		return "", 0, nil, err
	}
	direct, err := probeRTT(ctx, server, 200)
	if err == nil {
		var proxied time.Duration
		if proxied, err = probeRTT(ctx, p.URL(), 200); err == nil {
			added = proxied - direct
			fmt.Printf("move: through a proxy asked to add %s of round trip; GET /readyz median %.3f ms direct, %.3f ms through it: %.3f ms added\n",
				rtt, ms(direct), ms(proxied), ms(added))
		}
	}
	if err != nil {
		p.close()
		return "", 0, nil, err
	}
	return p.URL(), added, p.close, nil
}

// importFlows seeds a workspace with n flows through one import (bundletest.Flows builds
// the bundle in memory: about 1 MB for 10,000 flows).
func importFlows(ctx context.Context, c *client.Client, wsID string, n int) error {
	data := bundletest.Flows(n).Bundle()
	res, err := c.Import(ctx, wsID, bytes.NewReader(data), client.ImportOptions{Size: int64(len(data))})
	if err != nil {
		return fmt.Errorf("seeding %d flows: %w", n, err)
	}
	if res.Summary[forj.ItemCreated] != n {
		return fmt.Errorf("seeding %d flows: %v", n, res.Summary)
	}
	return nil
}

func flowIDs(ctx context.Context, c *client.Client, wsID string) ([]string, error) {
	var ids []string
	for a, err := range c.AllAssets(ctx, wsID, client.AssetListOptions{Kind: forj.KindFlow, ListOptions: client.ListOptions{Limit: forj.MaxLimit}}) {
		if err != nil {
			return nil, err
		}
		ids = append(ids, a.ID)
	}
	return ids, nil
}

// expectFlows checks, outside any timing, that a workspace holds n flows: a run that
// left some behind must not count as a fast one.
func expectFlows(ctx context.Context, c *client.Client, wsID string, n int) error {
	ids, err := flowIDs(ctx, c, wsID)
	if err != nil {
		return err
	}
	if len(ids) != n {
		return fmt.Errorf("workspace %s holds %d flows after the move, want %d", wsID, len(ids), n)
	}
	return nil
}

// referenceMove moves the flows one POST /api/v1/assets/transfer per id, in a loop, over
// one keep-alive connection — the most favourable way to do it one call at a time: the
// request bodies are encoded before the clock starts, no Idempotency-Key is sent (so the
// server stores no idempotency record), there are no retries, and the answer is only
// scanned for the item's result, not decoded. It returns the wall time and the number of
// connections dialled.
func referenceMove(ctx context.Context, base string, ids []string, from, to string) (time.Duration, int64, error) {
	bodies := make([][]byte, len(ids))
	for i, id := range ids {
		var err error
		if bodies[i], err = json.Marshal(forj.TransferRequest{Mode: forj.TransferMove, From: from, To: to, IDs: []string{id}}); err != nil {
			return 0, 0, err
		}
	}
	var dials atomic.Int64
	d := &net.Dialer{Timeout: 5 * time.Second}
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 1,
	}}
	defer hc.CloseIdleConnections()
	url := base + "/api/v1/assets/transfer"
	moved := []byte(`"result":"moved"`)
	buf := make([]byte, 0, 4096)
	start := time.Now()
	for i, body := range bodies {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return 0, 0, err
		}
		req.Header.Set("Authorization", "Bearer "+ownerToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return 0, 0, err
		}
		b := bytes.NewBuffer(buf[:0])
		_, err = io.Copy(b, resp.Body) // read to the end: the connection is then reused
		resp.Body.Close()
		if err != nil {
			return 0, 0, err
		}
		if resp.StatusCode != http.StatusOK || !bytes.Contains(b.Bytes(), moved) {
			return 0, 0, fmt.Errorf("reference move of %s: %s: %s", ids[i], resp.Status, b.Bytes())
		}
		buf = b.Bytes()
	}
	return time.Since(start), dials.Load(), nil
}

// probeRTT is the median time of n sequential GET /readyz over one keep-alive connection.
func probeRTT(ctx context.Context, base string, n int) (time.Duration, error) {
	hc := &http.Client{Timeout: 10 * time.Second}
	defer hc.CloseIdleConnections()
	ds := make([]time.Duration, 0, n)
	for range n {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if err != nil {
			return 0, err
		}
		start := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("GET %s/readyz: %s %v", base, resp.Status, err)
		}
		ds = append(ds, time.Since(start))
	}
	return median(ds), nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
