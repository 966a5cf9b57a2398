package workspace

import (
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/config"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// UpdateOptions are the inputs of 'workspace update'. A nil field is left unchanged.
type UpdateOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	Workspace string
	Request   forj.UpdateWorkspaceRequest
}

// NewCmdUpdate builds 'workspace update'.
func NewCmdUpdate(f *cmdutil.Factory, runF func(*UpdateOptions) error) *cobra.Command {
	opts := &UpdateOptions{F: f}
	var name, desc, color, icon, env string
	cmd := &cobra.Command{
		Use:   "update WORKSPACE [--name N] [--description D] [--color C] [--icon I] [--env E]",
		Short: "Change a workspace's name or settings",
		Long: `Change a workspace's name or settings. The change is sent with the version that was
read (If-Match), so an edit made meanwhile by someone else is not overwritten: the command
then fails with a conflict and can simply be run again.`,
		Example:           "  forjctl workspace update support-bots --env prod --description \"Tier-1 support\"",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: complete.FirstArg(complete.Workspaces(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Workspace = cmd, args[0]
			set := func(flag string, v *string) *string {
				if cmd.Flags().Changed(flag) {
					return v
				}
				return nil
			}
			opts.Request = forj.UpdateWorkspaceRequest{
				Name: set("name", &name), Description: set("description", &desc),
				Color: set("color", &color), Icon: set("icon", &icon), Environment: set("env", &env),
			}
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
	fl.StringVar(&name, "name", "", "new name")
	fl.StringVar(&desc, "description", "", "new description")
	fl.StringVar(&color, "color", "", "new colour")
	fl.StringVar(&icon, "icon", "", "new icon")
	fl.StringVar(&env, "env", "", "new environment label")
	return cmd
}

// Validate rejects an update that changes nothing, or a bad new name.
func (o *UpdateOptions) Validate() error {
	r := o.Request
	if r.Name == nil && r.Description == nil && r.Color == nil && r.Icon == nil && r.Environment == nil {
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "nothing to update").
			WithHint("give at least one of --name, --description, --color, --icon, --env")}
	}
	if r.Name != nil {
		if err := forj.ValidateWorkspaceName(*r.Name); err != nil {
			return &cmdutil.FlagError{Err: err}
		}
	}
	return nil
}

// Run reads the workspace, then updates it if nobody changed it meanwhile.
func (o *UpdateOptions) Run() error {
	ctx := o.Cmd.Context()
	c, r, err := o.F.Client(ctx)
	if err != nil {
		return err
	}
	cur, err := c.ResolveWorkspace(ctx, o.Workspace)
	if err != nil {
		return err
	}
	w, err := c.UpdateWorkspace(ctx, cur.ID, o.Request, cur.Version)
	if forj.IsConflict(err) {
		e := forj.Errorf(forj.EConflict, "workspace %q changed while it was being updated", cur.Name)
		return e.WithHint("run the command again to apply your change to the new version")
	}
	if err != nil {
		return err
	}
	if o.Request.Name != nil && r.Name != "" {
		// Keep the active workspace's remembered name in step with a rename.
		_, _ = o.F.UpdateConfig(func(cfg *config.Config) error {
			if ctxCfg, ok := cfg.Contexts[r.Name]; ok && ctxCfg.Workspace == w.ID {
				ctxCfg.WorkspaceName = w.Name
				cfg.Contexts[r.Name] = ctxCfg
			}
			return nil
		})
	}
	if !o.F.ExplicitFormat() {
		cs := o.F.IOStreams.ErrColorScheme()
		o.F.Infof("%s Updated workspace %s", cs.Green("✓"), w.Name)
		return nil
	}
	return printer.Print(o.F.IOStreams, o.F.PrintOptions(), w, table())
}
