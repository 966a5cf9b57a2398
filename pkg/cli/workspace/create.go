package workspace

import (
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// CreateOptions are the inputs of 'workspace create'.
type CreateOptions struct {
	F    *cmdutil.Factory
	Cmd  *cobra.Command
	Args []string

	Name        string
	Description string
	Color       string
	Icon        string
	Environment string
}

// NewCmdCreate builds 'workspace create'. runF replaces the run step in tests of parsing.
func NewCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{F: f}
	cmd := &cobra.Command{
		Use:   "create [NAME]",
		Short: "Create a workspace",
		Example: `  forjctl workspace create support-bots --env prod --description "Customer support"
  forjctl workspace create sandbox -o json`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Args = cmd, args
			if err := opts.Complete(); err != nil {
				return err
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
	fl.StringVar(&opts.Description, "description", "", "what the workspace is for")
	fl.StringVar(&opts.Color, "color", "", "colour shown in the web console, e.g. #3b82f6")
	fl.StringVar(&opts.Icon, "icon", "", "icon shown in the web console")
	fl.StringVar(&opts.Environment, "env", "", "environment label, e.g. dev, staging, prod")
	return cmd
}

// Complete fills in the name, asking for it on a terminal.
func (o *CreateOptions) Complete() error {
	name, err := nameArg(o.F, o.Args, "Name of the new workspace: ")
	o.Name = name
	return err
}

// Validate checks the name before any request.
func (o *CreateOptions) Validate() error {
	if err := forj.ValidateWorkspaceName(o.Name); err != nil {
		return &cmdutil.FlagError{Err: err}
	}
	return nil
}

// Run creates the workspace.
func (o *CreateOptions) Run() error {
	ctx := o.Cmd.Context()
	c, _, err := o.F.Client(ctx)
	if err != nil {
		return err
	}
	w, err := c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{
		Name: o.Name, Description: o.Description, Color: o.Color, Icon: o.Icon, Environment: o.Environment,
	})
	if err != nil {
		return err
	}
	if !o.F.ExplicitFormat() {
		cs := o.F.IOStreams.ErrColorScheme()
		o.F.Infof("%s Created workspace %s (%s)", cs.Green("✓"), w.Name, w.ID)
		o.F.Infof("Use it with: forjctl workspace switch %s", w.Name)
		return nil
	}
	return printer.Print(o.F.IOStreams, o.F.PrintOptions(), w, table())
}
