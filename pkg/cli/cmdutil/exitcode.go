// Package cmdutil is what every forjctl command shares: the factory of dependencies, the
// output flags, the error types and the one mapping from errors to exit codes.
package cmdutil

import (
	"context"
	"errors"

	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/iostreams"
)

// Exit codes (design §9, docs/exit-codes.md).
const (
	ExitOK              = 0
	ExitError           = 1
	ExitUsage           = 2
	ExitNotFound        = 3
	ExitUnauthenticated = 4
	ExitForbidden       = 5
	ExitConflict        = 6
	ExitPartial         = 7
	ExitInterrupted     = 130
)

// ExitCode maps an error to the process's exit code. It is the only place that does.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var (
		flagErr    *FlagError
		partialErr *PartialError
		netErr     *client.NetworkError
	)
	switch {
	case errors.As(err, &flagErr), errors.Is(err, iostreams.ErrNoPrompt):
		// A missing answer that could not be asked for is a usage error: the caller must
		// supply it with a flag.
		return ExitUsage
	case errors.As(err, &partialErr):
		return ExitPartial
	case errors.Is(err, ErrCancel), errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &netErr):
		return ExitError
	}
	var fe *forj.Error
	if !errors.As(err, &fe) {
		return ExitError
	}
	switch fe.Code {
	case forj.EInvalid:
		// Bad input is a usage error whether the CLI or the server noticed it.
		return ExitUsage
	case forj.ENotFound:
		return ExitNotFound
	case forj.EUnauthenticated:
		return ExitUnauthenticated
	case forj.EForbidden:
		return ExitForbidden
	case forj.EConflict:
		return ExitConflict
	}
	return ExitError
}

// FlagError is a usage error found by the command line parser or a command's own checks.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf makes a usage error.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: forj.Errorf(forj.EInvalid, format, args...)}
}

// PartialError reports a bulk operation where some items failed; the per-item results have
// already been printed.
type PartialError struct {
	Failed, Total int
	Err           error // a representative cause, may be nil
}

func (e *PartialError) Error() string {
	return forj.Errorf(forj.EConflict, "%d of %d items failed", e.Failed, e.Total).Message
}

// ErrCancel is returned when the user declined a confirmation or interrupted a command.
var ErrCancel = errors.New("cancelled")

// ErrSilent ends a command with exit code 1 after it has already said why.
var ErrSilent = errors.New("silent error")
