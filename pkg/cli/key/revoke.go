package key

import (
	"fmt"
	"strings"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// RevokeOptions are the inputs of 'key revoke'.
type RevokeOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	Key    string
	Reason string
	Yes    bool
}

// NewCmdRevoke builds 'key revoke'.
func NewCmdRevoke(f *cmdutil.Factory, runF func(*RevokeOptions) error) *cobra.Command {
	opts := &RevokeOptions{F: f}
	cmd := &cobra.Command{
		Use:   "revoke KEY [--reason R] [--yes]",
		Short: "Revoke an API key at once",
		Long: `Revoke an API key (by name or id): the very next request made with it is refused. On a
terminal you confirm by typing the key's name; in scripts pass --yes. The reason, if given,
is recorded in the audit trail.`,
		Example:           "  forjctl key revoke ci-deploy --reason 'leaked in a build log' --yes",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: complete.FirstArg(complete.Keys(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Key = cmd, args[0]
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why, for the audit trail")
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// Validate refuses to go on when nobody can confirm and --yes was not given.
func (o *RevokeOptions) Validate() error {
	if strings.TrimSpace(o.Key) == "" {
		return cmdutil.FlagErrorf("no key given")
	}
	return o.F.RequireConfirmable(o.Yes, "revoking a key")
}

// Run resolves, confirms and revokes.
func (o *RevokeOptions) Run() error {
	ctx := o.Cmd.Context()
	c, w, err := o.F.WorkspaceClient(ctx)
	if err != nil {
		return err
	}
	k, err := resolve(ctx, c, w.ID, o.Key, o.F.IOStreams.Now())
	if err != nil {
		return err
	}
	if !o.Yes {
		fmt.Fprintf(o.F.IOStreams.ErrOut, "This revokes key %s (%s) of workspace %s: whatever uses it stops working at once.\n", k.Name, k.Prefix, w.Name)
		if err := o.F.ConfirmByTyping(k.Name); err != nil {
			return err
		}
	}
	if err := c.RevokeKey(ctx, w.ID, k.ID, o.Reason); err != nil {
		return err
	}
	if o.F.ExplicitFormat() {
		now := o.F.IOStreams.Now()
		k.RevokedAt = &now
		return printer.Print(o.F.IOStreams, o.F.PrintOptions(), k, keyTable(now))
	}
	cs := o.F.IOStreams.ErrColorScheme()
	o.F.Infof("%s Revoked key %s (%s) in workspace %s", cs.Green("✓"), k.Name, k.Prefix, w.Name)
	return nil
}
