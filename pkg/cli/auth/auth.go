// Package auth is the 'forjctl auth' command group: logging in and out, and asking who the
// caller is and what it may do.
package auth

import (
	"errors"
	"io"
	"strings"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/iostreams"
	"github.com/spf13/cobra"
)

// NewCmdAuth is the 'auth' group.
func NewCmdAuth(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth <command>",
		Short: "Log in and out, and see who you are and what you may do",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(
		NewCmdLogin(f, nil),
		NewCmdLogout(f, nil),
		NewCmdStatus(f, nil),
		NewCmdToken(f, nil),
		NewCmdCanI(f, nil),
	)
	return cmd
}

// maxSecretInput bounds what is read from stdin for a token or a password.
const maxSecretInput = 64 << 10

// readSecretLine reads a token or password given on stdin: the first line, without its line
// ending and surrounding blanks.
func readSecretLine(r io.Reader, what string) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxSecretInput))
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSpace(line)
	if line == "" {
		return "", cmdutil.FlagErrorf("no %s on standard input", what)
	}
	return line, nil
}

// noPrompt turns iostreams.ErrNoPrompt into a usage error naming the flag that answers it.
func noPrompt(err error, hint string) error {
	if errors.Is(err, iostreams.ErrNoPrompt) {
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "%s", err.Error()).WithHint("%s", hint)}
	}
	return err
}
