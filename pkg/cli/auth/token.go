package auth

import (
	"context"
	"fmt"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/spf13/cobra"
)

// TokenOptions are the inputs of 'auth token'.
type TokenOptions struct {
	Factory *cmdutil.Factory
}

// NewCmdToken is 'auth token'.
func NewCmdToken(f *cmdutil.Factory, runF func(*TokenOptions) error) *cobra.Command {
	opts := &TokenOptions{Factory: f}
	return &cobra.Command{
		Use:     "token",
		Short:   "Print the context's token on standard output, for scripts",
		Example: `  curl -H "Authorization: Bearer $(forjctl auth token)" http://127.0.0.1:8420/api/v1/auth/me`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return opts.Run(cmd.Context())
		},
	}
}

// Run prints the token.
func (o *TokenOptions) Run(ctx context.Context) error {
	f := o.Factory
	r, err := f.Resolve()
	if err != nil {
		return err
	}
	tok, _, err := f.Token(ctx, r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f.IOStreams.Out, tok)
	return err
}
