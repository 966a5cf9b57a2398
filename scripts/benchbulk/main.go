//go:build linux

// Command benchbulk measures the bulk budgets of design §11 end to end, with the built
// forjctl and forjd binaries, against forjd processes on 127.0.0.1 with SQLite databases in a
// temporary directory (docs/benchmarks.md, "Bulk moves" and "Export and import"):
//
//  1. move: 'forjctl flow move --all --from A --to B' on 10,000 flows, alternating with two
//     references that move them one POST /api/v1/assets/transfer per flow: a Go loop over
//     one keep-alive connection (the strict one), and a bash loop running one curl per flow
//     (what a CI script does; -shell-ref). Budget: median ≤ 2 s, and ≥ 50× faster than the
//     curl loop; the ratio to the Go loop is reported against 50× too, for information.
//  2. bundle: 'forjctl export -w SRC -f FILE' of a workspace holding 10,000 flows and 1 GiB
//     of documents, then 'forjctl import FILE --create-workspace NAME', forjd restarted
//     before each. Budgets, each phase: peak RSS ≤ 100 MiB for forjctl (rusage) and for
//     forjd (VmHWM), and ≥ 100 MB/s of payload.
//
// It prints every run, the medians, the ratios and each budget's verdict, and exits 1 when a
// budget is missed (the 50× of the move: against the curl loop, or against the Go loop when
// the curl loop is off), 2 when the benchmark could not run. scripts/bench-bulk.sh builds the
// binaries and runs it. Linux only (rusage's KiB, /proc); stops by itself (-timeout).
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

type config struct {
	forjctl, forjd string // the binaries under test
	work           string // scratch directory: databases, bundle, the CLI's HOME
	keep           bool   // keep work afterwards

	only         string // "move", "bundle" or "" for both
	flows        int
	moveRounds   int
	bundleRounds int
	textRounds   int // rounds of the compressible-documents case (0: skipped)
	docMiB       int
	docs         int
	rtt          time.Duration // move: a round trip added to every request by a proxy (0: none)
	shellRef     bool          // move: also the curl loop, which then decides the 50× budget
	shellFlows   int           // move: the curl loop moves this many flows, timed, and is extrapolated (0: all)
	timeout      time.Duration

	moveBudget time.Duration
	moveRatio  float64
	rssBudget  int64   // MiB
	rateBudget float64 // MB/s
}

func main() {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(rusageHelper(os.Args[1:]))
	}
	cfg := parseFlags()
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	met, err := run(ctx, cfg)
	stop()
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchbulk:", err)
		os.Exit(2)
	}
	if !met {
		os.Exit(1)
	}
}

func parseFlags() *config {
	cfg := &config{}
	flag.StringVar(&cfg.forjctl, "forjctl", "", "the forjctl binary (required)")
	flag.StringVar(&cfg.forjd, "forjd", "", "the forjd binary (required)")
	flag.StringVar(&cfg.work, "work", "", "scratch directory (default: a new temporary one, removed afterwards)")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the scratch directory")
	flag.StringVar(&cfg.only, "only", "", "run only move or bundle")
	flag.IntVar(&cfg.flows, "flows", 10_000, "flows to move, and to export with the documents")
	flag.IntVar(&cfg.moveRounds, "rounds", 5, "move rounds (each: one CLI run, one reference loop)")
	flag.IntVar(&cfg.bundleRounds, "bundle-rounds", 3, "export+import rounds with random documents")
	flag.IntVar(&cfg.textRounds, "text-rounds", 0, "export+import rounds with compressible (text) documents")
	flag.IntVar(&cfg.docMiB, "doc-mib", 1024, "total size of the documents, MiB")
	flag.IntVar(&cfg.docs, "docs", 8, "number of documents")
	flag.DurationVar(&cfg.rtt, "rtt", 0, "move: add this round-trip time to every request, through a delaying proxy")
	flag.BoolVar(&cfg.shellRef, "shell-ref", true, "move: also time a bash loop of one curl per flow (needs bash and curl); the 50× budget is judged against it")
	flag.IntVar(&cfg.shellFlows, "shell-flows", 0, "move: the curl loop moves only this many flows and its time is extrapolated to all (0: all of them)")
	flag.DurationVar(&cfg.timeout, "timeout", time.Hour, "stop everything after this long")
	flag.DurationVar(&cfg.moveBudget, "move-budget", 2*time.Second, "budget: median CLI move time")
	flag.Float64Var(&cfg.moveRatio, "move-ratio", 50, "budget: curl loop's time (the Go loop's without -shell-ref) / CLI time, at least")
	flag.Int64Var(&cfg.rssBudget, "rss-budget", 100, "budget: peak RSS of forjctl and of forjd, MiB")
	flag.Float64Var(&cfg.rateBudget, "rate-budget", 100, "budget: export and import payload throughput, MB/s")
	flag.Parse()
	if cfg.forjctl == "" || cfg.forjd == "" || flag.NArg() > 0 ||
		(cfg.only != "" && cfg.only != "move" && cfg.only != "bundle") ||
		cfg.flows < 1 || cfg.shellFlows < 0 || cfg.moveRounds < 1 || cfg.bundleRounds < 1 || cfg.textRounds < 0 || cfg.docs < 1 || cfg.docMiB < 1 {
		fmt.Fprintln(os.Stderr, "usage: benchbulk -forjctl PATH -forjd PATH [flags]")
		flag.PrintDefaults()
		os.Exit(2)
	}
	return cfg
}

