package workspace

import (
	"fmt"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// CurrentOptions are the inputs of 'workspace current'.
type CurrentOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command
}

// NewCmdCurrent builds 'workspace current'.
func NewCmdCurrent(f *cmdutil.Factory, runF func(*CurrentOptions) error) *cobra.Command {
	opts := &CurrentOptions{F: f}
	return &cobra.Command{
		Use:   "current",
		Short: "Print the workspace in effect (-w, FORJ_WORKSPACE or the context's active one)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd = cmd
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
}

// Run prints the name remembered in the context without a request when it can; a
// workspace given by -w or FORJ_WORKSPACE (maybe an id) and -o formats ask the server.
func (o *CurrentOptions) Run() error {
	r, err := o.F.Resolve()
	if err != nil {
		return err
	}
	if r.Context.Workspace == "" {
		e := forj.Errorf(forj.ENotFound, "no workspace selected")
		return e.WithHint("pick one with 'forjctl workspace switch NAME', or pass -w NAME")
	}
	if r.Context.WorkspaceName != "" && !o.F.ExplicitFormat() {
		fmt.Fprintln(o.F.IOStreams.Out, r.Context.WorkspaceName)
		return nil
	}
	ctx := o.Cmd.Context()
	c, r, err := o.F.Client(ctx)
	if err != nil {
		return err
	}
	w, err := o.F.Workspace(ctx, c, r)
	if err != nil {
		return err
	}
	if !o.F.ExplicitFormat() {
		fmt.Fprintln(o.F.IOStreams.Out, w.Name)
		return nil
	}
	return printer.Print(o.F.IOStreams, o.F.PrintOptions(), w, table())
}
