package user

import (
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// ListOptions are the inputs of 'user list'.
type ListOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command
}

// NewCmdList builds 'user list'.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{F: f}
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the members of the workspace",
		Example: "  forjctl user list -w support-bots\n  forjctl user list -o json --jq '.[].email'",
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

// Run lists every page of members.
func (o *ListOptions) Run() error {
	ctx := o.Cmd.Context()
	c, w, err := o.F.WorkspaceClient(ctx)
	if err != nil {
		return err
	}
	list := []forj.Member{}
	for m, err := range c.AllMembers(ctx, w.ID, client.MemberListOptions{ListOptions: client.ListOptions{Limit: forj.MaxLimit}}) {
		if err != nil {
			return err
		}
		list = append(list, m)
	}
	return printer.Print(o.F.IOStreams, o.F.PrintOptions(), list, memberTable())
}
