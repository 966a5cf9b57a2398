// Package complete provides dynamic shell completion of names from the server: workspaces,
// members' emails, roles, keys and asset names. Completion runs while the user waits at a prompt, so it has a
// hard time budget, never prompts, never blocks on a keyring and never prints errors (the
// shell would paste them into the command line). A small per-context cache file lets it
// answer at once, and serve stale names when the server is slow or unreachable.
package complete

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/fsutil"
	"github.com/spf13/cobra"
)

const (
	// Budget bounds everything a completion does over the network.
	Budget = 300 * time.Millisecond
	// BudgetEnv, a Go duration, replaces Budget: the CLI scripts set it high so that a
	// loaded test machine checks what completion offers, not how fast (benchmarks do that).
	BudgetEnv = "FORJ_COMPLETION_BUDGET"
	// KeyringBudget bounds the keyring lookup of the token (a locked keyring may never answer).
	KeyringBudget = 150 * time.Millisecond
	// Fresh is how long cached names are served without asking the server again.
	Fresh = 5 * time.Minute
	// maxNames caps what one completion fetches and caches, in pages of forj.MaxLimit.
	maxNames = 10 * forj.MaxLimit
)

// failed is what a completion answers when it has nothing: no files, and tell the shell
// completion failed (cobra prints nothing to the user for it).
const failed = cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError

// Workspaces completes the names of the workspaces the caller can see.
func Workspaces(f *cmdutil.Factory) cobra.CompletionFunc {
	return names(f, "workspaces", func(r *cmdutil.Resolved) string { return "" },
		func(ctx context.Context, c *client.Client, r *cmdutil.Resolved) ([]string, error) {
			return collect(c.AllWorkspaces(ctx, page), func(w forj.Workspace) string { return w.Name })
		})
}

// Members completes the emails of the members of the workspace in effect (-w, or the
// context's active workspace).
func Members(f *cmdutil.Factory) cobra.CompletionFunc {
	return names(f, "members", func(r *cmdutil.Resolved) string { return r.Context.Workspace },
		func(ctx context.Context, c *client.Client, r *cmdutil.Resolved) ([]string, error) {
			w, err := f.Workspace(ctx, c, r)
			if err != nil {
				return nil, err
			}
			return collect(c.AllMembers(ctx, w.ID, client.MemberListOptions{ListOptions: page}),
				func(m forj.Member) string { return m.Email })
		})
}

// Keys completes the names of the active API keys of the workspace in effect.
func Keys(f *cmdutil.Factory) cobra.CompletionFunc {
	return names(f, "keys", func(r *cmdutil.Resolved) string { return r.Context.Workspace },
		func(ctx context.Context, c *client.Client, r *cmdutil.Resolved) ([]string, error) {
			w, err := f.Workspace(ctx, c, r)
			if err != nil {
				return nil, err
			}
			keys, err := c.ListKeys(ctx, w.ID, false)
			if err != nil {
				return nil, err
			}
			var out []string
			for _, k := range keys {
				if !slices.Contains(out, k.Name) {
					out = append(out, k.Name)
				}
			}
			return out, nil
		})
}

// Assets completes the names of the assets of one kind in the workspace in effect (-w, or
// the context's active workspace; a command's own --from flag, when set, names the
// workspace instead: 'flow move NAME --from dev').
func Assets(f *cmdutil.Factory, kind string) cobra.CompletionFunc {
	complete := names(f, "assets-"+kind, func(r *cmdutil.Resolved) string { return r.Context.Workspace },
		func(ctx context.Context, c *client.Client, r *cmdutil.Resolved) ([]string, error) {
			w, err := f.Workspace(ctx, c, r)
			if err != nil {
				return nil, err
			}
			return collect(c.AllAssets(ctx, w.ID, client.AssetListOptions{Kind: kind, ListOptions: page}),
				func(a forj.Asset) string { return a.Name })
		})
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if fl := cmd.Flags().Lookup("from"); fl != nil && fl.Changed && fl.Value.String() != "" {
			f.Flags.Workspace = fl.Value.String()
		}
		return complete(cmd, args, toComplete)
	}
}

// Roles completes role names, built-in and custom.
func Roles(f *cmdutil.Factory) cobra.CompletionFunc {
	return names(f, "roles", func(r *cmdutil.Resolved) string { return "" },
		func(ctx context.Context, c *client.Client, r *cmdutil.Resolved) ([]string, error) {
			return collect(c.AllRoles(ctx, page), func(r forj.Role) string { return r.Name })
		})
}

// page asks for the largest pages, so that a completion makes as few requests as it can.
var page = client.ListOptions{Limit: forj.MaxLimit}

// collect walks every page of a list, up to maxNames, keeping one name per item.
func collect[T any](items iter.Seq2[T, error], name func(T) string) ([]string, error) {
	var out []string
	for item, err := range items {
		if err != nil {
			return nil, err
		}
		out = append(out, name(item))
		if len(out) == maxNames {
			break
		}
	}
	return out, nil
}

// EveryArg completes every positional argument, leaving out the names already given
// ('flow delete a b <TAB>' does not offer a or b again).
func EveryArg(fn cobra.CompletionFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		out, dir := fn(cmd, args, toComplete)
		out = slices.DeleteFunc(out, func(c cobra.Completion) bool { return slices.Contains(args, c) })
		return out, dir
	}
}

