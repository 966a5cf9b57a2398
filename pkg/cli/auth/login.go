package auth

import (
	"context"
	"net/url"
	"strings"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/config"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/spf13/cobra"
)

// LoginOptions are the inputs of 'auth login'.
type LoginOptions struct {
	Factory *cmdutil.Factory

	Server          string
	ContextName     string // --context, else derived from the server
	WithToken       bool
	Email           string
	PasswordStdin   bool
	Invite          string
	InsecureStorage bool
	Insecure        bool
}

// NewCmdLogin is 'auth login'. runF, when not nil, replaces the run step (tests of flag parsing).
func NewCmdLogin(f *cmdutil.Factory, runF func(*LoginOptions) error) *cobra.Command {
	opts := &LoginOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in to a forj server and store the token",
		Long: `Log in to a forj server, check the credentials, store the token in the OS keyring
(or a 0600 file beside the config when there is no usable keyring, or with
--insecure-storage) and make the context current.

The context is named by --context, else after the server's host and port.
A token is read from standard input with --with-token, never from the command line.
With --email the password is asked on a terminal, or read from standard input with
--password-stdin; an invited user adds --invite CODE and chooses a password.`,
		Example: `  forjctl auth login --server https://forj.example.com --email me@example.com
  echo "$TOKEN" | forjctl auth login --server http://127.0.0.1:8420 --with-token
  forjctl auth login --server https://forj.example.com --email new@example.com --invite CODE`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ContextName = f.Flags.Context
			opts.Insecure = f.Flags.Insecure
			if err := opts.Complete(); err != nil {
				return err
			}
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return opts.Run(cmd.Context())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Server, "server", "", "`URL` of the forj server (env FORJ_SERVER)")
	fl.BoolVar(&opts.WithToken, "with-token", false, "read a token from standard input")
	fl.StringVar(&opts.Email, "email", "", "log in with this `email` and a password")
	fl.BoolVar(&opts.PasswordStdin, "password-stdin", false, "read the password from standard input")
	fl.StringVar(&opts.Invite, "invite", "", "accept an invitation with this `code` and set a password")
	fl.BoolVar(&opts.InsecureStorage, "insecure-storage", false, "store the token in a 0600 file instead of the OS keyring")
	return cmd
}

// Complete fills in the server (flag > FORJ_SERVER > the named or current context) and the
// context name.
func (o *LoginOptions) Complete() error {
	f := o.Factory
	if o.Server == "" {
		o.Server = f.Getenv(config.EnvServer)
	}
	if o.Server == "" {
		cfg, err := f.Config()
		if err != nil {
			return err
		}
		name := strings.ToLower(o.ContextName)
		if name == "" {
			name = cfg.CurrentContext
		}
		if c, ok := cfg.Contexts[name]; ok {
			o.Server = c.Server
			o.ContextName = name
			o.Insecure = o.Insecure || c.Insecure
		}
	}
	if o.Server == "" && f.CanPrompt() {
		s, err := f.IOStreams.Prompt("Server URL: ")
		if err != nil {
			return err
		}
		o.Server = strings.TrimSpace(s)
	}
	if o.Server == "" {
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "no server to log in to").
			WithHint("pass --server URL, e.g. --server http://127.0.0.1:8420")}
	}
	if o.ContextName == "" {
		o.ContextName = ContextNameFor(o.Server)
	}
	o.ContextName = strings.ToLower(o.ContextName)
	return nil
}

// Validate rejects contradictory flags before anything is read or sent.
func (o *LoginOptions) Validate() error {
	if err := config.ValidateContextName(o.ContextName); err != nil {
		return &cmdutil.FlagError{Err: err}
	}
	switch {
	case o.WithToken && (o.Email != "" || o.Invite != "" || o.PasswordStdin):
		return cmdutil.FlagErrorf("--with-token cannot be combined with --email, --invite or --password-stdin")
	case o.Invite != "" && o.Email == "":
		return cmdutil.FlagErrorf("--invite needs --email")
	case o.PasswordStdin && o.Email == "":
		return cmdutil.FlagErrorf("--password-stdin needs --email")
	case !o.WithToken && o.Email == "" && !o.Factory.CanPrompt():
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "nothing to log in with").
			WithHint("pipe a token into --with-token, or pass --email with --password-stdin")}
	}
	return nil
}

