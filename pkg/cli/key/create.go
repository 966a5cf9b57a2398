package key

import (
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/spf13/cobra"
)

// CreateOptions are the inputs of 'key create'.
type CreateOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	Name    string
	Scopes  []string
	Expires string
}

// NewCmdCreate builds 'key create'.
func NewCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{F: f}
	cmd := &cobra.Command{
		Use:   "create NAME [--scope PERMISSION]... [--expires 90d]",
		Short: "Create an API key; its secret is printed once",
		Long: `Create an API key for the workspace. Its scopes are permissions (see 'forjctl role
get admin'); by default all of yours, and never more than yours: the key is re-checked
against its creator's permissions on every request.

The key is printed once, alone on stdout, so that a script can capture it; with -o json the
whole answer (the key's record and its secret).`,
		Example: `  forjctl key create ci-deploy --scope workspace.read --scope asset.write --expires 90d
  FORJ_KEY=$(forjctl key create ci-deploy -q)`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Name = cmd, args[0]
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
	cmd.Flags().StringArrayVar(&opts.Scopes, "scope", nil, "a permission the key may use (repeatable; default: all of yours)")
	cmd.Flags().StringVar(&opts.Expires, "expires", "", "expire after this long (90d, 12h; default never)")
	return cmd
}

// Validate checks the name and the expiry before any request.
func (o *CreateOptions) Validate() error {
	if err := forj.ValidateTokenName(o.Name); err != nil {
		return &cmdutil.FlagError{Err: err}
	}
	if o.Expires != "" {
		d, err := parseDuration("expires", o.Expires)
		if err != nil {
			return err
		}
		if d == 0 {
			return cmdutil.FlagErrorf("--expires must be longer than 0; leave it out for a key that never expires")
		}
	}
	return nil
}

// Run creates the key and prints its secret once.
func (o *CreateOptions) Run() error {
	ctx := o.Cmd.Context()
	c, w, err := o.F.WorkspaceClient(ctx)
	if err != nil {
		return err
	}
	res, err := c.CreateKey(ctx, w.ID, forj.CreateKeyRequest{Name: o.Name, Scopes: o.Scopes, ExpiresIn: o.Expires})
	if err != nil {
		return err
	}
	return printSecret(o.F, res, *res, "Created key "+res.Token.Name+" ("+res.Token.Prefix+") in workspace "+w.Name)
}
