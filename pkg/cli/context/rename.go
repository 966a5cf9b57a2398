package contextcmd

import (
	"context"
	"errors"
	"strings"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/config"
	"github.com/forjinn/forjctl/pkg/credstore"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/spf13/cobra"
)

// RenameOptions are the inputs of 'context rename'.
type RenameOptions struct {
	Factory  *cmdutil.Factory
	Old, New string
}

// NewCmdRename is 'context rename'.
func NewCmdRename(f *cmdutil.Factory, runF func(*RenameOptions) error) *cobra.Command {
	opts := &RenameOptions{Factory: f}
	return &cobra.Command{
		Use:               "rename OLD NEW",
		Short:             "Rename a context; its stored token moves with it",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: CompleteContextNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Old, opts.New = strings.ToLower(args[0]), args[1]
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

// Validate checks the new name.
func (o *RenameOptions) Validate() error {
	if err := config.ValidateContextName(o.New); err != nil {
		return &cmdutil.FlagError{Err: err}
	}
	return nil
}

// Run copies the token to the new key, renames the context in the config, then drops the
// old key: a failure on the way leaves the old context working.
func (o *RenameOptions) Run(ctx context.Context) error {
	f := o.Factory
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	_, c, err := lookup(cfg, o.Old)
	if err != nil {
		return err
	}
	if o.New == o.Old {
		return nil
	}
	if _, taken := cfg.Contexts[o.New]; taken {
		return exists(o.New)
	}
	creds, err := storedCreds(f)
	if err != nil {
		return err
	}
	oldKey, newKey := credKey(o.Old, c), credKey(o.New, c)
	tok, _, err := creds.Get(ctx, oldKey)
	switch {
	case errors.Is(err, credstore.ErrNotFound):
		tok = "" // a context without a stored token (logged out) renames all the same
	case err != nil:
		return err
	default:
		if _, err := creds.Set(ctx, newKey, tok); err != nil {
			return err
		}
	}
	_, err = f.UpdateConfig(func(cfg *config.Config) error {
		cur, ok := cfg.Contexts[o.Old]
		if !ok {
			return unknownContext(cfg, o.Old)
		}
		if _, taken := cfg.Contexts[o.New]; taken {
			return exists(o.New)
		}
		delete(cfg.Contexts, o.Old)
		cfg.Contexts[o.New] = cur
		if cfg.CurrentContext == o.Old {
			cfg.CurrentContext = o.New
		}
		return nil
	})
	if err != nil {
		if tok != "" {
			_ = creds.Delete(ctx, newKey)
		}
		return err
	}
	if tok != "" {
		if err := creds.Delete(ctx, oldKey); err != nil {
			return err
		}
	}
	f.Infof("Renamed context %s to %s", o.Old, o.New)
	return nil
}

func exists(name string) error {
	return forj.Errorf(forj.EConflict, "context %q already exists", name).
		WithHint("choose another name, or delete it first with 'forjctl context delete %s'", name)
}
