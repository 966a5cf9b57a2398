package asset

import (
	"fmt"
	"path"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// ListOptions are the inputs of '<kind> list'.
type ListOptions struct {
	F    *cmdutil.Factory
	Cmd  *cobra.Command
	Kind forj.KindInfo

	Labels map[string]string
	Match  string
}

// NewCmdList builds '<kind> list'.
func NewCmdList(f *cmdutil.Factory, k forj.KindInfo, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{F: f, Kind: k}
	var labels []string
	cmd := &cobra.Command{
		Use:     "list [--label k=v]... [--match GLOB]",
		Aliases: []string{"ls"},
		Short:   fmt.Sprintf("List the workspace's %s", k.Plural),
		Long: fmt.Sprintf(`List the workspace's %s, sorted by name. --label keeps those that carry every label
given; --match keeps those whose name matches a shell pattern (*, ?, [a-z]).`, k.Plural),
		Example: fmt.Sprintf("  forjctl %[1]s list -w support-bots\n  forjctl %[1]s list --label team=support --match 'faq-*' -o name", k.Name),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd = cmd
			var err error
			if opts.Labels, err = parseLabels(labels); err != nil {
				return err
			}
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
	cmd.Flags().StringArrayVar(&labels, "label", nil, "only those with this `key=value` label (repeatable; all must match)")
	cmd.Flags().StringVar(&opts.Match, "match", "", "only those whose name matches this shell `pattern`")
	return cmd
}

// Validate checks the pattern before any request.
func (o *ListOptions) Validate() error {
	return validateMatch(o.Match)
}

// validateMatch rejects a malformed --match pattern.
func validateMatch(pattern string) error {
	if pattern == "" {
		return nil
	}
	if _, err := path.Match(pattern, ""); err != nil {
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "--match %q is not a valid pattern", pattern).
			WithHint("use *, ? and [a-z] as in a shell, e.g. --match 'faq-*'")}
	}
	return nil
}

// matches applies --match (validated already).
func matches(pattern, name string) bool {
	if pattern == "" {
		return true
	}
	ok, _ := path.Match(pattern, name)
	return ok
}

// Run lists the assets, every page.
func (o *ListOptions) Run() error {
	ctx := o.Cmd.Context()
	c, w, err := o.F.WorkspaceClient(ctx)
	if err != nil {
		return err
	}
	out := []forj.Asset{}
	for a, err := range c.AllAssets(ctx, w.ID, client.AssetListOptions{
		Kind: o.Kind.Name, Labels: o.Labels, ListOptions: client.ListOptions{Limit: forj.MaxLimit},
	}) {
		if err != nil {
			return err
		}
		if matches(o.Match, a.Name) {
			out = append(out, a)
		}
	}
	return printer.Print(o.F.IOStreams, o.F.PrintOptions(), out, assetTable(o.Kind))
}
