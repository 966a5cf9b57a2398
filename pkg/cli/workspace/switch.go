package workspace

import (
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/config"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// SwitchOptions are the inputs of 'workspace switch'.
type SwitchOptions struct {
	F    *cmdutil.Factory
	Cmd  *cobra.Command
	Args []string

	Workspace string
}

// NewCmdSwitch builds 'workspace switch'.
func NewCmdSwitch(f *cmdutil.Factory, runF func(*SwitchOptions) error) *cobra.Command {
	opts := &SwitchOptions{F: f}
	return &cobra.Command{
		Use:   "switch [WORKSPACE]",
		Short: "Make a workspace the active one of the current context",
		Long: `Make a workspace the active one of the current context: later commands act on it
unless they are given -w or FORJ_WORKSPACE. Scripts should pass -w instead of switching, so
that a switch in another terminal cannot redirect them.`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: complete.FirstArg(complete.Workspaces(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Args = cmd, args
			if err := opts.Complete(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
}

// Complete takes the workspace from the argument or a prompt.
func (o *SwitchOptions) Complete() error {
	ws, err := nameArg(o.F, o.Args, "Workspace to switch to: ")
	if err != nil {
		return err
	}
	if ws == "" {
		return cmdutil.FlagErrorf("a workspace name is required")
	}
	o.Workspace = ws
	return nil
}

// Run checks access through the server, then records the workspace in the context.
func (o *SwitchOptions) Run() error {
	ctx := o.Cmd.Context()
	c, r, err := o.F.Client(ctx)
	if err != nil {
		return err
	}
	if r.Name == "" {
		e := forj.Errorf(forj.EInvalid, "there is no context to switch: the server and token come from FORJ_SERVER and FORJ_TOKEN")
		return &cmdutil.FlagError{Err: e.WithHint("pass -w %s (or set FORJ_WORKSPACE=%s) on each command instead, or log in with 'forjctl auth login' to keep an active workspace", o.Workspace, o.Workspace)}
	}
	w, err := c.ResolveWorkspace(ctx, o.Workspace)
	if err != nil {
		return err
	}
	sw, err := c.SwitchWorkspace(ctx, w.ID)
	if err != nil {
		return err
	}
	_, err = o.F.UpdateConfig(func(cfg *config.Config) error {
		cc, ok := cfg.Contexts[r.Name]
		if !ok {
			return forj.Errorf(forj.ENotFound, "context %q was removed meanwhile", r.Name)
		}
		cc.Workspace, cc.WorkspaceName = sw.Workspace.ID, sw.Workspace.Name
		cfg.Contexts[r.Name] = cc
		return nil
	})
	if err != nil {
		return err
	}
	if o.F.ExplicitFormat() {
		return printer.Print(o.F.IOStreams, o.F.PrintOptions(), sw, printer.Table{
			Columns: []printer.Column{
				{Header: "Workspace", Value: printer.Field(func(s forj.SwitchWorkspaceResponse) string { return s.Workspace.Name })},
				{Header: "Role", Value: printer.Field(func(s forj.SwitchWorkspaceResponse) string { return s.Role })},
			},
			NameOf: printer.Field(func(s forj.SwitchWorkspaceResponse) string { return s.Workspace.Name }),
		})
	}
	cs := o.F.IOStreams.ErrColorScheme()
	o.F.Infof("%s Switched to workspace %s (context %s); your role: %s", cs.Green("✓"), sw.Workspace.Name, r.Name, sw.Role)
	return nil
}
