package contextcmd

import (
	"fmt"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/spf13/cobra"
)

// CurrentOptions are the inputs of 'context current'.
type CurrentOptions struct {
	Factory *cmdutil.Factory
}

// NewCmdCurrent is 'context current'.
func NewCmdCurrent(f *cmdutil.Factory, runF func(*CurrentOptions) error) *cobra.Command {
	opts := &CurrentOptions{Factory: f}
	return &cobra.Command{
		Use:   "current",
		Short: "Print the name of the context in effect (--context > FORJ_CONTEXT > current)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
}

// Run prints the context in effect.
func (o *CurrentOptions) Run() error {
	r, err := o.Factory.Resolve()
	if err != nil {
		return err
	}
	if r.Name == "" {
		return forj.Errorf(forj.ENotFound, "no context in use: the server comes from FORJ_SERVER").
			WithHint("see 'forjctl context list'")
	}
	_, err = fmt.Fprintln(o.Factory.IOStreams.Out, r.Name)
	return err
}
