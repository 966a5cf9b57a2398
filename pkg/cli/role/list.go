package role

import (
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// ListOptions are the inputs of 'role list'.
type ListOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	Permissions bool
}

// NewCmdList builds 'role list'.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{F: f}
	cmd := &cobra.Command{
		Use:     "list [--permissions]",
		Aliases: []string{"ls"},
		Short:   "List the roles, or with --permissions the permission catalog",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd = cmd
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
	cmd.Flags().BoolVar(&opts.Permissions, "permissions", false, "list the permissions a role can grant instead")
	return cmd
}

// Run lists roles or permissions.
func (o *ListOptions) Run() error {
	ctx := o.Cmd.Context()
	c, _, err := o.F.Client(ctx)
	if err != nil {
		return err
	}
	opts := client.ListOptions{Limit: forj.MaxLimit}
	if o.Permissions {
		list := []forj.Permission{}
		for p, err := range c.AllPermissions(ctx, opts) {
			if err != nil {
				return err
			}
			list = append(list, p)
		}
		return printer.Print(o.F.IOStreams, o.F.PrintOptions(), list, printer.Table{
			Columns: []printer.Column{
				{Header: "Name", Value: printer.Field(func(p forj.Permission) string { return p.Name })},
				{Header: "Scope", Value: printer.Field(func(p forj.Permission) string { return p.Scope })},
				{Header: "Description", Value: printer.Field(func(p forj.Permission) string { return p.Description })},
			},
			NameOf: printer.Field(func(p forj.Permission) string { return p.Name }),
			Empty:  "No permissions found",
		})
	}
	list := []forj.Role{}
	for r, err := range c.AllRoles(ctx, opts) {
		if err != nil {
			return err
		}
		list = append(list, r)
	}
	return printer.Print(o.F.IOStreams, o.F.PrintOptions(), list, roleTable())
}
