package asset

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// The document commands of kinds that hold documents (datasets): upload, download,
// documents. Content is streamed both ways, never held in memory whole.

func documentTable(f *cmdutil.Factory) printer.Table {
	return printer.Table{
		Columns: []printer.Column{
			{Header: "Name", Value: printer.Field(func(d forj.Document) string { return d.Name })},
			{Header: "Size", Value: printer.Field(func(d forj.Document) string {
				if f.IOStreams.IsStdoutTTY() {
					return FormatBytes(d.Size)
				}
				return strconv.FormatInt(d.Size, 10)
			})},
			{Header: "Updated", Time: true, Value: printer.Field(func(d forj.Document) string { return printer.Time(d.UpdatedAt) })},
			{Header: "SHA256", Wide: true, Value: printer.Field(func(d forj.Document) string { return d.SHA256 })},
		},
		NameOf: printer.Field(func(d forj.Document) string { return d.Name }),
		Empty:  "No documents found",
	}
}

// UploadOptions are the inputs of '<kind> upload'.
type UploadOptions struct {
	F    *cmdutil.Factory
	Cmd  *cobra.Command
	Kind forj.KindInfo

	Dataset string
	Files   []string // paths, or "-" for stdin
	Name    string   // the document's name, for one file
}

// NewCmdUpload builds '<kind> upload'.
func NewCmdUpload(f *cmdutil.Factory, k forj.KindInfo, runF func(*UploadOptions) error) *cobra.Command {
	opts := &UploadOptions{F: f, Kind: k}
	cmd := &cobra.Command{
		Use:   "upload " + upper(k.Name) + " FILE... [--name NAME]",
		Short: fmt.Sprintf("Upload files as documents of a %s", k.Name),
		Long: fmt.Sprintf(`Upload files as documents of a %[1]s, streamed (a file of several GiB is never held in
memory). A document is named after its file, or --name for a single file; a document of
that name is replaced. - reads standard input (with --name).

The content's SHA-256 is sent along with a file, and the server refuses content that does
not match it; an upload that fails half-way leaves the previous document as it was.`, k.Name),
		Example: fmt.Sprintf(`  forjctl %[1]s upload support-kb faq.pdf pricing.csv
  pg_dump shop | forjctl %[1]s upload support-kb - --name shop.sql`, k.Name),
		Args:              cobra.MinimumNArgs(2),
		ValidArgsFunction: uploadCompletion(f, k),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Dataset, opts.Files = cmd, args[0], args[1:]
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
	cmd.Flags().StringVar(&opts.Name, "name", "", "the document's `name` (one file only; default the file's name)")
	return cmd
}

// uploadCompletion completes the dataset's name, then files.
func uploadCompletion(f *cmdutil.Factory, k forj.KindInfo) cobra.CompletionFunc {
	names := completeNames(f, k)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return names(cmd, args, toComplete)
		}
		return nil, cobra.ShellCompDirectiveDefault
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// Validate checks names before any request.
func (o *UploadOptions) Validate() error {
	if o.Name != "" && len(o.Files) > 1 {
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "--name names one document, and %d files were given", len(o.Files)).
			WithHint("upload the files one at a time to name each, or drop --name")}
	}
	for _, p := range o.Files {
		if p == "-" && o.Name == "" {
			return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "standard input has no name").
				WithHint("name the document with --name")}
		}
		if err := forj.ValidateDocumentName(o.docName(p)); err != nil {
			return &cmdutil.FlagError{Err: err}
		}
	}
	return nil
}

func (o *UploadOptions) docName(path string) string {
	if o.Name != "" {
		return o.Name
	}
	return filepath.Base(path)
}

