package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/forjinn/forjctl/pkg/authz"
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/spf13/cobra"
)

// CanIOptions are the inputs of 'auth can-i'.
type CanIOptions struct {
	Factory    *cmdutil.Factory
	Permission string
}

// NewCmdCanI is 'auth can-i'.
func NewCmdCanI(f *cmdutil.Factory, runF func(*CanIOptions) error) *cobra.Command {
	opts := &CanIOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "can-i PERMISSION",
		Short: "Say whether you hold a permission (exit 0 for yes, 5 for no)",
		Long: `Print yes or no: whether the caller holds PERMISSION in the workspace in effect
(-w, FORJ_WORKSPACE or the context's active one), or globally for the owner's
permissions. Exits 0 for yes and 5 for no, for scripts.

Permissions: ` + strings.Join(permissionNames(), ", "),
		Example: `  forjctl auth can-i member.write -w acme && forjctl user add bob@example.com --role viewer`,
		Args:    cobra.ExactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return permissionNames(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Permission = args[0]
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return opts.Run(cmd.Context())
		},
	}
	return cmd
}

func permissionNames() []string {
	var out []string
	for _, p := range authz.Catalog() {
		out = append(out, p.Name)
	}
	return out
}

// Validate rejects a permission that is not in the catalog.
func (o *CanIOptions) Validate() error {
	if _, ok := authz.Lookup(o.Permission); !ok {
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "unknown permission %q", o.Permission).
			WithHint("known permissions: %s (see 'forjctl role list')", strings.Join(permissionNames(), ", "))}
	}
	return nil
}

// Run answers from the caller's effective permissions (GET /auth/me).
func (o *CanIOptions) Run(ctx context.Context) error {
	f := o.Factory
	c, r, err := f.Client(ctx)
	if err != nil {
		return err
	}
	me, err := c.Me(ctx)
	if err != nil {
		return err
	}
	perm, _ := authz.Lookup(o.Permission)
	var yes bool
	if perm.Scope == authz.ScopeGlobal {
		yes = slices.Contains(me.Global, perm.Name)
	} else {
		ref := r.Context.Workspace
		if ref == "" {
			e := forj.Errorf(forj.EInvalid, "%s is a workspace permission and no workspace is selected", perm.Name)
			return &cmdutil.FlagError{Err: e.WithHint("pass -w WORKSPACE, set FORJ_WORKSPACE, or run 'forjctl workspace switch NAME'")}
		}
		yes, err = holds(ctx, c, me, ref, perm.Name)
		if err != nil {
			return err
		}
	}
	if yes {
		_, err := fmt.Fprintln(f.IOStreams.Out, "yes")
		return err
	}
	fmt.Fprintln(f.IOStreams.Out, "no")
	// "no" has been said: exit 5 without an error message.
	return fmt.Errorf("%w: %w", cmdutil.ErrSilent, forj.Errorf(forj.EForbidden, "permission %s not held", perm.Name))
}

// holds reports whether the caller holds a workspace permission in the workspace ref (a
// name or an id). The owner's user tokens hold every workspace permission everywhere.
func holds(ctx context.Context, c *client.Client, me *forj.MeResponse, ref, perm string) (bool, error) {
	for _, m := range me.Memberships {
		if m.WorkspaceID == ref || m.WorkspaceName == ref {
			return slices.Contains(m.Permissions, perm), nil
		}
	}
	// Not a member: the workspace must at least exist for the caller (else exit 3 with a hint).
	if _, err := c.ResolveWorkspace(ctx, ref); err != nil {
		return false, err
	}
	return me.User.GlobalRole == forj.GlobalOwner && len(me.Global) > 0, nil
}
