package asset

import (
	"fmt"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// CreateOptions are the inputs of '<kind> create'.
type CreateOptions struct {
	F    *cmdutil.Factory
	Cmd  *cobra.Command
	Kind forj.KindInfo

	File string // a path, or "-" for stdin
}

// NewCmdCreate builds '<kind> create'.
func NewCmdCreate(f *cmdutil.Factory, k forj.KindInfo, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{F: f, Kind: k}
	fields := "name, description, labels and spec"
	example := fmt.Sprintf(`  cat > faq.yaml <<'EOF'
  name: support-faq
  description: Answers from the FAQ
  labels: {team: support}
  spec: {nodes: []}
  EOF
  forjctl %s create -f faq.yaml`, k.Name)
	if k.Secret {
		fields = "name, description, labels, spec and secret (the write-only secret data, an object)"
		example = fmt.Sprintf(`  cat > openai.yaml <<'EOF'
  name: openai
  spec: {provider: openai}
  secret: {apiKey: sk-...}
  EOF
  chmod 600 openai.yaml
  forjctl %s create -f openai.yaml`, k.Name)
	}
	cmd := &cobra.Command{
		Use:   "create -f FILE|-",
		Short: fmt.Sprintf("Create a %s from a JSON or YAML file", k.Name),
		Long: fmt.Sprintf(`Create a %s in the workspace from a JSON or YAML file (or standard input with -f -)
holding %s. The output of '%s get -o yaml' is accepted too: its read-only fields
(id, version, timestamps, …) are ignored.`, k.Name, fields, k.Name),
		Example: example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd = cmd
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
	return cmd
}

// Validate requires the file.
func (o *CreateOptions) Validate() error {
	if o.File == "" {
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "no file given").
			WithHint("pass -f FILE (JSON or YAML), or -f - to read standard input")}
	}
	return nil
}

// Run reads the file and creates the asset.
func (o *CreateOptions) Run() error {
	af, err := readAssetFile(o.F, o.File, o.Kind)
	if err != nil {
		return err
	}
	if af.Name == nil {
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "%s has no name", o.File).
			WithHint("add a name field to the file")}
	}
	req := forj.CreateAssetRequest{Kind: o.Kind.Name, Name: *af.Name, Spec: af.Spec}
	if af.Description != nil {
		req.Description = *af.Description
	}
	if af.Labels != nil {
		req.Labels = *af.Labels
	}
	if isObject(af.Secret) {
		req.Secret = af.Secret
		warnReadable(o.F, o.File)
	}
	if err := forj.ValidateAssetName(req.Name); err != nil {
		return &cmdutil.FlagError{Err: err}
	}
	if err := forj.ValidateLabels(req.Labels); err != nil {
		return &cmdutil.FlagError{Err: err}
	}

	ctx := o.Cmd.Context()
	c, w, err := o.F.WorkspaceClient(ctx)
	if err != nil {
		return err
	}
	a, err := c.CreateAsset(ctx, w.ID, req)
	if err != nil {
		return err
	}
	if o.F.ExplicitFormat() {
		return printer.Print(o.F.IOStreams, o.F.PrintOptions(), a, assetTable(o.Kind))
	}
	cs := o.F.IOStreams.ErrColorScheme()
	o.F.Infof("%s Created %s %s in workspace %s", cs.Green("✓"), o.Kind.Name, a.Name, w.Name)
	return nil
}