// Run resolves the dataset and uploads the files one after the other.
func (o *UploadOptions) Run() error {
	ctx := o.Cmd.Context()
	c, w, err := o.F.WorkspaceClient(ctx)
	if err != nil {
		return err
	}
	ds, err := resolve(ctx, c, w.ID, o.Kind, o.Dataset)
	if err != nil {
		return err
	}
	cs := o.F.IOStreams.ErrColorScheme()
	done := []forj.Document{}
	for _, p := range o.Files {
		d, err := o.upload(c, w.ID, ds.ID, p)
		if err != nil {
			return err
		}
		done = append(done, *d)
		if !o.F.ExplicitFormat() {
			o.F.Infof("%s Uploaded %s (%s) to %s %s", cs.Green("✓"), d.Name, FormatBytes(d.Size), o.Kind.Name, ds.Name)
		}
	}
	if o.F.ExplicitFormat() {
		return printer.Print(o.F.IOStreams, o.F.PrintOptions(), done, documentTable(o.F))
	}
	return nil
}

// upload sends one file (or stdin).
func (o *UploadOptions) upload(c *client.Client, wsID, assetID, path string) (*forj.Document, error) {
	ctx := o.Cmd.Context()
	name := o.docName(path)
	var r io.Reader = o.F.IOStreams.In
	size := int64(-1)
	var sum string
	if path != "-" {
		fh, err := os.Open(path)
		if err != nil {
			return nil, forj.Errorf(forj.EInvalid, "cannot read %s: %v", path, unwrapPathError(err))
		}
		defer fh.Close()
		st, err := fh.Stat()
		if err != nil {
			return nil, err
		}
		if st.IsDir() {
			return nil, &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "%s is a directory", path).
				WithHint("give the files in it, e.g. %s/*", path)}
		}
		if st.Mode().IsRegular() {
			size = st.Size()
			// One read to hash, one to send: the server checks the content against the hash,
			// so nothing corrupted in between is ever stored.
			h := sha256.New()
			if _, err := io.Copy(h, fh); err != nil {
				return nil, fmt.Errorf("reading %s: %w", path, err)
			}
			if _, err := fh.Seek(0, io.SeekStart); err != nil {
				return nil, err
			}
			sum = hex.EncodeToString(h.Sum(nil))
		}
		r = fh
	}
	if size > forj.MaxDocumentBytes {
		return nil, forj.Errorf(forj.ETooLarge, "%s is %s; a document holds at most %s", path, FormatBytes(size), FormatBytes(forj.MaxDocumentBytes))
	}
	p := NewByteProgress(o.F.IOStreams, "Uploading "+name, size)
	d, err := c.UploadDocument(ctx, wsID, assetID, name, p.Reader(r), size, client.UploadOptions{SHA256: sum})
	p.Done()
	return d, err
}

// DownloadOptions are the inputs of '<kind> download'.
type DownloadOptions struct {
	F    *cmdutil.Factory
	Cmd  *cobra.Command
	Kind forj.KindInfo

	Dataset  string
	Document string
	File     string // "" = the document's name in the current directory; "-" = stdout
	Force    bool
}

