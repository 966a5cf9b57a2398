package contextcmd

import (
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/config"
	"github.com/spf13/cobra"
)

// UseOptions are the inputs of 'context use'.
type UseOptions struct {
	Factory *cmdutil.Factory
	Name    string
}

// NewCmdUse is 'context use'.
func NewCmdUse(f *cmdutil.Factory, runF func(*UseOptions) error) *cobra.Command {
	opts := &UseOptions{Factory: f}
	return &cobra.Command{
		Use:               "use NAME",
		Short:             "Make a context the current one",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: CompleteContextNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
}

// Run sets current-context.
func (o *UseOptions) Run() error {
	var name string
	_, err := o.Factory.UpdateConfig(func(cfg *config.Config) error {
		n, _, err := lookup(cfg, o.Name)
		if err != nil {
			return err
		}
		name = n
		cfg.CurrentContext = n
		return nil
	})
	if err != nil {
		return err
	}
	o.Factory.Infof("Switched to context %s", name)
	return nil
}
