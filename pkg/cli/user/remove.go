package user

import (
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// RemoveOptions are the inputs of 'user remove'.
type RemoveOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	UserID, Email string
}

// NewCmdRemove builds 'user remove'.
func NewCmdRemove(f *cmdutil.Factory, runF func(*RemoveOptions) error) *cobra.Command {
	opts := &RemoveOptions{F: f}
	return &cobra.Command{
		Use:               "remove EMAIL",
		Aliases:           []string{"rm"},
		Short:             "Remove a member from the workspace",
		Example:           "  forjctl user remove ada@example.com -w support-bots",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: complete.FirstArg(complete.Members(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd = cmd
			var err error
			if opts.UserID, opts.Email, err = memberRef(args[0]); err != nil {
				return &cmdutil.FlagError{Err: err}
			}
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
}

// Run removes the membership.
func (o *RemoveOptions) Run() error {
	ctx := o.Cmd.Context()
	c, w, err := o.F.WorkspaceClient(ctx)
	if err != nil {
		return err
	}
	m, err := c.RemoveUser(ctx, w.ID, forj.RemoveUserRequest{UserID: o.UserID, Email: o.Email})
	if err != nil {
		return err
	}
	if o.F.ExplicitFormat() {
		return printer.Print(o.F.IOStreams, o.F.PrintOptions(), m, memberTable())
	}
	cs := o.F.IOStreams.ErrColorScheme()
	o.F.Infof("%s Removed %s from workspace %s", cs.Green("✓"), m.Email, w.Name)
	return nil
}
