package complete_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/forjtest"
	"github.com/forjinn/forjctl/pkg/iostreams"
	"github.com/spf13/cobra"
)

// benchWorkspaces is the design's completion budget case (§11): 1,000 workspaces.
const benchWorkspaces = 1000

// BenchmarkWorkspaceCompletion measures complete.Workspaces in-process against a real forjd
// (forjtest, SQLite) holding 1,000 workspaces, authenticated by FORJ_TOKEN as a shell's
// completion would be. "cold" empties the cache before every completion, so each one asks
// the server; "warm" is served from the cache file. A fresh Factory per completion, like a
// fresh process. The end-to-end figures (process start-up included) come from
// scripts/bench-cli.sh; see docs/benchmarks.md.
func BenchmarkWorkspaceCompletion(b *testing.B) {
	srv := forjtest.New(b)
	err := srv.Store.Update(context.Background(), func(tx forj.Tx) error {
		for i := range benchWorkspaces {
			if err := tx.CreateWorkspace(&forj.Workspace{Name: fmt.Sprintf("ws-%04d", i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}

	dir := b.TempDir()
	env := map[string]string{
		"HOME":            filepath.Join(dir, "home"),
		"XDG_CONFIG_HOME": filepath.Join(dir, "config"),
		"XDG_CACHE_HOME":  filepath.Join(dir, "cache"),
		"FORJ_SERVER":     srv.URL,
		"FORJ_TOKEN":      srv.OwnerToken,
	}
	getenv := func(k string) string { return env[k] }
	cacheDir := complete.CacheDir(getenv)

	// run is one completion as a fresh process would do it; it returns how many names came back.
	run := func() int {
		ios, _, _, _ := iostreams.Test()
		f := &cmdutil.Factory{IOStreams: ios, Getenv: getenv, Version: "bench"}
		cmd := &cobra.Command{Use: "switch"}
		cmd.SetContext(context.Background())
		names, dir := complete.Workspaces(f)(cmd, nil, "")
		if dir&cobra.ShellCompDirectiveError != 0 {
			b.Fatalf("completion failed (directive %d)", dir)
		}
		return len(names)
	}

	b.Run("cold", func(b *testing.B) {
		var n int
		for b.Loop() {
			b.StopTimer()
			if err := os.RemoveAll(cacheDir); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			n = run()
		}
		b.ReportMetric(float64(n), "names")
	})
	b.Run("warm", func(b *testing.B) {
		run() // fills the cache
		var n int
		for b.Loop() {
			n = run()
		}
		b.ReportMetric(float64(n), "names")
	})
}

// TestWorkspaceCompletionWalksEveryPage: completion offers every workspace, not only the
// first page of the list.
func TestWorkspaceCompletionWalksEveryPage(t *testing.T) {
	const n = forj.MaxLimit + 120
	srv := forjtest.New(t)
	err := srv.Store.Update(context.Background(), func(tx forj.Tx) error {
		for i := range n {
			if err := tx.CreateWorkspace(&forj.Workspace{Name: fmt.Sprintf("ws-%04d", i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := map[string]string{"HOME": dir, "XDG_CACHE_HOME": filepath.Join(dir, "cache"),
		"XDG_CONFIG_HOME": filepath.Join(dir, "config"), "FORJ_SERVER": srv.URL, "FORJ_TOKEN": srv.OwnerToken}
	ios, _, _, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(k string) string { return env[k] }, Version: "test"}
	cmd := &cobra.Command{Use: "switch"}
	cmd.SetContext(context.Background())
	// ws-0600 … ws-0619 are on the second page of the list.
	names, _ := complete.Workspaces(f)(cmd, nil, "ws-06")
	if len(names) != 20 || names[0] != "ws-0600" || names[19] != "ws-0619" {
		t.Fatalf("completing ws-06 gave %v, want ws-0600 … ws-0619", names)
	}
}
