// Package config reads and writes forjctl's config file: the contexts (server, user, active
// workspace) and which context is current. Viper reads it; writes go through Update, which
// re-reads, changes and atomically replaces the file under a lock, so concurrent invocations
// never lose each other's changes or leave a torn file. Tokens never live here (see
// pkg/credstore).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/fsutil"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

// Environment variables read by DefaultPath, Resolve and StoreMode.
const (
	EnvConfig          = "FORJ_CONFIG"
	EnvContext         = "FORJ_CONTEXT"
	EnvWorkspace       = "FORJ_WORKSPACE"
	EnvServer          = "FORJ_SERVER"
	EnvCredentialStore = "FORJ_CREDENTIAL_STORE"
)

// Credential store settings (the credential-store key).
const (
	StoreAuto    = "auto"
	StoreKeyring = "keyring"
	StoreFile    = "file"
)

// FileMode is the config file's mode: it names servers and users, so it is private.
const FileMode fs.FileMode = 0o600

// CredentialsFile is the name of the plaintext token fallback, kept beside config.yaml.
const CredentialsFile = "credentials.yaml"

// Context is one named connection: where to talk to and as whom. There is deliberately no
// token field: a token never goes into this file (a test asserts it).
type Context struct {
	Server        string `yaml:"server" mapstructure:"server"`
	User          string `yaml:"user,omitempty" mapstructure:"user"`
	Workspace     string `yaml:"workspace,omitempty" mapstructure:"workspace"` // workspace id
	WorkspaceName string `yaml:"workspace-name,omitempty" mapstructure:"workspace-name"`
	Insecure      bool   `yaml:"insecure,omitempty" mapstructure:"insecure"`
}

// Config is the content of the config file.
type Config struct {
	CurrentContext  string             `yaml:"current-context" mapstructure:"current-context"`
	CredentialStore string             `yaml:"credential-store,omitempty" mapstructure:"credential-store"`
	Contexts        map[string]Context `yaml:"contexts" mapstructure:"contexts"`

	path string
}

// DefaultPath is where the config file lives: $FORJ_CONFIG, else
// $XDG_CONFIG_HOME/forjctl/config.yaml, else ~/.config/forjctl/config.yaml.
func DefaultPath(env func(string) string) string {
	if p := env(EnvConfig); p != "" {
		return p
	}
	// The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
	if x := env("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "forjctl", "config.yaml")
	}
	home := env("HOME")
	if home == "" {
		home = env("USERPROFILE") // Windows
	}
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".config", "forjctl", "config.yaml")
}

// keyDelim replaces viper's "." key delimiter: context names are map keys and often contain
// dots (host names), which viper would otherwise split into nested keys.
const keyDelim = "\x00"

// Load reads the config file at path. A missing file is an empty config; a malformed one is
// an error naming the file and, where the parser knows it, the line.
//
// Viper folds keys to lower case, so context names are case-insensitive and come back lower
// case (see ValidateContextName). Environment variables are not merged here: the file's own
// values are what Update writes back, and an env override must never be persisted. Resolve
// and StoreMode apply the env layer.
func Load(path string) (*Config, error) {
	c := &Config{path: path, Contexts: map[string]Context{}}
	v := viper.NewWithOptions(viper.KeyDelimiter(keyDelim))
	v.SetConfigFile(path)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return c, nil
		}
		var perr viper.ConfigParseError
		if errors.As(err, &perr) {
			return nil, malformed(path, perr.Unwrap())
		}
		return nil, fmt.Errorf("read config: %w", err)
	}
	if err := v.Unmarshal(c); err != nil {
		// mapstructure knows the key but not the line; a strict yaml decode of the same bytes
		// usually knows the line.
		return nil, malformed(path, typeError(path, err))
	}
	c.path = path
	if c.Contexts == nil {
		c.Contexts = map[string]Context{}
	}
	c.CurrentContext = strings.ToLower(c.CurrentContext)
	return c, nil
}

// typeError returns yaml's own, line-numbered account of why the file does not fit Config,
// or fallback when yaml finds nothing wrong.
func typeError(path string, fallback error) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fallback
	}
	var probe Config
	if err := yaml.Unmarshal(data, &probe); err != nil {
		return err
	}
	return fallback
}

var yamlErrorPrefix = regexp.MustCompile(`^yaml: (unmarshal errors:\n\s*)?`)

// goTypeNames turns the Go types in yaml's messages into words a user knows.
var goTypeNames = strings.NewReplacer(
	"map[string]interface {}", "a mapping",
	"map[string]config.Context", "a mapping of context names to contexts",
	"config.Context", "a context (a mapping with server, user, ...)",
	"into bool", "into true/false",
)

func malformed(path string, err error) error {
	msg := yamlErrorPrefix.ReplaceAllString(err.Error(), "")
	msg = goTypeNames.Replace(strings.Join(strings.Fields(msg), " "))
	return forj.Errorf(forj.EInvalid, "config file %s is not valid: %s", path, msg).
		WithHint("fix the file by hand, or move it aside and run 'forjctl auth login' again")
}

// Path is the file the config was read from and Update writes to.
func (c *Config) Path() string { return c.path }

