package bundlecmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/forjinn/forjctl/pkg/bundle"
	"github.com/forjinn/forjctl/pkg/cli/asset"
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// ImportOptions are the inputs of 'import'.
type ImportOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	Source          string // a tar.gz file, a bundle directory, or "-"
	CreateWorkspace string
	OnConflict      string
	DryRun          bool
	PassphraseFile  string
}

// NewCmdImport builds 'import'.
func NewCmdImport(f *cmdutil.Factory, runF func(*ImportOptions) error) *cobra.Command {
	opts := &ImportOptions{F: f}
	cmd := &cobra.Command{
		Use:   "import FILE|DIR|- [-w WORKSPACE | --create-workspace NAME] [--on-conflict fail|skip|rename|overwrite] [--dry-run] [--passphrase-file FILE]",
		Short: "Import a bundle into a workspace",
		Long: `Import a bundle — a tar.gz file, a bundle directory (as 'export --format dir' writes it),
or - for standard input — into a workspace (-w, else the active one), streamed to the
server.

The server reads the whole bundle and plans first: a bundle with problems (a bad checksum,
a malformed or hostile entry, a wrong version, …) is refused as a whole, every problem is
printed with the entry it concerns, nothing is applied, and the exit code is 1. Otherwise
everything is applied in one transaction, or nothing is. An asset whose kind and name
already exist is a conflict handled by --on-conflict: fail (the default: nothing is
applied), skip, rename, or overwrite. Importing the same bundle again changes nothing:
identical assets are reported "unchanged". --dry-run prints the plan and changes nothing.

--create-workspace NAME creates a new workspace and imports into it. If the import fails
or is interrupted, the workspace it created is deleted again, so that a failed run leaves
nothing behind and can simply be repeated; with --dry-run it is deleted in any case.

Sealed credential secrets (export --include-secrets) need the passphrase they were sealed
with, read from --passphrase-file.`,
		Example: `  forjctl import support-bots.forj.tar.gz -w staging --dry-run
  forjctl import support-bots.forj.tar.gz -w staging --on-conflict overwrite
  forjctl import bundles/support-bots --create-workspace support-bots-copy
  forjctl export -w dev -f - | forjctl import - -w prod --on-conflict skip`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Source = cmd, args[0]
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.CreateWorkspace, "create-workspace", "", "create this `workspace` and import into it (deleted again if the import fails)")
	fl.StringVar(&opts.OnConflict, "on-conflict", forj.OnConflictFail, "when an asset's kind and name exist: fail, skip, rename or overwrite")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the plan, change nothing")
	fl.StringVar(&opts.PassphraseFile, "passphrase-file", "", "read the passphrase of sealed secrets from this `file`")
	_ = cmd.RegisterFlagCompletionFunc("on-conflict", cobra.FixedCompletions(
		[]string{forj.OnConflictFail, forj.OnConflictSkip, forj.OnConflictRename, forj.OnConflictOverwrite}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Validate checks the flags and the source before any request.
func (o *ImportOptions) Validate() error {
	switch {
	case !forj.ValidOnConflict(o.OnConflict):
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "--on-conflict %q is not a policy", o.OnConflict).
			WithHint("use fail, skip, rename or overwrite")}
	case o.CreateWorkspace != "" && o.F.Flags.Workspace != "":
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "-w and --create-workspace both name the target").
			WithHint("import into an existing workspace with -w, or into a new one with --create-workspace")}
	case o.Source == "-" && o.F.IOStreams.IsStdinTTY():
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "refusing to read a bundle from the terminal").
			WithHint("give a file or a directory, or pipe the bundle in")}
	}
	if o.CreateWorkspace != "" {
		if err := forj.ValidateWorkspaceName(o.CreateWorkspace); err != nil {
			return &cmdutil.FlagError{Err: err}
		}
	}
	if o.Source != "-" {
		if _, err := os.Stat(o.Source); err != nil {
			return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "cannot read %s: %v", o.Source, unwrapPathError(err))}
		}
	}
	return nil
}

// source opens the bundle: a file as it is, standard input, or a directory packed into a
// pipe as the request streams. wait returns the packing's error once the body is consumed.
func (o *ImportOptions) source() (body io.Reader, size int64, closeFn func(), wait func() error, err error) {
	nop := func() {}
	none := func() error { return nil }
	if o.Source == "-" {
		return o.F.IOStreams.In, -1, nop, none, nil
	}
	fi, err := os.Stat(o.Source)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	if !fi.IsDir() {
		fh, err := os.Open(o.Source)
		if err != nil {
			return nil, 0, nil, nil, err
		}
		return fh, fi.Size(), func() { fh.Close() }, none, nil
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := bundle.PackDir(o.Source, pw, bundle.DefaultLimits())
		if err != nil {
			// The transport compares body errors with ==: a bundle.Errors (a slice) would
			// panic there, so the pipe carries a plain error and wait() returns the real one.
			pw.CloseWithError(errors.New("packing the bundle directory failed"))
		} else {
			pw.Close()
		}
		done <- err
	}()
	closeFn = func() { pr.CloseWithError(errImportEnded) }
	wait = func() error {
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Second):
			return nil
		}
	}
	return pr, -1, closeFn, wait, nil
}

