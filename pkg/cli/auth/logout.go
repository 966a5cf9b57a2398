package auth

import (
	"context"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/credstore"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/spf13/cobra"
)

// LogoutOptions are the inputs of 'auth logout'.
type LogoutOptions struct {
	Factory *cmdutil.Factory
}

// NewCmdLogout is 'auth logout'.
func NewCmdLogout(f *cmdutil.Factory, runF func(*LogoutOptions) error) *cobra.Command {
	opts := &LogoutOptions{Factory: f}
	return &cobra.Command{
		Use:   "logout",
		Short: "Revoke the context's token and remove it from this machine",
		Long: `Revoke the token of the context in effect on the server and delete it from the
credential store. The context itself stays (see 'forjctl context delete').`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return opts.Run(cmd.Context())
		},
	}
}

// Validate refuses to log out a token this command did not store.
func (o *LogoutOptions) Validate() error {
	if o.Factory.Getenv(credstore.EnvToken) != "" {
		return forj.Errorf(forj.EInvalid, "cannot log out: the token comes from %s", credstore.EnvToken).
			WithHint("unset %s; to revoke that token, use 'forjctl api DELETE /api/v1/auth/tokens/current' before unsetting it", credstore.EnvToken)
	}
	return nil
}

// Run revokes the token (best effort when the server is unreachable) and forgets it.
func (o *LogoutOptions) Run(ctx context.Context) error {
	f := o.Factory
	r, err := f.Resolve()
	if err != nil {
		return err
	}
	tok, _, err := f.Token(ctx, r)
	if err != nil {
		return err
	}
	c, err := f.NewClient(r.Context.Server, tok, r.Context.Insecure)
	if err != nil {
		return err
	}
	revokeErr := c.RevokeToken(ctx, client.CurrentToken)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	creds, err := f.Creds()
	if err != nil {
		return err
	}
	if err := creds.Delete(ctx, cmdutil.CredentialKey(r)); err != nil {
		return err
	}
	switch {
	case revokeErr == nil:
	case forj.ErrorCode(revokeErr) == forj.EUnauthenticated:
		// Already revoked or expired: nothing left to do on the server.
	default:
		f.Infof("Warning: could not revoke the token on %s (%s); it was removed from this machine only.",
			r.Context.Server, revokeErr)
	}
	f.Infof("Logged out of %s (context %s)", r.Context.Server, r.Name)
	return nil
}