// NewCmdDownload builds '<kind> download'.
func NewCmdDownload(f *cmdutil.Factory, k forj.KindInfo, runF func(*DownloadOptions) error) *cobra.Command {
	opts := &DownloadOptions{F: f, Kind: k}
	cmd := &cobra.Command{
		Use:   "download " + upper(k.Name) + " DOCUMENT [-f FILE|-] [--force]",
		Short: fmt.Sprintf("Download a document of a %s", k.Name),
		Long: fmt.Sprintf(`Download a document of a %s, streamed, into FILE (default: the document's name in the
current directory; - for standard output). The content is checked against the size and
SHA-256 the server announces, and FILE appears only once it is complete and checked: a
failed download leaves nothing behind. An existing FILE is replaced only with --force.`, k.Name),
		Example: fmt.Sprintf(`  forjctl %[1]s download support-kb faq.pdf
  forjctl %[1]s download support-kb shop.sql -f - | psql shop`, k.Name),
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: complete.FirstArg(completeNames(f, k)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Dataset, opts.Document = cmd, args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
	cmd.Flags().StringVarP(&opts.File, "file", "f", "", "write to this `file`, - for standard output")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "replace FILE if it exists")
	return cmd
}

// Run resolves the dataset and streams the document to its destination.
func (o *DownloadOptions) Run() error {
	dest := o.File
	if dest == "" {
		dest = o.Document
	}
	if dest != "-" && !o.Force {
		if _, err := os.Lstat(dest); err == nil {
			return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "%s already exists", dest).
				WithHint("pass --force to replace it, or -f another file")}
		}
	}
	ctx := o.Cmd.Context()
	c, w, err := o.F.WorkspaceClient(ctx)
	if err != nil {
		return err
	}
	ds, err := resolve(ctx, c, w.ID, o.Kind, o.Dataset)
	if err != nil {
		return err
	}
	dl, err := c.DownloadDocument(ctx, w.ID, ds.ID, o.Document)
	if err != nil {
		if forj.IsNotFound(err) {
			return forj.Errorf(forj.ENotFound, "%s %s has no document %q", o.Kind.Name, ds.Name, o.Document).
				WithHint("see its documents with: forjctl %s documents %s", o.Kind.Name, quote(ds.Name))
		}
		return err
	}
	defer dl.Close()
	p := NewByteProgress(o.F.IOStreams, "Downloading "+o.Document, dl.Size)
	defer p.Done()
	if dest == "-" {
		_, err := io.Copy(o.F.IOStreams.Out, p.Reader(dl))
		return err
	}
	n, err := WriteFileAtomic(dest, p.Reader(dl), nil)
	if err != nil {
		return err
	}
	p.Done()
	cs := o.F.IOStreams.ErrColorScheme()
	o.F.Infof("%s Downloaded %s (%s) to %s", cs.Green("✓"), o.Document, FormatBytes(n), dest)
	return nil
}

// WriteFileAtomic copies r into a new file beside path and renames it into place once r
// has been read to its end without error and check (when not nil) approves: path is never
// left half-written, and a failure leaves nothing behind. The file gets the usual mode of
// new files (0666 less the umask).
func WriteFileAtomic(path string, r io.Reader, check func() error) (n int64, err error) {
	dir := filepath.Dir(path)
	tmpName := filepath.Join(dir, "."+filepath.Base(path)+"."+forj.RandomString(8)+".part")
	tmp, err := os.OpenFile(tmpName, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return 0, fmt.Errorf("cannot write in %s: %w", dir, unwrapPathError(err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if n, err = io.Copy(tmp, r); err != nil {
		return n, err
	}
	if check != nil {
		if err = check(); err != nil {
			return n, err
		}
	}
	if err = tmp.Sync(); err != nil {
		return n, err
	}
	if err = tmp.Close(); err != nil {
		return n, err
	}
	return n, os.Rename(tmpName, path)
}

// DocumentsOptions are the inputs of '<kind> documents'.
type DocumentsOptions struct {
	F    *cmdutil.Factory
	Cmd  *cobra.Command
	Kind forj.KindInfo

	Dataset string
}

// NewCmdDocuments builds '<kind> documents'.
func NewCmdDocuments(f *cmdutil.Factory, k forj.KindInfo, runF func(*DocumentsOptions) error) *cobra.Command {
	opts := &DocumentsOptions{F: f, Kind: k}
	return &cobra.Command{
		Use:               "documents " + upper(k.Name),
		Aliases:           []string{"docs"},
		Short:             fmt.Sprintf("List the documents of a %s", k.Name),
		Long:              fmt.Sprintf("List the documents of a %s: name, size and last update (-o wide adds the SHA-256).", k.Name),
		Example:           fmt.Sprintf("  forjctl %s documents support-kb -o wide", k.Name),
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: complete.FirstArg(completeNames(f, k)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Dataset = cmd, args[0]
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
}

// Run lists the documents.
func (o *DocumentsOptions) Run() error {
	ctx := o.Cmd.Context()
	c, w, err := o.F.WorkspaceClient(ctx)
	if err != nil {
		return err
	}
	ds, err := resolve(ctx, c, w.ID, o.Kind, o.Dataset)
	if err != nil {
		return err
	}
	docs, err := c.ListDocuments(ctx, w.ID, ds.ID)
	if err != nil {
		return err
	}
	return printer.Print(o.F.IOStreams, o.F.PrintOptions(), docs, documentTable(o.F))
}
