package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/bundle/bundletest"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
)

// Killing the CLI or the server with SIGKILL at any moment of a bulk move or copy loses and
// duplicates nothing (design §10 and §12): after every kill each of the flows is in exactly
// one place, and running the same command again finishes the job. Real processes — forjd
// on a SQLite file and forjctl, both this test binary re-executed as them (TestMain) — so
// that the kill is a real SIGKILL with nothing flushed or rolled back by the program itself.
//
// A kill lands at a random moment of a run (uniform over the time an uninterrupted run
// took), so some land while the CLI plans, some between batches, some while a batch is in
// the server's transaction. Each test goes on until at least minPartialKills kills left
// the flows split between the two workspaces, so that a run where every kill came too early
// or too late cannot pass for a test of the middle.

const (
	killFlows       = 10_000 / raceScale // 2,000 under -race
	killBatchSize   = 250                // 40 transfer requests a run: many moments to be killed between
	minPartialKills = 3
	maxKillRounds   = 15
)

func TestKillCLIDuringMove(t *testing.T) { testKillCLI(t, forj.TransferMove) }

func TestKillCLIDuringCopy(t *testing.T) { testKillCLI(t, forj.TransferCopy) }

// testKillCLI kills forjctl at random moments of moves (or copies) of killFlows flows, twice
// a round, checks the flows after each kill, and lets a third run finish the round.
func testKillCLI(t *testing.T, mode string) {
	k := newKillRig(t)
	from, to := k.workspace("dev"), k.workspace("prod-0")
	k.seed(from)
	full := k.calibrate(mode, from, to)

	partial := 0
	for round := 1; round <= maxKillRounds && partial < minPartialKills; round++ {
		from, to = k.nextRound(mode, round, from, to)
		for kill := 1; kill <= 2; kill++ {
			cli := k.startCLI(mode, from, to)
			time.Sleep(k.randomDelay(full))
			cli.kill()
			n := k.check(mode, from, to)
			t.Logf("round %d, kill %d: %d of %d flows in %s", round, kill, n, killFlows, to.Name)
			if n > 0 && n < killFlows {
				partial++
			}
		}
		k.finish(mode, from, to)
	}
	if partial < minPartialKills {
		t.Fatalf("only %d kills landed in the middle of a %s in %d rounds", partial, mode, maxKillRounds)
	}
}

// TestKillServerDuringMove kills forjd at random moments of a move while the CLI runs and
// starts it again on the same address and database: in odd rounds at once, so that the
// CLI's retries may carry on where they were; in even rounds only after the CLI has given
// up. Then it checks the flows and lets a re-run finish.
func TestKillServerDuringMove(t *testing.T) {
	k := newKillRig(t)
	from, to := k.workspace("dev"), k.workspace("prod-0")
	k.seed(from)
	full := k.calibrate(forj.TransferMove, from, to)

	partial := 0
	for round := 1; round <= maxKillRounds && partial < minPartialKills; round++ {
		from, to = k.nextRound(forj.TransferMove, round, from, to)
		restartAtOnce := round%2 == 1
		cli := k.startCLI(forj.TransferMove, from, to)
		time.Sleep(k.randomDelay(full))
		k.server.kill()
		if restartAtOnce {
			k.server.start()
		}
		code := cli.wait(2 * time.Minute)
		if !restartAtOnce {
			k.server.start()
		}
		if code != 0 && code != 1 {
			t.Fatalf("round %d: forjctl exited %d after the server was killed (want 0, or 1 for a lost server)\n%s", round, code, cli.stderr.String())
		}
		n := k.check(forj.TransferMove, from, to)
		t.Logf("round %d (restarted at once: %v): forjctl exited %d; %d of %d flows in %s", round, restartAtOnce, code, n, killFlows, to.Name)
		if n > 0 && n < killFlows {
			partial++
		}
		k.finish(forj.TransferMove, from, to)
	}
	if partial < minPartialKills {
		t.Fatalf("only %d server kills landed in the middle of a move in %d rounds", partial, maxKillRounds)
	}
}

// killRig is one forjd process and what the test knows about the flows.
type killRig struct {
	t      *testing.T
	dir    string
	rng    *rand.Rand
	server *forjdProc
	client *client.Client
	// names maps every seeded flow's id to its name: the ground truth.
	names map[string]string
}

