// Command forjd is the forjinn workspace API server. main only wires the process to a Main
// (see forjd.go), which the end-to-end tests reuse on port 0 with a temporary database.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	m := NewMain()
	if err := m.ParseFlags(ctx, os.Args[1:]); err != nil {
		exit(err)
	}
	if err := m.Run(ctx); err != nil {
		_ = m.Close()
		exit(err)
	}

	var err error
	select {
	case <-ctx.Done():
	case err = <-m.Err():
	}
	stop() // a second signal now ends the process at once instead of waiting for the drain
	exit(errors.Join(err, m.Close()))
}

// exit reports err on stderr and ends the process with its exit code.
func exit(err error) {
	code := exitCode(err)
	if code != 0 {
		fmt.Fprintln(os.Stderr, "forjd:", err)
	}
	os.Exit(code)
}

// exitCode maps err to the exit code: 0 for none (or after -h and --version), 2 for a bad
// command line, 1 for anything else.
func exitCode(err error) int {
	if err == nil || errors.Is(err, ErrDone) {
		return 0
	}
	if _, ok := errors.AsType[*UsageError](err); ok {
		return 2
	}
	return 1
}
