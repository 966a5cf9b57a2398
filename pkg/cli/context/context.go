// Package contextcmd is the 'forjctl context' command group: the named connections
// (server, user, active workspace) in the config file, and which one is current.
package contextcmd

import (
	"strings"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/config"
	"github.com/forjinn/forjctl/pkg/credstore"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/spf13/cobra"
)

// NewCmdContext is the 'context' group.
func NewCmdContext(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "context <command>",
		Short: "List, switch, rename and delete contexts (server + user + workspace)",
		Long: `A context is a named connection: a server, the user logged in there, and the active
workspace. Its token is kept in the credential store, never in the config file.
--context NAME or FORJ_CONTEXT picks one for a single command; 'context use' changes
the current one for every later command.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(
		NewCmdList(f, nil),
		NewCmdUse(f, nil),
		NewCmdCurrent(f, nil),
		NewCmdRename(f, nil),
		NewCmdDelete(f, nil),
	)
	return cmd
}

// CompleteContextNames completes the first argument with the context names of the config
// file. It reads only the file, never the network or the keyring, and never prints errors.
func CompleteContextNames(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		cfg, err := config.Load(f.ConfigPath())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, n := range cfg.ContextNames() {
			if strings.HasPrefix(n, strings.ToLower(toComplete)) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// lookup finds a context by name (case-insensitively, as the config stores them).
func lookup(cfg *config.Config, name string) (string, config.Context, error) {
	name = strings.ToLower(name)
	c, ok := cfg.Contexts[name]
	if !ok {
		return "", config.Context{}, unknownContext(cfg, name)
	}
	return name, c, nil
}

func unknownContext(cfg *config.Config, name string) error {
	e := forj.Errorf(forj.ENotFound, "context %q not found", name)
	if len(cfg.Contexts) == 0 {
		return e.WithHint("there are no contexts yet: run 'forjctl auth login --server URL' or 'forjctl dev'")
	}
	return e.WithHint("known contexts: %s (see 'forjctl context list')", strings.Join(cfg.ContextNames(), ", "))
}

func credKey(name string, c config.Context) string {
	return cmdutil.CredentialKey(&cmdutil.Resolved{Name: name, Context: c})
}

// storedCreds is the credential store without the FORJ_TOKEN override: moving or deleting a
// context's token must act on the stored one, and must never copy an environment token
// into the store. (credstore.Store.Get always prefers FORJ_TOKEN, so the factory's reads of
// the environment are narrowed for this invocation before the store is built.)
func storedCreds(f *cmdutil.Factory) (*credstore.Store, error) {
	getenv := f.Getenv
	f.Getenv = func(k string) string {
		if k == credstore.EnvToken {
			return ""
		}
		return getenv(k)
	}
	return f.Creds()
}
