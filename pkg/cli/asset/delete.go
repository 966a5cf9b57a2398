package asset

import (
	"fmt"
	"strings"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// DeleteOptions are the inputs of '<kind> delete'.
type DeleteOptions struct {
	F    *cmdutil.Factory
	Cmd  *cobra.Command
	Kind forj.KindInfo

	Refs []string
	Yes  bool
}

// NewCmdDelete builds '<kind> delete'.
func NewCmdDelete(f *cmdutil.Factory, k forj.KindInfo, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{F: f, Kind: k}
	what := k.Name
	if k.Document {
		what += " with its documents"
	}
	cmd := &cobra.Command{
		Use:   "delete NAME|ID... [--yes]",
		Short: fmt.Sprintf("Delete %s", k.Plural),
		Long: fmt.Sprintf(`Delete one or more %s (a %s). Every name is looked up first: if one is
not found, nothing is deleted. On a terminal you confirm by typing the name (or, for
several, the workspace's name); in scripts pass --yes.`, k.Plural, what),
		Example:           fmt.Sprintf("  forjctl %s delete old-faq --yes", k.Name),
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: complete.EveryArg(completeNames(f, k)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Refs = cmd, args
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// Validate refuses to go on when nobody can confirm and --yes was not given.
func (o *DeleteOptions) Validate() error {
	return o.F.RequireConfirmable(o.Yes, "deleting "+o.Kind.Plural)
}

// Run resolves every name, confirms, then deletes one after the other.
func (o *DeleteOptions) Run() error {
	ctx := o.Cmd.Context()
	c, w, err := o.F.WorkspaceClient(ctx)
	if err != nil {
		return err
	}
	var targets []forj.Asset
	seen := map[string]bool{}
	for _, ref := range o.Refs {
		a, err := resolve(ctx, c, w.ID, o.Kind, ref)
		if err != nil {
			return err
		}
		if !seen[a.ID] {
			seen[a.ID] = true
			targets = append(targets, *a)
		}
	}
	if !o.Yes {
		names := make([]string, len(targets))
		for i, a := range targets {
			names[i] = a.Name
		}
		what := o.Kind.Name + " " + names[0]
		confirm := names[0]
		if len(targets) > 1 {
			what = fmt.Sprintf("%d %s (%s)", len(targets), o.Kind.Plural, strings.Join(names, ", "))
			confirm = w.Name
		}
		fmt.Fprintf(o.F.IOStreams.ErrOut, "This deletes %s from workspace %s.\n", what, w.Name)
		if err := o.F.ConfirmByTyping(confirm); err != nil {
			return err
		}
	}
	cs := o.F.IOStreams.ErrColorScheme()
	deleted := []forj.Asset{}
	var firstErr error
	for _, a := range targets {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := c.DeleteAsset(ctx, w.ID, a.ID, a.Version); err != nil {
			if forj.IsConflict(err) {
				err = forj.Errorf(forj.EConflict, "%s %s changed while it was being deleted", o.Kind.Name, a.Name).
					WithHint("look at it with 'forjctl %s get %s', then run the command again", o.Kind.Name, quote(a.Name))
			}
			if len(targets) == 1 {
				return err
			}
			fmt.Fprintf(o.F.IOStreams.ErrOut, "%s %s: %s\n", cs.Red("✗"), a.Name, forj.ErrorMessage(err))
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		deleted = append(deleted, a)
		if !o.F.ExplicitFormat() {
			o.F.Infof("%s Deleted %s %s from workspace %s", cs.Green("✓"), o.Kind.Name, a.Name, w.Name)
		}
	}
	if o.F.ExplicitFormat() {
		if err := printer.Print(o.F.IOStreams, o.F.PrintOptions(), deleted, assetTable(o.Kind)); err != nil {
			return err
		}
	}
	if firstErr != nil {
		return &cmdutil.PartialError{Failed: len(targets) - len(deleted), Total: len(targets), Err: firstErr}
	}
	return nil
}

// quote quotes a name for a POSIX shell when it needs it, so a hint can be pasted.
func quote(s string) string {
	safe := s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.,/:@+=", r))
	})
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
