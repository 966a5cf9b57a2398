package key

import (
	"fmt"
	"time"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/spf13/cobra"
)

// RotateOptions are the inputs of 'key rotate'.
type RotateOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	Key   string
	Grace string
}

// NewCmdRotate builds 'key rotate'.
func NewCmdRotate(f *cmdutil.Factory, runF func(*RotateOptions) error) *cobra.Command {
	opts := &RotateOptions{F: f}
	cmd := &cobra.Command{
		Use:   "rotate KEY [--grace 24h]",
		Short: "Replace an API key by a new one; the old one works for a grace period",
		Long: `Replace an API key (by name or id) with a new key of the same name and scopes. The old
key keeps working for --grace (default 24h) so that its users can switch; --grace 0 revokes
it at once.

The new key is printed once, alone on stdout; with -o json the whole answer (the new key's
record, its secret, the replaced key's id and when it stops working).`,
		Example: `  forjctl key rotate ci-deploy --grace 1h
  NEW=$(forjctl key rotate ci-deploy -o json --jq .secret)`,
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
	cmd.Flags().StringVar(&opts.Grace, "grace", "24h", "how long the old key stays valid (0 = revoke it at once)")
	return cmd
}

// Validate checks the grace period before any request.
func (o *RotateOptions) Validate() error {
	_, err := parseDuration("grace", o.Grace)
	return err
}

// Run resolves and rotates the key and prints the new secret once.
func (o *RotateOptions) Run() error {
	ctx := o.Cmd.Context()
	c, w, err := o.F.WorkspaceClient(ctx)
	if err != nil {
		return err
	}
	k, err := resolve(ctx, c, w.ID, o.Key, o.F.IOStreams.Now())
	if err != nil {
		return err
	}
	res, err := c.RotateKey(ctx, w.ID, k.ID, forj.RotateKeyRequest{Grace: o.Grace})
	if err != nil {
		return err
	}
	old := "the old key is revoked"
	if res.OldValidUntil.After(o.F.IOStreams.Now()) {
		old = fmt.Sprintf("the old key (%s) works until %s", k.Prefix, res.OldValidUntil.Local().Format(time.RFC3339))
	}
	done := fmt.Sprintf("Rotated key %s in workspace %s: new key %s; %s", res.Token.Name, w.Name, res.Token.Prefix, old)
	return printSecret(o.F, res, res.TokenResponse, done)
}
