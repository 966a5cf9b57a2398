// Package bundlecmd implements 'forjctl export' and 'forjctl import': a workspace's assets
// (with dataset documents and, on request, sealed credential secrets) as one bundle — a
// tar.gz, or a directory with the same layout that can be reviewed in git
// (docs/bundle-format.md). Both stream: a bundle is never held in memory.
package bundlecmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/forjinn/forjctl/pkg/bundle"
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
)

// Bundle forms, the values of --format.
const (
	FormatTarGz = "tar.gz"
	FormatDir   = "dir"
)

// readPassphrase reads a passphrase file: its content less one trailing line break.
func readPassphrase(f *cmdutil.Factory, path string) (string, error) {
	if path == "" {
		return "", nil
	}
	fh, err := os.Open(path)
	if err != nil {
		return "", &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "cannot read the passphrase file: %v", unwrapPathError(err))}
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, 4097))
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	if len(b) > 4096 {
		return "", &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "%s is larger than 4 KiB: is it really a passphrase file?", path)}
	}
	p := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if p == "" {
		return "", &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "%s is empty", path).
			WithHint("write the passphrase in it, e.g.: openssl rand -base64 32 > %s", path)}
	}
	if st, err := fh.Stat(); err == nil && runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		cs := f.IOStreams.ErrColorScheme()
		fmt.Fprintf(f.IOStreams.ErrOut, "%s %s can be read by other users (mode %04o); consider: chmod 600 %s\n",
			cs.Yellow("Warning:"), path, st.Mode().Perm(), path)
	}
	return p, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// printDetailed prints an error that lists several problems — "Error: …", a "Hint: …" line
// when there is one, then one indented line per problem (with -o json, the error document
// with its details) — and returns the error to end the command with, already printed: a
// bundle's own problems exit with 1 (not the 2 of a usage error), anything else (a conflict
// with the workspace: 6) keeps its code.
func printDetailed(f *cmdutil.Factory, e *forj.Error) error {
	if f.JSONOutput() {
		printer.PrintError(f.IOStreams, printer.FormatJSON, e)
	} else {
		hint := e.Hint
		printer.PrintError(f.IOStreams, printer.FormatTable, &forj.Error{Code: e.Code, Message: e.Message})
		for _, d := range e.Details {
			if d != e.Message {
				fmt.Fprintf(f.IOStreams.ErrOut, "  %s\n", d)
			}
		}
		if hint != "" {
			cs := f.IOStreams.ErrColorScheme()
			fmt.Fprintf(f.IOStreams.ErrOut, "%s %s\n", cs.Cyan("Hint:"), hint)
		}
	}
	if e.Code == forj.EInvalid {
		return cmdutil.ErrSilent
	}
	return fmt.Errorf("%w: %w", cmdutil.ErrSilent, e)
}

// detailed finds an error with a list of problems in err: the server's answer with
// details, or pkg/bundle's own errors (packing a directory, unpacking an export).
func detailed(err error) (*forj.Error, bool) {
	var es bundle.Errors
	if errors.As(err, &es) {
		return es.ForjError(), true
	}
	var be *bundle.Error
	if errors.As(err, &be) {
		return bundle.Errors{be}.ForjError(), true
	}
	var fe *forj.Error
	if errors.As(err, &fe) && len(fe.Details) > 0 {
		return fe, true
	}
	return nil, false
}

// safeFileName makes a workspace name usable as a file name.
func safeFileName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			return r
		}
		return '-'
	}, s)
	s = strings.Trim(s, ".-")
	if s == "" {
		s = "workspace"
	}
	return s
}
