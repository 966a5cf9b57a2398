package key

import (
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// ListOptions are the inputs of 'key list'.
type ListOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	All bool
}

// NewCmdList builds 'key list'.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{F: f}
	cmd := &cobra.Command{
		Use:     "list [--all]",
		Aliases: []string{"ls"},
		Short:   "List the workspace's API keys, newest first",
		Long: `List the workspace's API keys, newest first, with their status: active, rotating (replaced
by a newer key, valid until its grace period ends), expired, or revoked (shown with --all).
Secrets are never shown again; the prefix identifies a key.`,
		Example: "  forjctl key list -w support-bots\n  forjctl key list --all -o json --jq '.[] | select(.revokedAt) | .name'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd = cmd
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "include revoked keys")
	return cmd
}

// Run lists the keys.
func (o *ListOptions) Run() error {
	ctx := o.Cmd.Context()
	c, w, err := o.F.WorkspaceClient(ctx)
	if err != nil {
		return err
	}
	keys, err := c.ListKeys(ctx, w.ID, o.All)
	if err != nil {
		return err
	}
	return printer.Print(o.F.IOStreams, o.F.PrintOptions(), keys, keyTable(o.F.IOStreams.Now()))
}
