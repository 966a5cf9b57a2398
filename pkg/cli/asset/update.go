package asset

import (
	"fmt"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// UpdateOptions are the inputs of '<kind> update'.
type UpdateOptions struct {
	F    *cmdutil.Factory
	Cmd  *cobra.Command
	Kind forj.KindInfo

	Ref   string
	File  string
	Force bool
}

// NewCmdUpdate builds '<kind> update'.
func NewCmdUpdate(f *cmdutil.Factory, k forj.KindInfo, runF func(*UpdateOptions) error) *cobra.Command {
	opts := &UpdateOptions{F: f, Kind: k}
	secret := ""
	if k.Secret {
		secret = "\nA secret field replaces the secret data; secret: null removes it; without the field it\nis kept.\n"
	}
	cmd := &cobra.Command{
		Use:   "update NAME|ID -f FILE|- [--force]",
		Short: fmt.Sprintf("Change a %s from a JSON or YAML file", k.Name),
		Long: fmt.Sprintf(`Change a %[1]s with the fields of a JSON or YAML file (as for create): the fields the file
holds are replaced (labels as a whole set), the others are kept. A different name renames.
%[2]s
The change applies only to the version it was written for (If-Match): the file's version
field when it has one (it does when it came from '%[1]s get -o yaml'), else the version
read just before. If someone changed the %[1]s meanwhile, the command fails with a
conflict (exit 6) and changes nothing; --force applies the file to whatever version is
current.`, k.Name, secret),
		Example: fmt.Sprintf(`  forjctl %[1]s get support-faq -o yaml > faq.yaml
  $EDITOR faq.yaml
  forjctl %[1]s update support-faq -f faq.yaml`, k.Name),
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: complete.FirstArg(completeNames(f, k)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Ref = cmd, args[0]
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
	cmd.Flags().StringVarP(&opts.File, "file", "f", "", "the JSON or YAML `file` to read, - for standard input")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "apply the change whatever the current version")
	return cmd
}

// Validate requires the file.
func (o *UpdateOptions) Validate() error {
	if o.File == "" {
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "no file given").
			WithHint("pass -f FILE (JSON or YAML), or -f - to read standard input")}
	}
	return nil
}

// Run reads the file, resolves the asset and updates it at the expected version.
func (o *UpdateOptions) Run() error {
	af, err := readAssetFile(o.F, o.File, o.Kind)
	if err != nil {
		return err
	}
	req := forj.UpdateAssetRequest{Description: af.Description, Labels: af.Labels, Spec: af.Spec, Secret: af.Secret}
	if af.Name != nil {
		if err := forj.ValidateAssetName(*af.Name); err != nil {
			return &cmdutil.FlagError{Err: err}
		}
	}
	if af.Labels != nil {
		if err := forj.ValidateLabels(*af.Labels); err != nil {
			return &cmdutil.FlagError{Err: err}
		}
	}
	if isObject(af.Secret) {
		warnReadable(o.F, o.File)
	}

	ctx := o.Cmd.Context()
	c, w, err := o.F.WorkspaceClient(ctx)
	if err != nil {
		return err
	}
	cur, err := resolve(ctx, c, w.ID, o.Kind, o.Ref)
	if err != nil {
		return err
	}
	if af.Name != nil && *af.Name != cur.Name {
		req.Name = af.Name
	}
	if req.Name == nil && req.Description == nil && req.Labels == nil && req.Spec == nil && req.Secret == nil {
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "%s changes nothing", o.File).
			WithHint("give at least one of name, description, labels, spec%s in the file", map[bool]string{true: ", secret"}[o.Kind.Secret])}
	}
	version := cur.Version
	if af.Version > 0 {
		version = af.Version
	}
	if o.Force {
		version = 0
	}
	a, err := c.UpdateAsset(ctx, w.ID, cur.ID, req, version)
	if forj.IsConflict(err) && version > 0 {
		now := cur.Version
		if latest, gerr := c.GetAsset(ctx, w.ID, cur.ID); gerr == nil {
			now = latest.Version
		}
		if now != version {
			return forj.Errorf(forj.EConflict, "%s %s was changed meanwhile: it is at version %d, the change was written for version %d", o.Kind.Name, cur.Name, now, version).
				WithHint("get the current one with 'forjctl %s get %s -o yaml' and apply your change to it, or pass --force to overwrite it", o.Kind.Name, quote(cur.Name))
		}
	}
	if err != nil {
		return err
	}
	if o.F.ExplicitFormat() {
		return printer.Print(o.F.IOStreams, o.F.PrintOptions(), a, assetTable(o.Kind))
	}
	cs := o.F.IOStreams.ErrColorScheme()
	o.F.Infof("%s Updated %s %s in workspace %s (version %d)", cs.Green("✓"), o.Kind.Name, a.Name, w.Name, a.Version)
	return nil
}
