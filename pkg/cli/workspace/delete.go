package workspace

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/config"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// DeleteOptions are the inputs of 'workspace delete'.
type DeleteOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	Workspace string
	Yes       bool
}

// NewCmdDelete builds 'workspace delete'.
func NewCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{F: f}
	cmd := &cobra.Command{
		Use:   "delete WORKSPACE [--yes]",
		Short: "Delete a workspace and everything in it",
		Long: `Delete a workspace with its members, keys and assets. On a terminal you confirm by
typing the workspace's name; in scripts pass --yes.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: complete.FirstArg(complete.Workspaces(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Workspace = cmd, args[0]
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

// Validate refuses to go on when nobody can confirm and --yes was not given.
func (o *DeleteOptions) Validate() error {
	return o.F.RequireConfirmable(o.Yes, "deleting a workspace")
}

// Run resolves, confirms and deletes.
func (o *DeleteOptions) Run() error {
	ctx := o.Cmd.Context()
	c, r, err := o.F.Client(ctx)
	if err != nil {
		return err
	}
	w, err := c.ResolveWorkspace(ctx, o.Workspace)
	if err != nil {
		return err
	}
	if !o.Yes {
		fmt.Fprintf(o.F.IOStreams.ErrOut, "This deletes workspace %s (%s) with all its members, keys and assets.\n", w.Name, w.ID)
		if err := o.F.ConfirmByTyping(w.Name); err != nil {
			return err
		}
	}
	if err := c.DeleteWorkspace(ctx, w.ID); err != nil {
		return err
	}
	// Forget the deleted workspace in every context on this server that had it active.
	had := func(cc config.Context) bool {
		return cc.Workspace == w.ID && strings.TrimRight(cc.Server, "/") == strings.TrimRight(r.Context.Server, "/")
	}
	if cfg, err := o.F.Config(); err == nil && slices.ContainsFunc(slices.Collect(maps.Values(cfg.Contexts)), had) {
		_, _ = o.F.UpdateConfig(func(cfg *config.Config) error {
			for name, cc := range cfg.Contexts {
				if had(cc) {
					cc.Workspace, cc.WorkspaceName = "", ""
					cfg.Contexts[name] = cc
				}
			}
			return nil
		})
	}
	if o.F.ExplicitFormat() {
		return printer.Print(o.F.IOStreams, o.F.PrintOptions(), w, table())
	}
	cs := o.F.IOStreams.ErrColorScheme()
	o.F.Infof("%s Deleted workspace %s", cs.Green("✓"), w.Name)
	return nil
}