// CredentialsPath is the plaintext token fallback file, beside the config file.
func (c *Config) CredentialsPath() string {
	return filepath.Join(filepath.Dir(c.path), CredentialsFile)
}

// ContextNames lists the contexts, sorted.
func (c *Config) ContextNames() []string {
	names := make([]string, 0, len(c.Contexts))
	for n := range c.Contexts {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Marshal renders the config as written to disk.
func (c *Config) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return buf.Bytes(), nil
}

// Update changes the config file at path safely against concurrent invocations: under an
// exclusive lock it re-reads the file, applies fn and atomically replaces the file (mode
// 0600, directory 0700). If fn returns an error nothing is written. It returns the config
// as written.
func Update(path string, fn func(*Config) error) (*Config, error) {
	var out *Config
	err := fsutil.WithLock(path, func() error {
		c, err := Load(path)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		if err := c.validate(); err != nil {
			return err
		}
		data, err := c.Marshal()
		if err != nil {
			return err
		}
		if err := fsutil.WriteFileAtomic(path, data, FileMode); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// validate refuses to write a config that would not read back as written.
func (c *Config) validate() error {
	for name := range c.Contexts {
		if err := ValidateContextName(name); err != nil {
			return err
		}
	}
	if c.CurrentContext != "" {
		if err := ValidateContextName(c.CurrentContext); err != nil {
			return err
		}
	}
	if c.CredentialStore != "" {
		if err := validStore(c.CredentialStore, "credential-store"); err != nil {
			return err
		}
	}
	return nil
}

// ValidateContextName accepts the names a context can be stored under: non-empty, lower case
// (viper reads keys case-insensitively), no white space or control characters.
func ValidateContextName(name string) error {
	bad := func(why string) error {
		return forj.Errorf(forj.EInvalid, "invalid context name %q: %s", name, why).
			WithHint("context names are lower case, without spaces")
	}
	if name == "" {
		return bad("empty")
	}
	if len(name) > 253 {
		return bad("longer than 253 characters")
	}
	for _, r := range name {
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar:
			return bad("contains white space or a control character")
		case unicode.ToLower(r) != r:
			return bad("contains upper case")
		}
	}
	return nil
}

// Overrides are the values given on the command line (--context, -w/--workspace, --server).
type Overrides struct {
	Context, Workspace, Server string
}

// Resolve picks the active context and the values in effect, with precedence
// flag > environment (FORJ_CONTEXT, FORJ_WORKSPACE, FORJ_SERVER) > file > default.
//
// With no context named anywhere and no contexts in the file, a server given by flag or env
// is enough (CI with FORJ_SERVER + FORJ_TOKEN): name is then "". A workspace override may be
// a name or an id; it replaces the context's workspace and clears WorkspaceName so the
// caller resolves it.
func (c *Config) Resolve(flags Overrides, env func(string) string) (name string, ctx Context, err error) {
	name = strings.ToLower(first(flags.Context, env(EnvContext), c.CurrentContext))
	if name != "" {
		var ok bool
		ctx, ok = c.Contexts[name]
		if !ok {
			return "", Context{}, c.unknownContext(name)
		}
	}
	if ws := first(flags.Workspace, env(EnvWorkspace)); ws != "" {
		ctx.Workspace, ctx.WorkspaceName = ws, ""
	}
	ctx.Server = first(flags.Server, env(EnvServer), ctx.Server)
	if ctx.Server == "" && name != "" {
		return "", Context{}, forj.Errorf(forj.EInvalid, "context %q in %s has no server", name, c.path).
			WithHint("log in again with 'forjctl auth login --server URL'")
	}
	if ctx.Server == "" {
		e := forj.Errorf(forj.EUnauthenticated, "no current context")
		if len(c.Contexts) > 0 {
			return "", Context{}, e.WithHint("choose one with 'forjctl context use NAME' (known: %s)",
				strings.Join(c.ContextNames(), ", "))
		}
		return "", Context{}, e.WithHint("run 'forjctl auth login --server URL', or set %s and FORJ_TOKEN", EnvServer)
	}
	return name, ctx, nil
}

func (c *Config) unknownContext(name string) error {
	e := forj.Errorf(forj.ENotFound, "context %q not found in %s", name, c.path)
	if len(c.Contexts) == 0 {
		return e.WithHint("there are no contexts yet: run 'forjctl auth login --server URL'")
	}
	return e.WithHint("known contexts: %s (see 'forjctl context list')", strings.Join(c.ContextNames(), ", "))
}

// StoreMode is the credential store setting in effect: FORJ_CREDENTIAL_STORE > file > auto.
// (--insecure-storage, a flag, wins over both and is the caller's business.)
func (c *Config) StoreMode(env func(string) string) (string, error) {
	if m := env(EnvCredentialStore); m != "" {
		return m, validStore(m, EnvCredentialStore)
	}
	if c.CredentialStore != "" {
		return c.CredentialStore, validStore(c.CredentialStore, "credential-store in "+c.path)
	}
	return StoreAuto, nil
}

func validStore(mode, where string) error {
	switch mode {
	case StoreAuto, StoreKeyring, StoreFile:
		return nil
	}
	return forj.Errorf(forj.EInvalid, "%s: unknown credential store %q", where, mode).
		WithHint("use one of: auto, keyring, file")
}

// first returns the first non-empty value.
func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