// Run resolves or creates the workspace and streams the bundle to it.
func (o *ImportOptions) Run() error {
	passphrase, err := readPassphrase(o.F, o.PassphraseFile)
	if err != nil {
		return err
	}
	ctx := o.Cmd.Context()
	c, r, err := o.F.Client(ctx)
	if err != nil {
		return err
	}
	var w *forj.Workspace
	if o.CreateWorkspace != "" {
		w, err = c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: o.CreateWorkspace})
		if err != nil {
			return err
		}
	} else if w, err = o.F.Workspace(ctx, c, r); err != nil {
		return err
	}

	res, err := o.send(ctx, c, w, passphrase)
	created := o.CreateWorkspace != ""
	if created && (err != nil || o.DryRun) {
		o.dropCreated(c, w, err)
	}
	if err != nil {
		if e, ok := detailed(err); ok {
			return printDetailed(o.F, e)
		}
		return err
	}
	if err := o.print(res); err != nil {
		return err
	}
	o.summarize(res, w)
	if n := res.Summary[forj.ItemFailed]; n > 0 {
		return &cmdutil.PartialError{Failed: n, Total: len(res.Items)}
	}
	return nil
}

// send streams the bundle; a problem found while packing a directory wins over the
// transport error it caused.
func (o *ImportOptions) send(ctx context.Context, c *client.Client, w *forj.Workspace, passphrase string) (*forj.ImportResponse, error) {
	body, size, closeFn, wait, err := o.source()
	if err != nil {
		return nil, err
	}
	defer closeFn()
	label := "Importing into " + w.Name
	if o.DryRun {
		label = "Planning the import into " + w.Name
	}
	p := asset.NewByteProgress(o.F.IOStreams, label, size)
	res, err := c.Import(ctx, w.ID, p.Reader(body), client.ImportOptions{
		OnConflict: o.OnConflict, DryRun: o.DryRun, Passphrase: passphrase, Size: size,
	})
	p.Done()
	if err != nil {
		closeFn()
		if perr := wait(); perr != nil && !errors.Is(perr, errImportEnded) {
			return nil, perr
		}
		return nil, err
	}
	return res, nil
}

// errImportEnded stops the packing of a directory when the request is over.
var errImportEnded = errors.New("the import request ended")

// dropCreated deletes the workspace this run created, after a failure or a dry run, even
// when the run was interrupted.
func (o *ImportOptions) dropCreated(c *client.Client, w *forj.Workspace, cause error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(o.Cmd.Context()), 30*time.Second)
	defer cancel()
	if err := c.DeleteWorkspace(ctx, w.ID); err != nil {
		fmt.Fprintf(o.F.IOStreams.ErrOut, "Warning: could not delete workspace %s, which this import created: %s\n", w.Name, forj.ErrorMessage(err))
		return
	}
	why := "the import failed"
	if cause == nil {
		why = "this was a dry run"
	}
	o.F.Infof("Deleted workspace %s again, which this import created: %s", w.Name, why)
}

func importTable(k string) printer.Table {
	return printer.Table{
		Columns: []printer.Column{
			{Header: "Kind", Value: printer.Field(func(it forj.ImportItem) string { return it.Kind })},
			{Header: "Name", Value: printer.Field(func(it forj.ImportItem) string { return it.Name })},
			{Header: "Result", Value: printer.Field(func(it forj.ImportItem) string { return it.Result })},
			{Header: "New name", Value: printer.Field(func(it forj.ImportItem) string { return it.NewName })},
			{Header: "ID", Wide: true, Value: printer.Field(func(it forj.ImportItem) string { return it.ID })},
			{Header: "Error", Wide: true, Value: printer.Field(func(it forj.ImportItem) string {
				if it.Error == nil {
					return ""
				}
				return it.Error.Message
			})},
		},
		NameOf: printer.Field(func(it forj.ImportItem) string { return it.Kind + "/" + it.Name }),
		Empty:  k,
	}
}

// print writes the items as a table (or kind/name lines), or the whole response for
// -o json, -o yaml, --jq and --template.
func (o *ImportOptions) print(res *forj.ImportResponse) error {
	opts := o.F.PrintOptions()
	if res.Items == nil {
		res.Items = []forj.ImportItem{}
	}
	if opts.JQ != "" || opts.Template != "" || opts.Format == printer.FormatJSON || opts.Format == printer.FormatYAML {
		return printer.Print(o.F.IOStreams, opts, res, printer.Table{})
	}
	return printer.Print(o.F.IOStreams, opts, res.Items, importTable("The bundle holds no assets"))
}

// importOrder is the order of the summary's words.
var importOrder = []string{
	forj.ItemCreated, forj.ItemUpdated, forj.ItemRenamed, forj.ItemOverwritten,
	forj.ItemUnchanged, forj.ItemSkipped, forj.ItemFailed,
}

func (o *ImportOptions) summarize(res *forj.ImportResponse, w *forj.Workspace) {
	var parts []string
	for _, word := range importOrder {
		if n := res.Summary[word]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, word))
		}
	}
	for _, word := range slices.Sorted(maps.Keys(res.Summary)) {
		if n := res.Summary[word]; n > 0 && !slices.Contains(importOrder, word) {
			parts = append(parts, fmt.Sprintf("%d %s", n, word))
		}
	}
	text := "nothing to do"
	if len(parts) > 0 {
		text = strings.Join(parts, ", ")
	}
	docs := ""
	if res.Documents > 0 {
		docs = fmt.Sprintf(" (%d documents, %s)", res.Documents, asset.FormatBytes(res.Bytes))
	}
	if o.DryRun {
		o.F.Infof("Dry run, nothing changed: importing into %s would give: %s%s", w.Name, text, docs)
		return
	}
	cs := o.F.IOStreams.ErrColorScheme()
	mark := cs.Green("✓")
	if res.Summary[forj.ItemFailed] > 0 {
		mark = cs.Red("✗")
	}
	o.F.Infof("%s Imported into workspace %s: %s%s", mark, w.Name, text, docs)
}
