// Package dev is 'forjctl dev': a local forj platform in-process, with a 'dev' context that
// points at it, for a first look and for demos.
package dev

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/config"
	"github.com/forjinn/forjctl/pkg/credstore"
	"github.com/forjinn/forjctl/pkg/daemon"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/server"
	"github.com/spf13/cobra"
)

// Defaults of 'forjctl dev'.
const (
	DefaultListen = "127.0.0.1:8420"
	ContextName   = "dev"
	OwnerEmail    = "admin@localhost"
)

// Options are the inputs of 'dev'.
type Options struct {
	Factory *cmdutil.Factory
	Listen  string
	DBPath  string
}

// NewCmdDev is 'dev'.
func NewCmdDev(f *cmdutil.Factory) *cobra.Command {
	return NewCmdDevWith(f, nil)
}

// NewCmdDevWith is NewCmdDev with a run step to replace (tests of flag parsing).
func NewCmdDevWith(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a local forj platform and point a 'dev' context at it",
		Long: `Run forjd in this process, on a SQLite database under $XDG_DATA_HOME/forjctl/, until
interrupted. On first start it creates the owner (` + OwnerEmail + `); every start makes the
'dev' context current and keeps the owner's token in the credential store, so a second
run reuses the same database and token.`,
		Example: `  forjctl dev &
  forjctl workspace create demo
  forjctl workspace list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Complete()
			if runF != nil {
				return runF(opts)
			}
			return opts.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&opts.Listen, "listen", DefaultListen, "`address` to serve on (port 0 picks a free one)")
	cmd.Flags().StringVar(&opts.DBPath, "db", "", "SQLite database `file` (default $XDG_DATA_HOME/forjctl/dev.db)")
	return cmd
}

// Complete fills in the database path.
func (o *Options) Complete() {
	if o.DBPath != "" {
		return
	}
	data := o.Factory.Getenv("XDG_DATA_HOME")
	if data == "" {
		data = filepath.Join(o.Factory.Getenv("HOME"), ".local", "share")
	}
	o.DBPath = filepath.Join(data, "forjctl", "dev.db")
}

// Run serves until ctx is cancelled, then stops gracefully.
func (o *Options) Run(ctx context.Context) error {
	f := o.Factory
	d, err := daemon.Start(ctx, daemon.Config{Listen: o.Listen, DBPath: o.DBPath, OwnerEmail: OwnerEmail})
	if err != nil {
		e := forj.Errorf(forj.EInternal, "cannot start the local server: %v", err)
		if strings.Contains(err.Error(), "address already in use") {
			e = e.WithHint("is another 'forjctl dev' running? Or pick another address: --listen 127.0.0.1:0")
		}
		return e
	}
	defer d.Close()

	src, err := o.login(ctx, d)
	if err != nil {
		return err
	}
	f.Infof("forjd is running at %s (database %s)", d.URL(), o.DBPath)
	f.Infof("Context %s is current, logged in as %s; token stored in %s", ContextName, OwnerEmail, src)
	f.Infof("\nTry:\n  forjctl auth status\n  forjctl workspace create demo\n  forjctl workspace list\n  forjctl api GET /api/v1/auth/me\n")
	f.Infof("Press Ctrl+C to stop.")

	select {
	case <-ctx.Done():
		f.Infof("Stopping…")
		return d.Close()
	case err := <-d.Err():
		return err
	}
}

// login finds a working owner token (the first start's, else the stored one, else a new
// one minted in the store), stores it and writes the 'dev' context.
func (o *Options) login(ctx context.Context, d *daemon.Daemon) (credstore.Source, error) {
	f := o.Factory
	// The token in FORJ_TOKEN is not the dev server's: read and write the stored one.
	getenv := f.Getenv
	f.Getenv = func(k string) string {
		if k == credstore.EnvToken {
			return ""
		}
		return getenv(k)
	}
	creds, err := f.Creds()
	if err != nil {
		return credstore.Source{}, err
	}
	cfg, err := f.Config()
	if err != nil {
		return credstore.Source{}, err
	}
	old, hadOld := cfg.Contexts[ContextName]
	var oldKey string
	if hadOld {
		oldKey = cmdutil.CredentialKey(&cmdutil.Resolved{Name: ContextName, Context: old})
	}

	token := ""
	if created, tok := d.Bootstrapped(); created {
		token = tok
	} else if hadOld {
		// The port may differ from the last run: the stored token is the one under the old
		// context's key, and it is good if this server accepts it as the owner.
		if tok, _, err := creds.Get(ctx, oldKey); err == nil && o.isOwner(ctx, d.URL(), tok) {
			token = tok
		}
	}
	if token == "" {
		if token, err = mintOwnerToken(ctx, d); err != nil {
			return credstore.Source{}, err
		}
	}

	newCtx := config.Context{Server: d.URL(), User: OwnerEmail}
	if hadOld && old.User == newCtx.User {
		newCtx.Workspace, newCtx.WorkspaceName = old.Workspace, old.WorkspaceName
	}
	key := cmdutil.CredentialKey(&cmdutil.Resolved{Name: ContextName, Context: newCtx})
	src, err := creds.Set(ctx, key, token)
	if err != nil {
		return src, err
	}
	if _, err := f.UpdateConfig(func(cfg *config.Config) error {
		if cfg.Contexts == nil {
			cfg.Contexts = map[string]config.Context{}
		}
		cfg.Contexts[ContextName] = newCtx
		cfg.CurrentContext = ContextName
		return nil
	}); err != nil {
		return src, err
	}
	if hadOld && oldKey != key {
		_ = creds.Delete(ctx, oldKey)
	}
	return src, nil
}

func (o *Options) isOwner(ctx context.Context, url, token string) bool {
	c, err := o.Factory.NewClient(url, token, false)
	if err != nil {
		return false
	}
	me, err := c.Me(ctx)
	return err == nil && me.User.Email == OwnerEmail && me.User.GlobalRole == forj.GlobalOwner
}

// mintOwnerToken makes a new personal access token for the owner directly in the store:
// the stored token is lost or revoked, and nobody else can log the owner in without a
// password. It is audited like any token creation.
func mintOwnerToken(ctx context.Context, d *daemon.Daemon) (string, error) {
	id, secret := forj.NewID(forj.PrefixToken), forj.NewTokenSecret()
	err := d.Store().Update(ctx, func(tx forj.Tx) error {
		u, err := tx.GetUserByEmail(OwnerEmail)
		if forj.IsNotFound(err) {
			return forj.Errorf(forj.ENotFound, "the database has no user %s to log in as", OwnerEmail).
				WithHint("use another --db, or log in with 'forjctl auth login'")
		}
		if err != nil {
			return err
		}
		if u.GlobalRole != forj.GlobalOwner || u.Status != forj.UserActive {
			return forj.Errorf(forj.EForbidden, "%s is not an active owner in this database", OwnerEmail)
		}
		t := &forj.Token{
			ID: id, Kind: forj.TokenPAT, Name: "forjctl dev", UserID: u.ID, Scopes: []string{},
			Prefix: forj.TokenDisplayPrefix(forj.TokenPAT, id), SecretHash: server.HashSecret(d.Pepper(), secret),
		}
		if err := tx.CreateToken(t); err != nil {
			return err
		}
		changes, _ := json.Marshal(map[string]string{"token": t.Prefix, "tokenName": t.Name, "via": "forjctl dev"})
		return tx.AppendAudit(&forj.AuditEvent{
			ActorType: forj.ActorUser, ActorID: u.ID, ActorEmail: u.Email, Action: "token.create",
			TargetType: "token", TargetID: t.ID, Result: forj.ResultSuccess, Changes: changes,
		})
	})
	if err != nil {
		var fe *forj.Error
		if errors.As(err, &fe) {
			return "", err
		}
		return "", fmt.Errorf("mint an owner token: %w", err)
	}
	return forj.FormatToken(forj.TokenPAT, id, secret), nil
}