func newKillRig(t *testing.T) *killRig {
	if testing.Short() {
		t.Skip("kills processes during a 10,000-flow transfer (tens of seconds); not in -short")
	}
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	srv := &forjdProc{t: t, dir: dir, addr: freeAddr(t), token: newToken()}
	srv.start()
	t.Cleanup(srv.stop)
	c, err := client.New(client.Options{BaseURL: "http://" + srv.addr, Token: srv.token, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return &killRig{t: t, dir: dir, rng: rand.New(rand.NewPCG(seed, seed)), server: srv, client: c}
}

// freeAddr is a loopback address with a free port, kept across server restarts.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (k *killRig) workspace(name string) *forj.Workspace {
	k.t.Helper()
	w, err := k.client.CreateWorkspace(context.Background(), forj.CreateWorkspaceRequest{Name: name})
	if err != nil {
		k.t.Fatalf("create workspace %s: %v", name, err)
	}
	return w
}

// seed imports killFlows flows into w and records their ids.
func (k *killRig) seed(w *forj.Workspace) {
	k.t.Helper()
	ctx := context.Background()
	if _, err := k.client.Import(ctx, w.ID, bytes.NewReader(bundletest.Flows(killFlows).Bundle()), client.ImportOptions{}); err != nil {
		k.t.Fatalf("seed: %v", err)
	}
	k.names = map[string]string{}
	for _, a := range k.flows(w) {
		k.names[a.ID] = a.Name
	}
	if len(k.names) != killFlows {
		k.t.Fatalf("seeded %d flows, want %d", len(k.names), killFlows)
	}
}

// calibrate runs one uninterrupted transfer from → to, checks it and returns how long it
// took: the span over which kills are spread.
func (k *killRig) calibrate(mode string, from, to *forj.Workspace) time.Duration {
	start := time.Now()
	k.finish(mode, from, to)
	full := time.Since(start)
	k.t.Logf("an uninterrupted %s of %d flows took %s", mode, killFlows, full.Round(time.Millisecond))
	return full
}

// nextRound picks the workspaces of a round: a move goes back the way it came, a copy goes
// from the source to a new, empty workspace.
func (k *killRig) nextRound(mode string, round int, from, to *forj.Workspace) (*forj.Workspace, *forj.Workspace) {
	if mode == forj.TransferMove {
		return to, from
	}
	return from, k.workspace(fmt.Sprintf("prod-%d", round))
}

func (k *killRig) randomDelay(full time.Duration) time.Duration {
	return time.Duration(k.rng.Int64N(int64(full)))
}

// finish runs the transfer to the end and checks that every flow arrived.
func (k *killRig) finish(mode string, from, to *forj.Workspace) {
	k.t.Helper()
	cli := k.startCLI(mode, from, to)
	if code := cli.wait(2 * time.Minute); code != 0 {
		k.t.Fatalf("%s %s → %s exited %d\n%s", mode, from.Name, to.Name, code, cli.stderr.String())
	}
	if n := k.check(mode, from, to); n != killFlows {
		k.t.Fatalf("after a complete %s, %d of %d flows are in %s", mode, n, killFlows, to.Name)
	}
}

// check verifies that no flow is lost or duplicated and returns how many have reached to.
// A move: every seeded flow, same id and name, is in exactly one of the two workspaces. A
// copy: the source still holds every flow, and the target holds at most one copy of each,
// under the source's name.
func (k *killRig) check(mode string, from, to *forj.Workspace) int {
	k.t.Helper()
	src, dst := k.snapshot(from, to)
	where := map[string][]string{} // seeded id → the workspaces it is found in
	var problems []string
	record := func(w *forj.Workspace, a forj.Asset, id string) {
		if name, ok := k.names[id]; !ok {
			problems = append(problems, fmt.Sprintf("%s holds %s (%s), which was never seeded", w.Name, a.Name, a.ID))
		} else if name != a.Name {
			problems = append(problems, fmt.Sprintf("%s holds %s under the name %s, want %s", w.Name, id, a.Name, name))
		}
		where[id] = append(where[id], w.Name)
	}
	for _, a := range src {
		record(from, a, a.ID)
	}
	if mode == forj.TransferCopy {
		if len(src) != killFlows {
			problems = append(problems, fmt.Sprintf("the source %s holds %d flows, want %d", from.Name, len(src), killFlows))
		}
		where = map[string][]string{} // from here on: where the copies of each flow are
	}
	for _, a := range dst {
		id := a.ID
		if mode == forj.TransferCopy {
			id = a.Origin
		}
		record(to, a, id)
	}
	for id, name := range k.names {
		places := where[id]
		switch {
		case mode == forj.TransferMove && len(places) != 1:
			problems = append(problems, fmt.Sprintf("%s (%s) is in %d places %v, want exactly one", name, id, len(places), places))
		case mode == forj.TransferCopy && len(places) > 1:
			problems = append(problems, fmt.Sprintf("%s (%s) is copied %d times, want at most once", name, id, len(places)))
		}
	}
	if len(problems) > 0 {
		if len(problems) > 10 {
			problems = append(problems[:10], fmt.Sprintf("… and %d more", len(problems)-10))
		}
		k.t.Fatalf("after a %s from %s to %s:\n%s", mode, from.Name, to.Name, strings.Join(problems, "\n"))
	}
	return len(dst)
}

// snapshot lists the flows of from and of to as they were at one moment. A killed forjctl
// may leave a batch in the server's hands, which commits it after the kill; the two listings
// are separate requests, so one may see the flows before that commit and the other after it.
// Reading from again after to tells: a move's commit takes flows out of from, so when both
// readings of from agree no move committed while to was read, and (src, dst) is one state of
// the database. A copy leaves from alone and only adds to to, where listing by cursor cannot
// show a flow twice.
func (k *killRig) snapshot(from, to *forj.Workspace) (src, dst []forj.Asset) {
	k.t.Helper()
	src = k.flows(from)
	for range 50 {
		dst = k.flows(to)
		again := k.flows(from)
		if sameIDs(src, again) {
			return src, dst
		}
		src = again
		time.Sleep(100 * time.Millisecond)
	}
	k.t.Fatalf("the flows of %s kept changing for 50 readings after forjctl stopped", from.Name)
	return nil, nil
}

// sameIDs says two listings hold the same flows; listings come in the same (cursor) order.
func sameIDs(a, b []forj.Asset) bool {
	return slices.EqualFunc(a, b, func(x, y forj.Asset) bool { return x.ID == y.ID })
}

// flows lists every flow of w.
func (k *killRig) flows(w *forj.Workspace) []forj.Asset {
	k.t.Helper()
	var out []forj.Asset
	opts := client.AssetListOptions{Kind: forj.KindFlow, ListOptions: client.ListOptions{Limit: forj.MaxLimit}}
	for a, err := range k.client.AllAssets(context.Background(), w.ID, opts) {
		if err != nil {
			k.t.Fatalf("list flows of %s: %v", w.Name, err)
		}
		out = append(out, a)
	}
	return out
}

// startCLI starts 'forjctl flow move|copy --all' from → to, with its own home and nothing
// from the test's environment but PATH.
func (k *killRig) startCLI(mode string, from, to *forj.Workspace) *cliProc {
	k.t.Helper()
	home := filepath.Join(k.dir, "home")
	cmd := selfCommand("forjctl", "flow", mode, "--all", "--from", from.Name, "--to", to.Name,
		"--batch-size", fmt.Sprint(killBatchSize), "-o", "json")
	cmd.Env = append(cmd.Env,
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"FORJ_SERVER=http://"+k.server.addr, "FORJ_TOKEN="+k.server.token,
		"FORJ_CREDENTIAL_STORE=file", "DBUS_SESSION_BUS_ADDRESS=disabled:", "CI=true", "NO_COLOR=1")
	p := &cliProc{t: k.t, cmd: cmd}
	cmd.Stderr = &p.stderr
	if err := cmd.Start(); err != nil {
		k.t.Fatalf("start forjctl: %v", err)
	}
	p.done = make(chan struct{})
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p
}

// selfCommand is this test binary re-executed as program (see TestMain).
func selfCommand(program string, args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = []string{execAsEnv + "=" + program, "PATH=" + os.Getenv("PATH")}
	return cmd
}

// cliProc is a running forjctl.
type cliProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr bytes.Buffer // written by the process, read only after done
	done   chan struct{}
}