// run runs the benchmarks cfg selects and reports; it returns whether every budget is met.
func run(ctx context.Context, cfg *config) (met bool, err error) {
	for _, p := range []*string{&cfg.forjctl, &cfg.forjd} {
		if *p, err = filepath.Abs(*p); err != nil {
			return false, err
		}
	}
	if cfg.work == "" {
		if cfg.work, err = os.MkdirTemp("", "benchbulk-"); err != nil {
			return false, err
		}
	} else if err := os.MkdirAll(cfg.work, 0o700); err != nil {
		return false, err
	}
	defer func() {
		fmt.Printf("scratch space used: %d MiB in %s\n", duMiB(cfg.work), cfg.work)
		if !cfg.keep {
			os.RemoveAll(cfg.work)
		}
	}()
	if err := checkDisk(cfg); err != nil {
		return false, err
	}
	env := childEnv(cfg.work)
	fmt.Printf("benchbulk: %s, %s; %d flows; %d documents, %d MiB; load %.2f\n",
		cfg.forjctl, cfg.forjd, cfg.flows, cfg.docs, cfg.docMiB, loadavg())

	var mv *moveResult
	var bundles []*bundleResult
	if cfg.only != "bundle" {
		fmt.Printf("\n== move: forjctl flow move --all (default batch size) vs one POST /api/v1/assets/transfer per flow\n")
		if cfg.shellRef {
			fmt.Printf("   (references: a Go loop over one keep-alive connection; a bash loop of one curl per flow)\n")
		}
		if mv, err = benchMove(ctx, cfg, env); err != nil {
			return false, err
		}
	}
	if cfg.only != "move" {
		for _, k := range []struct {
			content string
			rounds  int
		}{{contentRandom, cfg.bundleRounds}, {contentText, cfg.textRounds}} {
			if k.rounds == 0 {
				continue
			}
			fmt.Printf("\n== export + import: %d flows + %d MiB of %s documents\n", cfg.flows, cfg.docMiB, k.content)
			b, err := benchBundle(ctx, cfg, env, k.content, k.rounds)
			if err != nil {
				return false, err
			}
			bundles = append(bundles, b)
		}
	}

	met = true
	fmt.Println()
	if mv != nil {
		met = summarizeMove(cfg, mv) && met
	}
	for _, b := range bundles {
		met = summarizeBundle(cfg, b) && met
	}
	return met, nil
}

// summarizeMove prints the move's medians and verdicts. The 50× budget is "one API call per
// flow" as a script makes them: it is judged against the curl loop when there is one. The
// ratio to the Go loop over one keep-alive connection is printed against 50× as well, for
// information (it shows forjd's cost per row against its cost per request); it decides
// only when the curl loop is off.
func summarizeMove(cfg *config, r *moveResult) bool {
	var cli []time.Duration
	for _, c := range r.CLI {
		cli = append(cli, c.Wall)
	}
	mc, mr := median(cli), median(r.Ref)
	strict := mr.Seconds() / mc.Seconds()
	rtt := "loopback"
	if cfg.rtt > 0 {
		rtt = fmt.Sprintf("through a proxy adding %.2f ms per round trip (asked: %s)", ms(r.AddedRTT), cfg.rtt)
	}
	fmt.Printf("move, %d flows, %d rounds, %s (load average %s)\n", cfg.flows, cfg.moveRounds, rtt, spread(r.Load))
	fmt.Printf("  forjctl flow move --all           : %s s  median %.3f s  (budget ≤ %s: %s)\n", secs(cli), mc.Seconds(), cfg.moveBudget, verdict(mc <= cfg.moveBudget))
	fmt.Printf("  Go loop, one keep-alive connection: %s s  median %.3f s  (connections: %v)\n", secs(r.Ref), mr.Seconds(), r.Conns)
	if !cfg.shellRef {
		fmt.Printf("  Go loop / forjctl                 : %.1f×  (budget ≥ %.0f×: %s; no curl loop, so judged on this one)\n", strict, cfg.moveRatio, verdict(strict >= cfg.moveRatio))
		return mc <= cfg.moveBudget && strict >= cfg.moveRatio
	}
	msh := median(r.Shell)
	shell := msh.Seconds() / mc.Seconds()
	if r.ShellN < cfg.flows {
		fmt.Printf("  bash loop, one curl per flow      : %s s for %d flows, extrapolated to %d: %s s  median %.3f s (extrapolated)\n",
			secs(r.ShellWall), r.ShellN, cfg.flows, secs(r.Shell), msh.Seconds())
	} else {
		fmt.Printf("  bash loop, one curl per flow      : %s s  median %.3f s\n", secs(r.Shell), msh.Seconds())
	}
	fmt.Printf("  Go loop / forjctl                 : %.1f×  (≥ %.0f×: %s — the strict reference, for information: not in the exit status)\n", strict, cfg.moveRatio, verdict(strict >= cfg.moveRatio))
	fmt.Printf("  curl loop / forjctl               : %.1f×  (budget ≥ %.0f×: %s)\n", shell, cfg.moveRatio, verdict(shell >= cfg.moveRatio))
	return mc <= cfg.moveBudget && shell >= cfg.moveRatio
}

