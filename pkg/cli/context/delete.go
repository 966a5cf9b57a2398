package contextcmd

import (
	"context"
	"fmt"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/config"
	"github.com/spf13/cobra"
)

// DeleteOptions are the inputs of 'context delete'.
type DeleteOptions struct {
	Factory *cmdutil.Factory
	Name    string
	Yes     bool
}

// NewCmdDelete is 'context delete'.
func NewCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a context and its stored token",
		Long: `Delete a context from the config file and its token from the credential store.
The token is not revoked on the server: run 'forjctl auth logout' first for that.
On a terminal you confirm by typing the name; without one, --yes is required.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: CompleteContextNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return opts.Run(cmd.Context())
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// Validate requires --yes when nobody can be asked.
func (o *DeleteOptions) Validate() error {
	return o.Factory.RequireConfirmable(o.Yes, fmt.Sprintf("deleting context %q", o.Name))
}

// Run confirms, removes the stored token, then the context.
func (o *DeleteOptions) Run(ctx context.Context) error {
	f := o.Factory
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	name, c, err := lookup(cfg, o.Name)
	if err != nil {
		return err
	}
	if !o.Yes {
		fmt.Fprintf(f.IOStreams.ErrOut, "This deletes context %s (%s as %s) and its stored token.\n", name, c.Server, c.User)
		if err := f.ConfirmByTyping(name); err != nil {
			return err
		}
	}
	creds, err := storedCreds(f)
	if err != nil {
		return err
	}
	if err := creds.Delete(ctx, credKey(name, c)); err != nil {
		return err
	}
	wasCurrent := false
	if _, err := f.UpdateConfig(func(cfg *config.Config) error {
		delete(cfg.Contexts, name)
		if cfg.CurrentContext == name {
			cfg.CurrentContext, wasCurrent = "", true
		}
		return nil
	}); err != nil {
		return err
	}
	f.Infof("Deleted context %s", name)
	if wasCurrent {
		f.Infof("No context is current now; choose one with 'forjctl context use NAME'")
	}
	return nil
}