// kill sends SIGKILL (the process may have ended already) and waits for the end.
func (p *cliProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// wait waits for the end and returns the exit code; past timeout it kills and fails.
func (p *cliProc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.kill()
		p.t.Fatalf("forjctl still running after %s\n%s", timeout, p.stderr.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// forjdProc is a forjd process on a fixed address and SQLite database, started again after
// each kill.
type forjdProc struct {
	t     *testing.T
	dir   string
	addr  string
	token string // the owner's, bootstrapped on the first start
	cmd   *exec.Cmd
	done  chan struct{}
	runs  int
}

// start runs forjd and waits until it is ready.
func (f *forjdProc) start() {
	f.t.Helper()
	f.runs++
	logPath := filepath.Join(f.dir, fmt.Sprintf("forjd-%d.log", f.runs))
	logFile, err := os.Create(logPath)
	if err != nil {
		f.t.Fatal(err)
	}
	defer logFile.Close()
	f.cmd = selfCommand("forjd", "--listen", f.addr, "--db", filepath.Join(f.dir, "forjd.db"))
	f.cmd.Env = append(f.cmd.Env, "HOME="+f.dir, EnvBootstrapToken+"="+f.token)
	f.cmd.Stdout, f.cmd.Stderr = logFile, logFile
	if err := f.cmd.Start(); err != nil {
		f.t.Fatalf("start forjd: %v", err)
	}
	done := make(chan struct{})
	f.done = done
	go func(cmd *exec.Cmd) { _ = cmd.Wait(); close(done) }(f.cmd)

	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-done:
			log, _ := os.ReadFile(logPath)
			f.t.Fatalf("forjd exited at start:\n%s", log)
		default:
		}
		if resp, err := http.Get("http://" + f.addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		} else if !errors.Is(err, syscall.ECONNREFUSED) && time.Now().After(deadline) {
			f.t.Fatalf("forjd not ready: %v", err)
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			f.t.Fatalf("forjd not ready after 30s:\n%s", log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to end.
func (f *forjdProc) kill() {
	_ = f.cmd.Process.Signal(syscall.SIGKILL)
	<-f.done
}

// stop ends the last forjd (at cleanup) with SIGTERM, as an operator would.
func (f *forjdProc) stop() {
	_ = f.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-f.done:
	case <-time.After(20 * time.Second):
		f.kill()
	}
}