// Run logs in: gets a token, checks it with the server, stores it and writes the context.
func (o *LoginOptions) Run(ctx context.Context) error {
	f := o.Factory
	ios := f.IOStreams
	if o.InsecureStorage {
		f.Flags.InsecureStorage = true
	}
	anon, err := f.NewClient(o.Server, "", o.Insecure)
	if err != nil {
		return err
	}
	server := anon.BaseURL()

	var token string
	switch {
	case o.WithToken:
		if token, err = readSecretLine(ios.In, "token"); err != nil {
			return err
		}
	default:
		if o.Email == "" {
			// Only reached on a terminal (Validate): ask.
			if o.Email, err = ios.Prompt("Email: "); err != nil {
				return noPrompt(err, "pass --email")
			}
		}
		password, err := o.password()
		if err != nil {
			return err
		}
		resp, err := anon.Login(ctx, forj.LoginRequest{
			Email: o.Email, Password: password, InviteCode: o.Invite, TokenName: "forjctl " + o.ContextName,
		})
		if err != nil {
			return err
		}
		token = resp.Secret
	}

	c, err := f.NewClient(server, token, o.Insecure)
	if err != nil {
		return err
	}
	me, err := c.Me(ctx)
	if err != nil {
		return tokenRejected(err, server)
	}

	creds, err := f.Creds()
	if err != nil {
		return err
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	newCtx := config.Context{Server: server, User: me.User.Email, Insecure: o.Insecure}
	old, existed := cfg.Contexts[o.ContextName]
	if existed && strings.TrimRight(old.Server, "/") == server && old.User == newCtx.User {
		newCtx.Workspace, newCtx.WorkspaceName = old.Workspace, old.WorkspaceName
	}
	key := cmdutil.CredentialKey(&cmdutil.Resolved{Name: o.ContextName, Context: newCtx})
	src, err := creds.Set(ctx, key, token)
	if err != nil {
		return err
	}
	if _, err := f.UpdateConfig(func(cfg *config.Config) error {
		if cfg.Contexts == nil {
			cfg.Contexts = map[string]config.Context{}
		}
		cfg.Contexts[o.ContextName] = newCtx
		cfg.CurrentContext = o.ContextName
		return nil
	}); err != nil {
		return err
	}
	if existed {
		// The context now points elsewhere: the old token is no longer reachable by any key.
		oldKey := cmdutil.CredentialKey(&cmdutil.Resolved{Name: o.ContextName, Context: old})
		if oldKey != key {
			_ = creds.Delete(ctx, oldKey)
		}
	}
	cs := ios.ErrColorScheme()
	f.Infof("%s Logged in to %s as %s (context %s); token stored in %s",
		cs.Green("✓"), server, cs.Bold(me.User.Email), o.ContextName, src)
	return nil
}

// password gets the password from stdin or a prompt. An invited user chooses one, typed twice.
func (o *LoginOptions) password() (string, error) {
	ios := o.Factory.IOStreams
	if o.PasswordStdin {
		return readSecretLine(ios.In, "password")
	}
	if !o.Factory.CanPrompt() {
		return "", &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "cannot ask for the password: not a terminal").
			WithHint("pipe it into --password-stdin")}
	}
	if o.Invite == "" {
		p, err := ios.PromptSecret("Password: ")
		return p, noPrompt(err, "use --password-stdin")
	}
	p, err := ios.PromptSecret("Choose a password: ")
	if err != nil {
		return "", noPrompt(err, "use --password-stdin")
	}
	again, err := ios.PromptSecret("Type it again: ")
	if err != nil {
		return "", noPrompt(err, "use --password-stdin")
	}
	if p != again {
		return "", cmdutil.FlagErrorf("the two passwords differ")
	}
	return p, nil
}

// tokenRejected explains a failed check of a token: an unauthenticated answer means the
// token is wrong, revoked or expired.
func tokenRejected(err error, server string) error {
	if forj.ErrorCode(err) == forj.EUnauthenticated {
		return forj.Errorf(forj.EUnauthenticated, "%s did not accept the token", server).
			WithHint("check that it is complete and not revoked or expired, or log in with --email")
	}
	return err
}

// ContextNameFor derives a context name from a server URL: its host and port, lower case,
// with every character other than a letter or a digit made a dash ("127-0-0-1-8420").
func ContextNameFor(server string) string {
	host := server
	if u, err := url.Parse(server); err == nil && u.Host != "" {
		host = u.Host
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(host) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.TrimRight(b.String(), "-")
	if name == "" {
		return "default"
	}
	return name
}
