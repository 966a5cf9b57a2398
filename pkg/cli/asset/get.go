package asset

import (
	"fmt"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// GetOptions are the inputs of '<kind> get'.
type GetOptions struct {
	F    *cmdutil.Factory
	Cmd  *cobra.Command
	Kind forj.KindInfo

	Ref string // name or id
}

// NewCmdGet builds '<kind> get'.
func NewCmdGet(f *cmdutil.Factory, k forj.KindInfo, runF func(*GetOptions) error) *cobra.Command {
	opts := &GetOptions{F: f, Kind: k}
	long := fmt.Sprintf(`Show a %[1]s of the workspace, by name or id. -o json and -o yaml give the whole object,
its spec included, in the form 'create -f' and 'update -f' read back.

When the %[1]s is not in this workspace but in another one you can see, the error says
where it is and how to switch to it.`, k.Name)
	if k.Secret {
		long += "\n\nSecret data is never shown: hasSecret says whether the credential holds some."
	}
	return &cobra.Command{
		Use:               "get NAME|ID",
		Short:             fmt.Sprintf("Show a %s", k.Name),
		Long:              long,
		Example:           fmt.Sprintf("  forjctl %s get support-faq -o yaml", k.Name),
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: complete.FirstArg(completeNames(f, k)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Ref = cmd, args[0]
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
}

// Run resolves and prints the asset.
func (o *GetOptions) Run() error {
	ctx := o.Cmd.Context()
	c, w, err := o.F.WorkspaceClient(ctx)
	if err != nil {
		return err
	}
	a, err := resolve(ctx, c, w.ID, o.Kind, o.Ref)
	if err != nil {
		return err
	}
	return printer.Print(o.F.IOStreams, o.F.PrintOptions(), a, assetTable(o.Kind))
}
