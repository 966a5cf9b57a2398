package bundlecmd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/forjinn/forjctl/pkg/bundle"
	"github.com/forjinn/forjctl/pkg/cli/asset"
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// ExportOptions are the inputs of 'export'.
type ExportOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	File           string // "" = the default name; "-" = stdout
	Format         string
	IncludeSecrets bool
	PassphraseFile string
}

// ExportResult is what 'export -o json' prints.
type ExportResult struct {
	WorkspaceID string `json:"workspaceId"`
	Workspace   string `json:"workspace"`
	Format      string `json:"format"`
	Path        string `json:"path"` // "-" for standard output
	Bytes       int64  `json:"bytes"`
}

// NewCmdExport builds 'export'.
func NewCmdExport(f *cmdutil.Factory, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{F: f}
	cmd := &cobra.Command{
		Use:   "export [-w WORKSPACE] [-f FILE|-] [--format tar.gz|dir] [--include-secrets --passphrase-file FILE]",
		Short: "Export a workspace's assets as a bundle",
		Long: `Export every asset of a workspace (-w, else the active one) — flows, agents, tools,
datasets with their documents, credentials, integrations — as one bundle
(docs/bundle-format.md), streamed from the server.

--format tar.gz (the default) writes FILE, by default <workspace>.forj.tar.gz; -f - writes
to standard output (not to a terminal). The file appears only once the whole bundle has
arrived: a failed export leaves nothing behind. --format dir unpacks the bundle into the
directory FILE (default <workspace>.forj), which must be new or empty: one sorted-key JSON
file per asset, reviewable and diffable in git; 'forjctl import DIR' reads it back.
Exporting the same workspace twice gives identical bytes.

Credential secrets are exported as stubs, unless --include-secrets: they are then sealed
with the passphrase read from --passphrase-file (scrypt and AES-256-GCM), and the same
passphrase is needed to import them.`,
		Example: `  forjctl export -w support-bots
  forjctl export -w support-bots --format dir -f bundles/support-bots
  forjctl export -w prod -f - | gzip -dc | tar -t
  forjctl export -w prod --include-secrets --passphrase-file ~/.forj-pass -f prod.forj.tar.gz`,
		Args: cobra.NoArgs,
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
	fl := cmd.Flags()
	fl.StringVarP(&opts.File, "file", "f", "", "write the bundle to this `path` (- for standard output)")
	fl.StringVar(&opts.Format, "format", FormatTarGz, "tar.gz, or dir (a directory with the same layout)")
	fl.BoolVar(&opts.IncludeSecrets, "include-secrets", false, "seal credential secrets into the bundle (needs --passphrase-file)")
	fl.StringVar(&opts.PassphraseFile, "passphrase-file", "", "read the passphrase that seals secrets from this `file`")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{FormatTarGz, FormatDir}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Validate checks the flags and the destination before any request.
func (o *ExportOptions) Validate() error {
	switch {
	case o.Format != FormatTarGz && o.Format != FormatDir:
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "--format %q is not a bundle format", o.Format).
			WithHint("use tar.gz or dir")}
	case o.IncludeSecrets && o.PassphraseFile == "":
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "--include-secrets needs a passphrase").
			WithHint("pass --passphrase-file FILE; the same passphrase will be needed to import")}
	case !o.IncludeSecrets && o.PassphraseFile != "":
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "--passphrase-file without --include-secrets: there is nothing to seal").
			WithHint("add --include-secrets to export credential secrets")}
	case o.Format == FormatDir && o.File == "-":
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "a directory cannot be written to standard output").
			WithHint("use --format tar.gz with -f -, or give a directory with -f DIR")}
	case o.File == "-" && o.F.IOStreams.IsStdoutTTY():
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "refusing to write a binary bundle to the terminal").
			WithHint("pass -f FILE, or redirect standard output to a file or a pipe")}
	}
	if o.Format == FormatDir && o.File != "" {
		return checkEmptyDir(o.File)
	}
	return nil
}

// checkEmptyDir accepts a directory that does not exist yet or is empty.
func checkEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		if fi, serr := os.Stat(dir); serr == nil && !fi.IsDir() {
			return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "%s exists and is not a directory", dir).
				WithHint("give a new or empty directory with -f DIR")}
		}
		return err
	case len(entries) > 0:
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "%s is not empty", dir).
			WithHint("a bundle directory is written into a new or empty directory; remove it or pick another")}
	}
	return nil
}

