package user

import (
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// SetRoleOptions are the inputs of 'user set-role'.
type SetRoleOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	Member string // email or user id
	Role   string
}

// NewCmdSetRole builds 'user set-role'.
func NewCmdSetRole(f *cmdutil.Factory, runF func(*SetRoleOptions) error) *cobra.Command {
	opts := &SetRoleOptions{F: f}
	members, roles := complete.Members(f), complete.Roles(f)
	return &cobra.Command{
		Use:     "set-role EMAIL ROLE",
		Short:   "Change a member's role in the workspace",
		Example: "  forjctl user set-role ada@example.com developer -w support-bots",
		Args:    cobra.ExactArgs(2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			switch len(args) {
			case 0:
				return members(cmd, args, toComplete)
			case 1:
				return roles(cmd, args, toComplete)
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Member, opts.Role = cmd, args[0], args[1]
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
}

// Validate checks the arguments' form before any request.
func (o *SetRoleOptions) Validate() error {
	if _, _, err := memberRef(o.Member); err != nil {
		return &cmdutil.FlagError{Err: err}
	}
	if err := forj.ValidateRoleName(o.Role); err != nil {
		return &cmdutil.FlagError{Err: err}
	}
	return nil
}

// Run finds the member and changes the role.
func (o *SetRoleOptions) Run() error {
	ctx := o.Cmd.Context()
	c, w, err := o.F.WorkspaceClient(ctx)
	if err != nil {
		return err
	}
	m, err := c.ResolveMember(ctx, w.ID, o.Member)
	if err != nil {
		return err
	}
	m, err = c.SetMemberRole(ctx, w.ID, m.UserID, o.Role)
	if err != nil {
		return err
	}
	if o.F.ExplicitFormat() {
		return printer.Print(o.F.IOStreams, o.F.PrintOptions(), m, memberTable())
	}
	cs := o.F.IOStreams.ErrColorScheme()
	o.F.Infof("%s %s is now %s in workspace %s", cs.Green("✓"), m.Email, m.Role, w.Name)
	return nil
}
