package workspace

import (
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// ListOptions are the inputs of 'workspace list'.
type ListOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command
}

// NewCmdList builds 'workspace list'.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{F: f}
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the workspaces you can see (the active one is marked)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd = cmd
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
}

// Run lists every page of workspaces.
func (o *ListOptions) Run() error {
	ctx := o.Cmd.Context()
	c, r, err := o.F.Client(ctx)
	if err != nil {
		return err
	}
	list := []forj.Workspace{}
	for w, err := range c.AllWorkspaces(ctx, client.ListOptions{Limit: forj.MaxLimit}) {
		if err != nil {
			return err
		}
		list = append(list, w)
	}
	// The marker column is always there, so piped output has the same columns whether or
	// not a workspace is active.
	active := r.Context.Workspace
	t := table()
	t.Marker = printer.Pred(func(w forj.Workspace) bool { return active != "" && (w.ID == active || w.Name == active) })
	return printer.Print(o.F.IOStreams, o.F.PrintOptions(), list, t)
}
