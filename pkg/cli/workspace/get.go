package workspace

import (
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// GetOptions are the inputs of 'workspace get'.
type GetOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	Workspace string
}

// NewCmdGet builds 'workspace get'.
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	opts := &GetOptions{F: f}
	return &cobra.Command{
		Use:               "get WORKSPACE",
		Short:             "Show a workspace (by name or id)",
		Example:           "  forjctl workspace get support-bots -o yaml",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: complete.FirstArg(complete.Workspaces(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Workspace = cmd, args[0]
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
}

// Run fetches and prints the workspace.
func (o *GetOptions) Run() error {
	ctx := o.Cmd.Context()
	c, _, err := o.F.Client(ctx)
	if err != nil {
		return err
	}
	w, err := c.ResolveWorkspace(ctx, o.Workspace)
	if err != nil {
		return err
	}
	return printer.Print(o.F.IOStreams, o.F.PrintOptions(), w, table())
}