// Run streams the bundle from the server to its destination.
func (o *ExportOptions) Run() error {
	passphrase, err := readPassphrase(o.F, o.PassphraseFile)
	if err != nil {
		return err
	}
	ctx := o.Cmd.Context()
	c, w, err := o.F.WorkspaceClient(ctx)
	if err != nil {
		return err
	}
	dest := o.File
	if dest == "" {
		dest = safeFileName(w.Name) + ".forj"
		if o.Format == FormatTarGz {
			dest += ".tar.gz"
		} else if err := checkEmptyDir(dest); err != nil {
			return err
		}
	}
	body, err := c.Export(ctx, w.ID, o.IncludeSecrets, passphrase)
	if err != nil {
		return err
	}
	defer body.Close()
	p := asset.NewByteProgress(o.F.IOStreams, "Exporting "+w.Name, -1)
	cr := &countingReader{r: p.Reader(body)}
	switch {
	case o.Format == FormatDir:
		// WriteDir validates as it unpacks, and removes what it wrote on any problem.
		err = bundle.WriteDir(cr, dest, bundle.DefaultLimits())
	case dest == "-":
		v := newVerifier(cr)
		_, err = io.Copy(o.F.IOStreams.Out, v)
		err = v.finish(err)
	default:
		// The bundle is validated as it streams into the temporary file, and the file is
		// renamed into place only when the whole bundle checked out: a stream cut short
		// where it looks complete (a proxy, a server that died) leaves nothing behind.
		v := newVerifier(cr)
		_, err = asset.WriteFileAtomic(dest, v, func() error { return v.finish(nil) })
		if err != nil {
			err = v.finish(err)
		}
	}
	p.Done()
	if err != nil {
		if e, ok := detailed(err); ok {
			// The server checks what it sends: a broken bundle here was damaged on the way.
			e = e.WithHint("nothing was written; run the export again")
			e.Message = "the bundle received is broken: " + e.Message
			return printDetailed(o.F, e)
		}
		return err
	}
	if dest == "-" {
		return nil // stdout holds the bundle: nothing else may go there
	}
	res := ExportResult{WorkspaceID: w.ID, Workspace: w.Name, Format: o.Format, Path: dest, Bytes: cr.n}
	if o.F.ExplicitFormat() {
		return printer.Print(o.F.IOStreams, o.F.PrintOptions(), res, printer.Table{
			Columns: []printer.Column{
				{Header: "Workspace", Value: func(any) string { return res.Workspace }},
				{Header: "Path", Value: func(any) string { return res.Path }},
				{Header: "Bytes", Value: func(any) string { return fmt.Sprint(res.Bytes) }},
			},
			NameOf: func(any) string { return res.Path },
		})
	}
	cs := o.F.IOStreams.ErrColorScheme()
	secrets := ""
	if o.IncludeSecrets {
		secrets = ", credential secrets sealed"
	}
	o.F.Infof("%s Exported workspace %s to %s (%s%s)", cs.Green("✓"), w.Name, dest, asset.FormatBytes(cr.n), secrets)
	return nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// verifier validates a tar.gz bundle (bundle.Read) while it is copied elsewhere.
type verifier struct {
	tee  io.Reader
	pw   *io.PipeWriter
	done chan error
	err  error
	over bool
}

func newVerifier(r io.Reader) *verifier {
	pr, pw := io.Pipe()
	v := &verifier{tee: io.TeeReader(r, pw), pw: pw, done: make(chan error, 1)}
	go func() {
		_, err := bundle.Read(pr, bundle.DefaultLimits(), bundle.NopHandler{})
		// Keep consuming, so that the copy never blocks on a reader that stopped early.
		io.Copy(io.Discard, pr)
		v.done <- err
	}()
	return v
}

func (v *verifier) Read(p []byte) (int, error) { return v.tee.Read(p) }

// finish ends the stream (copyErr: why it ended early, or nil at EOF) and returns the
// first error: the copy's, else the bundle's problems.
func (v *verifier) finish(copyErr error) error {
	if !v.over {
		v.over = true
		if copyErr != nil {
			v.pw.CloseWithError(copyErr)
		} else {
			v.pw.Close()
		}
		v.err = <-v.done
	}
	if copyErr != nil {
		return copyErr
	}
	return v.err
}