// FirstArg limits a completion to the first positional argument (later ones get nothing).
func FirstArg(fn cobra.CompletionFunc) cobra.CompletionFunc {
	return NthArg(0, fn)
}

// NthArg limits a completion to the n-th positional argument (0-based).
func NthArg(n int, fn cobra.CompletionFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) != n {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return fn(cmd, args, toComplete)
	}
}

// RegisterGlobal completes the root's persistent -w/--workspace flag with workspace names.
// The root command calls it once after defining its flags.
func RegisterGlobal(root *cobra.Command, f *cmdutil.Factory) {
	_ = root.RegisterFlagCompletionFunc("workspace", Workspaces(f))
}

type fetchFunc func(ctx context.Context, c *client.Client, r *cmdutil.Resolved) ([]string, error)

// cacheFile is the on-disk form of one list of names.
type cacheFile struct {
	Time  time.Time `json:"time"`
	Names []string  `json:"names"`
}

// names builds a completion of one kind of name. scope distinguishes caches within a
// context (members of different workspaces).
func names(f *cmdutil.Factory, kind string, scope func(*cmdutil.Resolved) string, fetch fetchFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		list, ok := lookup(cmd.Context(), f, kind, scope, fetch)
		if !ok {
			return nil, failed
		}
		var out []cobra.Completion
		for _, n := range list {
			if strings.HasPrefix(n, toComplete) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func lookup(parent context.Context, f *cmdutil.Factory, kind string, scope func(*cmdutil.Resolved) string, fetch fetchFunc) ([]string, bool) {
	if parent == nil {
		parent = context.Background()
	}
	// Nothing a completion does may reach the user's terminal: keyring warnings, --debug
	// traces and errors all go nowhere.
	f.IOStreams.ErrOut = io.Discard
	f.Flags.Debug = false
	if f.KeyringTimeout == 0 || f.KeyringTimeout > KeyringBudget {
		f.KeyringTimeout = KeyringBudget
	}
	r, err := f.Resolve()
	if err != nil {
		return nil, false
	}
	path := cachePath(f, r, kind, scope(r))
	cached, have := readCache(path)
	if have && time.Since(cached.Time) < Fresh {
		return cached.Names, true
	}

	ctx, cancel := context.WithTimeout(parent, budget())
	defer cancel()
	fresh, err := fetchWithin(ctx, f, r, fetch)
	if err != nil {
		// Slow or unreachable server, or not logged in: stale names beat none.
		return cached.Names, have
	}
	slices.Sort(fresh)
	fresh = slices.Compact(fresh)
	writeCache(path, cacheFile{Time: time.Now(), Names: fresh})
	return fresh, true
}

// fetchWithin runs fetch on its own goroutine so that the budget holds even if something
// underneath ignores ctx.
func fetchWithin(ctx context.Context, f *cmdutil.Factory, r *cmdutil.Resolved, fetch fetchFunc) ([]string, error) {
	type result struct {
		names []string
		err   error
	}
	done := make(chan result, 1)
	go func() {
		tok, _, err := f.Token(ctx, r)
		if err != nil {
			done <- result{err: err}
			return
		}
		c, err := f.NewClient(r.Context.Server, tok, r.Context.Insecure)
		if err != nil {
			done <- result{err: err}
			return
		}
		n, err := fetch(ctx, c, r)
		done <- result{n, err}
	}()
	select {
	case res := <-done:
		return res.names, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// CacheDir is where completion caches live: $XDG_CACHE_HOME/forjctl, else ~/.cache/forjctl.
func CacheDir(getenv func(string) string) string {
	if x := getenv("XDG_CACHE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "forjctl")
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".cache", "forjctl")
}

// cachePath names one cache file. The key covers the context, its server and user (a
// renamed or re-pointed context must not show another server's names) and the scope.
func cachePath(f *cmdutil.Factory, r *cmdutil.Resolved, kind, scope string) string {
	h := sha256.Sum256([]byte(strings.Join([]string{r.Name, r.Context.Server, r.Context.User, scope}, "\x00")))
	ctxName := r.Name
	if ctxName == "" {
		ctxName = "env"
	}
	file := "complete-" + sanitize(ctxName) + "-" + kind + "-" + hex.EncodeToString(h[:6]) + ".json"
	return filepath.Join(CacheDir(f.Getenv), file)
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			return r
		}
		return '_'
	}, s)
}

func readCache(path string) (cacheFile, bool) {
	var c cacheFile
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &c) != nil {
		return cacheFile{}, false
	}
	return c, true
}

// writeCache replaces the file atomically: concurrent completions in two shells each see
// a whole file. Failure to write only costs the next completion a request.
func writeCache(path string, c cacheFile) {
	b, err := json.Marshal(c)
	if err != nil {
		return
	}
	_ = fsutil.WriteFileAtomic(path, b, 0o600)
}

// budget is Budget, or the duration in $FORJ_COMPLETION_BUDGET.
func budget() time.Duration {
	if d, err := time.ParseDuration(os.Getenv(BudgetEnv)); err == nil && d > 0 {
		return d
	}
	return Budget
}
