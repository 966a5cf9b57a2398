package role

import (
	"github.com/forjinn/forjctl/pkg/authz"
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// CreateOptions are the inputs of 'role create'.
type CreateOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	Name        string
	Description string
	Permissions []string
}

// NewCmdCreate builds 'role create'.
func NewCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{F: f}
	cmd := &cobra.Command{
		Use:   "create NAME --permission P... [--description D]",
		Short: "Create a custom role from workspace permissions",
		Example: `  forjctl role create auditor --permission workspace.read --permission audit.read
  forjctl role create asset-editor --permission asset.read,asset.write`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cobra.NoFileCompletions,
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
	fl := cmd.Flags()
	fl.StringSliceVarP(&opts.Permissions, "permission", "p", nil, "a permission to grant (repeat, or separate with commas)")
	fl.StringVar(&opts.Description, "description", "", "what the role is for")
	_ = cmd.RegisterFlagCompletionFunc("permission", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var names []cobra.Completion
		for _, p := range authz.Catalog() {
			if p.Scope == authz.ScopeWorkspace {
				names = append(names, cobra.CompletionWithDesc(p.Name, p.Description))
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// Validate checks the name and permissions locally, with the same rules as the server.
func (o *CreateOptions) Validate() error {
	if err := forj.ValidateRoleName(o.Name); err != nil {
		return &cmdutil.FlagError{Err: err}
	}
	if len(o.Permissions) == 0 {
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "at least one --permission is required").
			WithHint("see the permissions with: forjctl role list --permissions")}
	}
	if err := authz.ValidateCustomPermissions(o.Permissions); err != nil {
		return &cmdutil.FlagError{Err: err}
	}
	return nil
}

// Run creates the role.
func (o *CreateOptions) Run() error {
	ctx := o.Cmd.Context()
	c, _, err := o.F.Client(ctx)
	if err != nil {
		return err
	}
	r, err := c.CreateRole(ctx, forj.CreateRoleRequest{Name: o.Name, Description: o.Description, Permissions: o.Permissions})
	if err != nil {
		return err
	}
	if o.F.ExplicitFormat() {
		return printer.Print(o.F.IOStreams, o.F.PrintOptions(), r, detailTable())
	}
	cs := o.F.IOStreams.ErrColorScheme()
	o.F.Infof("%s Created role %s with %d permissions", cs.Green("✓"), r.Name, len(r.Permissions))
	return nil
}
