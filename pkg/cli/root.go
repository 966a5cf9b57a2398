package cli

import (
	"fmt"
	"runtime"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// NewCmdRoot builds the whole command tree for one invocation.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "forjctl",
		Short: "Administer workspaces, members, keys and assets of a forj platform",
		Long: `forjctl administers a multi-tenant AI-agent platform: workspaces, their members and
roles, API keys, the audit trail, and moving assets between workspaces.

Start a local platform with 'forjctl dev', or log in to one with 'forjctl auth login'.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		// Completion of our own commands is enabled below; cobra's default 'completion'
		// command is replaced by ours (it documents each shell's set-up).
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return applyGlobalFlags(f)
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &cmdutil.FlagError{Err: err}
	})

	fl := root.PersistentFlags()
	g := &f.Flags
	fl.StringVar(&g.Context, "context", "", "use this context instead of the current one (env FORJ_CONTEXT)")
	fl.StringVarP(&g.Workspace, "workspace", "w", "", "act on this workspace, by name or id (env FORJ_WORKSPACE)")
	fl.StringVarP(&g.Output, "output", "o", "", "output format: table, wide, json, yaml or name")
	fl.StringVar(&g.JQ, "jq", "", "filter the JSON output with a jq expression")
	fl.StringVar(&g.Template, "template", "", "format the JSON output with a Go template")
	fl.BoolVar(&g.NoColor, "no-color", false, "do not colour the output (env NO_COLOR)")
	fl.BoolVar(&g.NoInput, "no-input", false, "never prompt (implied when stdin is not a terminal or CI is set)")
	fl.BoolVarP(&g.Quiet, "quiet", "q", false, "print only the essential result")
	fl.BoolVar(&g.Debug, "debug", false, "trace HTTP requests on stderr (tokens redacted)")
	fl.StringVar(&g.ConfigPath, "config", "", "config file (env FORJ_CONFIG; default ~/.config/forjctl/config.yaml)")
	fl.BoolVar(&g.Insecure, "insecure", false, "allow plain http:// to a server that is not on this machine")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formatNames(), cobra.ShellCompDirectiveNoFileComp))
	complete.RegisterGlobal(root, f)

	root.AddCommand(
		newCmdVersion(f),
		newCmdCompletion(f),
	)
	for _, add := range commandGroups {
		root.AddCommand(add(f))
	}
	return root
}

func formatNames() []string {
	var out []string
	for _, f := range printer.Formats() {
		out = append(out, string(f))
	}
	return out
}

func applyGlobalFlags(f *cmdutil.Factory) error {
	if f.Flags.NoColor {
		f.IOStreams.SetColorEnabled(false)
	}
	if f.Flags.NoInput || f.Getenv("CI") != "" {
		f.IOStreams.SetNeverPrompt(true)
	}
	if err := f.PrintOptions().Validate(); err != nil {
		return &cmdutil.FlagError{Err: err}
	}
	return nil
}

func newCmdVersion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print forjctl's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(f.IOStreams.Out, "forjctl %s", f.Version)
			if commit != "" {
				fmt.Fprintf(f.IOStreams.Out, " (commit %s, built %s)", commit, date)
			}
			fmt.Fprintf(f.IOStreams.Out, " %s/%s\n", runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