func summarizeBundle(cfg *config, b *bundleResult) bool {
	fmt.Printf("export + import, %d flows + %d MiB of %s documents, %d rounds\n", cfg.flows, b.DocBytes>>20, b.Content, len(b.Rounds))
	r0 := b.Rounds[0]
	fmt.Printf("  payload %d bytes (%.1f MB), bundle %d bytes (%.1f MB, %.2f of the payload)\n",
		r0.PayloadBytes, float64(r0.PayloadBytes)/1e6, r0.BundleBytes, float64(r0.BundleBytes)/1e6, float64(r0.BundleBytes)/float64(r0.PayloadBytes))
	met := true
	for _, ph := range []struct {
		name string
		get  func(bundleRound) phaseRun
	}{{"export", func(r bundleRound) phaseRun { return r.Export }}, {"import", func(r bundleRound) phaseRun { return r.Import }}} {
		var walls []time.Duration
		var rates []float64
		var loads []float64
		var cliRSS, srvRSS int64
		for _, r := range b.Rounds {
			p := ph.get(r)
			walls, loads = append(walls, p.CLI.Wall), append(loads, p.Load)
			rates = append(rates, mbps(r.PayloadBytes, p.CLI.Wall))
			cliRSS, srvRSS = max(cliRSS, p.CLI.MaxRSS), max(srvRSS, p.ServerRSS)
		}
		mw := median(walls)
		rate := mbps(r0.PayloadBytes, mw)
		rssOK := cliRSS>>10 <= cfg.rssBudget && srvRSS>>10 <= cfg.rssBudget
		fmt.Printf("  %s: %s s  median %.3f s = %.1f MB/s payload, %.1f MB/s bundle  (budget ≥ %.0f MB/s: %s; load %s)\n",
			ph.name, secs(walls), mw.Seconds(), rate, mbps(r0.BundleBytes, mw), cfg.rateBudget, verdict(rate >= cfg.rateBudget), spread(loads))
		fmt.Printf("  %s: peak RSS, highest of the rounds: forjctl %.1f MiB, forjd %.1f MiB  (budget ≤ %d MiB each: %s)\n",
			ph.name, float64(cliRSS)/1024, float64(srvRSS)/1024, cfg.rssBudget, verdict(rssOK))
		met = met && rssOK && rate >= cfg.rateBudget
	}
	return met
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func secs(ds []time.Duration) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, fmt.Sprintf("%.3f", d.Seconds()))
	}
	return strings.Join(parts, " · ")
}

func spread(vs []float64) string {
	if len(vs) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f–%.2f", slices.Min(vs), slices.Max(vs))
}

// checkDisk refuses to start without room for the source's documents, one bundle and the
// imports (each keeps its copy of the documents in the database), with 1 GiB to spare.
func checkDisk(cfg *config) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(cfg.work, &st); err != nil {
		return err
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	need := int64(1) << 30
	if cfg.only != "move" {
		need += int64(cfg.docMiB) << 20 * int64(2+cfg.bundleRounds)
		if cfg.textRounds > 0 {
			need += int64(cfg.docMiB) << 20 * int64(1+cfg.textRounds)
		}
	}
	if free < need {
		return fmt.Errorf("%s has %d MiB free; this run needs about %d MiB (lower -doc-mib or the rounds)", cfg.work, free>>20, need>>20)
	}
	return nil
}

// duMiB is the size of the files under dir.
func duMiB(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if fi, err := d.Info(); err == nil && d.Type().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	return n >> 20
}
