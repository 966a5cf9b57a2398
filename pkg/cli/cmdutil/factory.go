package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/config"
	"github.com/forjinn/forjctl/pkg/credstore"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/iostreams"
	"github.com/forjinn/forjctl/pkg/printer"
)

// GlobalFlags are the root command's persistent flags (design §6).
type GlobalFlags struct {
	Context         string
	Workspace       string
	Output          string
	JQ              string
	Template        string
	NoColor         bool
	NoInput         bool
	Quiet           bool
	Debug           bool
	ConfigPath      string
	Insecure        bool
	InsecureStorage bool
}

// Factory carries the dependencies a command may need. Expensive ones are built lazily and
// once per invocation; a fresh Factory (and command tree) is made for every Main call, so
// there is no state shared between invocations or tests.
type Factory struct {
	IOStreams *iostreams.IOStreams
	Getenv    func(string) string
	Version   string
	Flags     GlobalFlags

	// KeyringTimeout bounds every keyring call (a locked Secret Service can wait forever).
	KeyringTimeout time.Duration
	// Keyring overrides the OS keyring (nil: the real one). Commands never set it.
	Keyring credstore.Keyring

	configOnce sync.Once
	config     *config.Config
	configErr  error
	credsOnce  sync.Once
	creds      *credstore.Store
	credsErr   error
}

// ConfigPath is where the config file is: --config > FORJ_CONFIG > XDG default.
func (f *Factory) ConfigPath() string {
	if f.Flags.ConfigPath != "" {
		return f.Flags.ConfigPath
	}
	return config.DefaultPath(f.Getenv)
}

// Config loads the config file once.
func (f *Factory) Config() (*config.Config, error) {
	f.configOnce.Do(func() { f.config, f.configErr = config.Load(f.ConfigPath()) })
	return f.config, f.configErr
}

// UpdateConfig changes the config file atomically under its lock.
func (f *Factory) UpdateConfig(fn func(*config.Config) error) (*config.Config, error) {
	c, err := config.Update(f.ConfigPath(), fn)
	if err == nil {
		f.config, f.configErr = c, nil
	}
	return c, err
}

// Creds returns the credential store configured by --insecure-storage, FORJ_CREDENTIAL_STORE
// and the config's credential-store setting.
func (f *Factory) Creds() (*credstore.Store, error) {
	f.credsOnce.Do(func() {
		cfg, err := f.Config()
		if err != nil {
			f.credsErr = err
			return
		}
		mode, err := cfg.StoreMode(f.Getenv)
		if err != nil {
			f.credsErr = err
			return
		}
		if f.Flags.InsecureStorage {
			mode = config.StoreFile
		}
		f.creds = credstore.New(credstore.Options{
			Mode:     mode,
			FilePath: filepath.Join(filepath.Dir(f.ConfigPath()), config.CredentialsFile),
			Timeout:  f.KeyringTimeout,
			Keyring:  f.Keyring,
			Env:      f.Getenv,
			Warn:     f.IOStreams.ErrOut,
		})
	})
	return f.creds, f.credsErr
}

// CredentialKey names a resolved context's token in the credential store.
func CredentialKey(r *Resolved) string {
	return credstore.Key(r.Name, strings.TrimRight(r.Context.Server, "/"), r.Context.User)
}

// Resolved is the context in effect for this invocation.
type Resolved struct {
	Name    string // "" when only FORJ_SERVER/FORJ_TOKEN are set
	Context config.Context
}

// Resolve applies flag > env > config precedence to pick the context in effect.
func (f *Factory) Resolve() (*Resolved, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	name, ctx, err := cfg.Resolve(config.Overrides{Context: f.Flags.Context, Workspace: f.Flags.Workspace}, f.Getenv)
	if err != nil {
		return nil, err
	}
	return &Resolved{Name: name, Context: ctx}, nil
}

// Token finds the token for a context: FORJ_TOKEN, then the credential store.
func (f *Factory) Token(ctx context.Context, r *Resolved) (string, credstore.Source, error) {
	creds, err := f.Creds()
	if err != nil {
		return "", credstore.Source{}, err
	}
	tok, src, err := creds.Get(ctx, CredentialKey(r))
	if errors.Is(err, credstore.ErrNotFound) || (err == nil && tok == "") {
		e := forj.Errorf(forj.EUnauthenticated, "not logged in to %s", r.Context.Server)
		return "", src, e.WithHint("run 'forjctl auth login --server %s', or set FORJ_TOKEN", r.Context.Server)
	}
	return tok, src, err
}

// NewClient builds an API client for a server and token with this invocation's settings.
func (f *Factory) NewClient(server, token string, insecure bool) (*client.Client, error) {
	var debug io.Writer
	if f.Flags.Debug {
		debug = f.IOStreams.ErrOut
	}
	return client.New(client.Options{
		BaseURL:   server,
		Token:     token,
		UserAgent: "forjctl/" + f.Version,
		Insecure:  insecure || f.Flags.Insecure,
		Debug:     debug,
	})
}

// Client is the API client of the context in effect, authenticated.
func (f *Factory) Client(ctx context.Context) (*client.Client, *Resolved, error) {
	r, err := f.Resolve()
	if err != nil {
		return nil, nil, err
	}
	tok, _, err := f.Token(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	c, err := f.NewClient(r.Context.Server, tok, r.Context.Insecure)
	return c, r, err
}

// Workspace resolves the workspace a command acts on: -w/FORJ_WORKSPACE (name or id), else
// the context's active workspace.
func (f *Factory) Workspace(ctx context.Context, c *client.Client, r *Resolved) (*forj.Workspace, error) {
	ref := r.Context.Workspace
	if ref == "" {
		e := forj.Errorf(forj.EInvalid, "no workspace selected")
		return nil, e.WithHint("pass -w WORKSPACE, set FORJ_WORKSPACE, or run 'forjctl workspace switch NAME'")
	}
	return c.ResolveWorkspace(ctx, ref)
}

// PrintOptions are the output flags of this invocation.
func (f *Factory) PrintOptions() printer.Options {
	return printer.Options{Format: printer.Format(f.Flags.Output), JQ: f.Flags.JQ, Template: f.Flags.Template}
}

// JSONOutput reports whether output is machine-readable JSON (errors then go out as JSON too).
func (f *Factory) JSONOutput() bool {
	return f.Flags.Output == string(printer.FormatJSON) || f.Flags.JQ != ""
}

// CanPrompt reports whether the command may ask the user something.
func (f *Factory) CanPrompt() bool {
	return !f.Flags.NoInput && f.Getenv("CI") == "" && f.IOStreams.CanPrompt()
}

// Infof writes a status line on stderr unless --quiet.
func (f *Factory) Infof(format string, args ...any) {
	if !f.Flags.Quiet {
		fmt.Fprintf(f.IOStreams.ErrOut, format+"\n", args...)
	}
}

// ExplicitFormat reports whether the user asked for a machine format (-o other than table,
// --jq, --template): then a command that changes something prints the resulting object
// instead of a status line.
func (f *Factory) ExplicitFormat() bool {
	o := f.Flags.Output
	return (o != "" && o != string(printer.FormatTable)) || f.Flags.JQ != "" || f.Flags.Template != ""
}

// WorkspaceClient is the client of the context in effect and the workspace a command acts on.
func (f *Factory) WorkspaceClient(ctx context.Context) (*client.Client, *forj.Workspace, error) {
	c, r, err := f.Client(ctx)
	if err != nil {
		return nil, nil, err
	}
	w, err := f.Workspace(ctx, c, r)
	if err != nil {
		return nil, nil, err
	}
	return c, w, nil
}
