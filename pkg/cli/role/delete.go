package role

import (
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/spf13/cobra"
)

// DeleteOptions are the inputs of 'role delete'.
type DeleteOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	Name string
	Yes  bool
}

// NewCmdDelete builds 'role delete'.
func NewCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{F: f}
	cmd := &cobra.Command{
		Use:   "delete NAME [--yes]",
		Short: "Delete a custom role that no member holds",
		Long: `Delete a custom role. Built-in roles cannot be deleted, nor a role that a member
still holds. On a terminal you confirm by typing the role's name; in scripts pass --yes.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: complete.FirstArg(complete.Roles(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Name = cmd, args[0]
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// Validate checks the name and that someone can confirm.
func (o *DeleteOptions) Validate() error {
	if err := forj.ValidateRoleName(o.Name); err != nil {
		return &cmdutil.FlagError{Err: err}
	}
	return o.F.RequireConfirmable(o.Yes, "deleting a role")
}

// Run confirms and deletes.
func (o *DeleteOptions) Run() error {
	ctx := o.Cmd.Context()
	c, _, err := o.F.Client(ctx)
	if err != nil {
		return err
	}
	if !o.Yes {
		// Fetch first, so a typo is "not found" rather than a confirmation for nothing.
		if _, err := c.GetRole(ctx, o.Name); err != nil {
			return err
		}
		if err := o.F.ConfirmByTyping(o.Name); err != nil {
			return err
		}
	}
	if err := c.DeleteRole(ctx, o.Name); err != nil {
		return err
	}
	cs := o.F.IOStreams.ErrColorScheme()
	o.F.Infof("%s Deleted role %s", cs.Green("✓"), o.Name)
	return nil
}
