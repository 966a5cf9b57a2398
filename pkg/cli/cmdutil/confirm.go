package cmdutil

import (
	"errors"
	"fmt"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/iostreams"
)

// RequireConfirmable is the Validate step of a destructive command: without --yes, someone
// must be at a terminal to confirm. action names what needs it ("deleting a workspace").
func (f *Factory) RequireConfirmable(yes bool, action string) error {
	if yes || f.CanPrompt() {
		return nil
	}
	return &FlagError{Err: forj.Errorf(forj.EInvalid, "%s needs confirmation", action).
		WithHint("pass --yes when there is no terminal to confirm on")}
}

// ConfirmByTyping asks the user to type name. A wrong answer cancels (exit 130); when
// nobody can be asked, it is a usage error pointing at --yes.
func (f *Factory) ConfirmByTyping(name string) error {
	err := f.IOStreams.ConfirmByTyping(name)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, iostreams.ErrNoPrompt):
		return &FlagError{Err: forj.Errorf(forj.EInvalid, "cannot confirm: %v", err).WithHint("pass --yes to confirm")}
	default:
		return fmt.Errorf("%w: %w", ErrCancel, err)
	}
}
