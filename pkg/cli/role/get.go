package role

import (
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// GetOptions are the inputs of 'role get'.
type GetOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	Name string
}

// NewCmdGet builds 'role get'.
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	opts := &GetOptions{F: f}
	return &cobra.Command{
		Use:               "get ROLE",
		Short:             "Show a role and its permissions",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: complete.FirstArg(complete.Roles(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Name = cmd, args[0]
			if err := forj.ValidateRoleName(opts.Name); err != nil {
				return &cmdutil.FlagError{Err: err}
			}
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
}

// Run fetches the role.
func (o *GetOptions) Run() error {
	ctx := o.Cmd.Context()
	c, _, err := o.F.Client(ctx)
	if err != nil {
		return err
	}
	r, err := c.GetRole(ctx, o.Name)
	if forj.IsNotFound(err) {
		return forj.Errorf(forj.ENotFound, "role %q not found", o.Name).WithHint("see the roles with: forjctl role list")
	}
	if err != nil {
		return err
	}
	return printer.Print(o.F.IOStreams, o.F.PrintOptions(), r, detailTable())
}
