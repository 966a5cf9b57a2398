package iostreams

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	xterm "github.com/charmbracelet/x/term"
)

// ErrNoPrompt is returned by Prompt and ConfirmByTyping when the user cannot be asked:
// stdin or stdout is not a terminal, or --no-input / CI disabled prompting. The CLI maps it
// to a usage error whose hint names the flag that supplies the answer.
var ErrNoPrompt = errors.New("cannot prompt for input: not a terminal or --no-input is set")

// Prompt writes question to ErrOut and reads one line from In, without its line ending.
// It returns ErrNoPrompt when prompting is not possible, so a script never hangs waiting
// for an answer nobody will type; callers check CanPrompt first to fall back to a flag.
func (s *IOStreams) Prompt(question string) (string, error) {
	if !s.CanPrompt() {
		return "", ErrNoPrompt
	}
	if question != "" {
		fmt.Fprint(s.ErrOut, question)
	}
	return readLine(s.In)
}

// ConfirmByTyping asks the user to type expected (a workspace name before deleting it) and
// returns an error unless the line read equals it exactly.
func (s *IOStreams) ConfirmByTyping(expected string) error {
	cs := s.ErrColorScheme()
	answer, err := s.Prompt(fmt.Sprintf("Type %s to confirm: ", cs.Bold(expected)))
	if err != nil {
		return err
	}
	if answer != expected {
		return fmt.Errorf("confirmation did not match %q", expected)
	}
	return nil
}

// readLine reads up to and including '\n' one byte at a time: a buffered reader would
// swallow input meant for a later prompt or for the command itself.
func readLine(r io.Reader) (string, error) {
	var sb strings.Builder
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				return strings.TrimSuffix(sb.String(), "\r"), nil
			}
			sb.WriteByte(b[0])
		}
		if err == io.EOF {
			if sb.Len() == 0 {
				return "", fmt.Errorf("reading answer: %w", io.ErrUnexpectedEOF)
			}
			return strings.TrimSuffix(sb.String(), "\r"), nil
		}
		if err != nil {
			return "", err
		}
	}
}

// PromptSecret is Prompt without echo: on a real terminal the typed characters are not
// shown (passwords). Streams that are not a terminal file (tests) are read like Prompt.
func (s *IOStreams) PromptSecret(question string) (string, error) {
	if !s.CanPrompt() {
		return "", ErrNoPrompt
	}
	f, ok := s.In.(*os.File)
	if !ok || !isTerminal(f) {
		return s.Prompt(question)
	}
	fmt.Fprint(s.ErrOut, question)
	b, err := xterm.ReadPassword(f.Fd())
	fmt.Fprintln(s.ErrOut)
	if err != nil {
		return "", fmt.Errorf("reading answer: %w", err)
	}
	return string(b), nil
}
