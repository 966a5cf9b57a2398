// Package cli builds forjctl's command tree and runs it: Main is the whole program.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/iostreams"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// Build information, stamped by the release build (-ldflags -X).
var (
	version = "dev"
	commit  = ""
	date    = ""
)

// Main runs forjctl with args and returns the exit code. It builds a fresh factory and
// command tree on every call, so tests can call it many times in one process.
func Main(ctx context.Context, args []string, ios *iostreams.IOStreams) int {
	return MainWith(ctx, args, &cmdutil.Factory{IOStreams: ios, Getenv: os.Getenv})
}

// MainWith is Main with a prepared factory (tests set Getenv or a keyring there).
func MainWith(ctx context.Context, args []string, f *cmdutil.Factory) int {
	if f.Version == "" {
		f.Version = version
	}
	root := NewCmdRoot(f)
	root.SetArgs(args)
	root.SetIn(f.IOStreams.In)
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)

	// An error returned before a command's RunE started (unknown command or flag, wrong
	// number of arguments, a required flag missing) is a usage error.
	started := false
	markRunE(root, &started)

	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && !started {
		var fe *cmdutil.FlagError
		if !errors.As(err, &fe) {
			err = &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "%s", err.Error())}
		}
	}
	if err != nil && ctx.Err() != nil && !errors.Is(err, context.Canceled) {
		err = fmt.Errorf("%w: %w", cmdutil.ErrCancel, err)
	}
	if err != nil {
		printError(f, cmd, err)
	}
	return cmdutil.ExitCode(err)
}

func markRunE(c *cobra.Command, started *bool) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			*started = true
			return run(cmd, args)
		}
	}
	for _, sub := range c.Commands() {
		markRunE(sub, started)
	}
}

// printError writes err on stderr: one "Error: …" line and a "Hint: …" line where there is a
// next step, or a JSON error document with -o json / --jq.
func printError(f *cmdutil.Factory, cmd *cobra.Command, err error) {
	if errors.Is(err, cmdutil.ErrSilent) {
		return
	}
	format := printer.FormatTable
	if f.JSONOutput() {
		format = printer.FormatJSON
	}
	printer.PrintError(f.IOStreams, format, describe(err, cmd))
}

// describe turns any error into the message and hint the user sees.
func describe(err error, cmd *cobra.Command) *forj.Error {
	var netErr *client.NetworkError
	if errors.As(err, &netErr) {
		return &forj.Error{Code: forj.EInternal, Message: "cannot reach the server at " + netErr.Server + ": " + netErr.Cause(), Hint: netErr.Hint()}
	}
	var partial *cmdutil.PartialError
	if errors.As(err, &partial) {
		return &forj.Error{Code: "partial", Message: partial.Error()}
	}
	if errors.Is(err, cmdutil.ErrCancel) || errors.Is(err, context.Canceled) {
		return &forj.Error{Code: "cancelled", Message: "cancelled"}
	}
	var fe *forj.Error
	if errors.As(err, &fe) {
		e := *fe
		var flagErr *cmdutil.FlagError
		if errors.As(err, &flagErr) && e.Hint == "" && cmd != nil {
			e.Hint = "see '" + cmd.CommandPath() + " --help'"
		}
		return &e
	}
	return &forj.Error{Code: forj.EInternal, Message: err.Error()}
}
