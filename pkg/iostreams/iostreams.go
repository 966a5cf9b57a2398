// Package iostreams carries the CLI's standard streams together with what is known about
// them: which are terminals, whether colour is on, how wide the terminal is, and whether the
// user may be prompted. Commands receive one *IOStreams and never touch os.Std* themselves,
// so tests run the real command code against buffers and can pretend to be a terminal.
package iostreams

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"
	xterm "github.com/charmbracelet/x/term"
	"github.com/mattn/go-isatty"
	"github.com/muesli/termenv"
)

// defaultWidth is used when the width of the terminal is unknown (output piped, or the
// ioctl failed), the traditional 80 columns.
const defaultWidth = 80

// colorMode says whether colour follows the terminal or was forced by a flag or the environment.
type colorMode int

const (
	colorAuto colorMode = iota // on for a stream that is a terminal
	colorOn                    // CLICOLOR_FORCE or SetColorEnabled(true)
	colorOff                   // NO_COLOR, --no-color or SetColorEnabled(false)
)

// IOStreams is the CLI's stdin, stdout and stderr and their terminal capabilities.
// Data goes to Out; prompts, progress, warnings and errors go to ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// mu guards the settings below: a progress bar may be redrawn from a worker goroutine
	// while the command reads them.
	mu          sync.Mutex
	stdinTTY    bool
	stdoutTTY   bool
	stderrTTY   bool
	color       colorMode
	profile     termenv.Profile // the profile used when colour is on
	width       int
	neverPrompt bool
	now         func() time.Time
}

// System returns the process's own streams with real terminal detection. The environment
// is read here, once: NO_COLOR (any value) turns colour off, CLICOLOR_FORCE (not "0") turns
// it on even when piped, NO_COLOR winning when both are set; TERM=dumb turns it off; CI
// (set and not "false"/"0") disables prompting, as --no-input does.
func System() *IOStreams {
	s := &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
		width:     defaultWidth,
		now:       time.Now,
	}
	if s.stdoutTTY {
		if w, _, err := xterm.GetSize(os.Stdout.Fd()); err == nil && w > 0 {
			s.width = w
		}
	} else if s.stderrTTY {
		// Progress bars on stderr still want a width when stdout is piped.
		if w, _, err := xterm.GetSize(os.Stderr.Fd()); err == nil && w > 0 {
			s.width = w
		}
	}
	s.applyEnv(os.Getenv)
	return s
}

// applyEnv applies the environment's colour and prompting settings; split from System so
// that the rules can be tested without a terminal.
func (s *IOStreams) applyEnv(getenv func(string) string) {
	switch {
	case getenv("NO_COLOR") != "":
		s.color = colorOff
	case isTrue(getenv("CLICOLOR_FORCE")):
		s.color = colorOn
	case getenv("CLICOLOR") == "0", getenv("TERM") == "dumb":
		s.color = colorOff
	default:
		s.color = colorAuto
	}
	s.profile = profileFromEnv(getenv)
	// FORJ_FORCE_TTY makes stdout and stderr behave as terminals (like gh's GH_FORCE_TTY):
	// for screenshots, for piping through a pager that keeps formatting, and for tests of
	// the terminal layout. A number sets the width.
	if v := getenv("FORJ_FORCE_TTY"); isTrue(v) {
		s.stdoutTTY, s.stderrTTY = true, true
		if w, err := strconv.Atoi(v); err == nil && w > 1 {
			s.width = w
		}
	}
	if isTrue(getenv("CI")) {
		s.neverPrompt = true
	}
}

// isTrue reads a boolean-ish environment value: set and not "0" or "false".
func isTrue(v string) bool {
	return v != "" && v != "0" && !strings.EqualFold(v, "false")
}

// profileFromEnv picks the richest colour profile the terminal announces. Only the
// profile's depth comes from here; whether colour is used at all is decided by the mode.
func profileFromEnv(getenv func(string) string) termenv.Profile {
	switch ct := strings.ToLower(getenv("COLORTERM")); {
	case ct == "truecolor" || ct == "24bit":
		return termenv.TrueColor
	case strings.Contains(getenv("TERM"), "256color"):
		return termenv.ANSI256
	default:
		return termenv.ANSI
	}
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// Test returns streams backed by buffers, none of them a terminal, colour off, 80 columns
// wide and the real clock. Tests turn on what they need with the setters.
func Test() (ios *IOStreams, in *bytes.Buffer, out *bytes.Buffer, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	ios = &IOStreams{
		In:      in,
		Out:     out,
		ErrOut:  errOut,
		color:   colorOff,
		profile: termenv.ANSI,
		width:   defaultWidth,
		now:     time.Now,
	}
	return ios, in, out, errOut
}

// SetStdinTTY and the other setters override detection: for tests, and for flags such as
// --no-color that the CLI applies after System.
func (s *IOStreams) SetStdinTTY(v bool) { s.mu.Lock(); s.stdinTTY = v; s.mu.Unlock() }

// SetStdoutTTY overrides whether stdout is treated as a terminal.
func (s *IOStreams) SetStdoutTTY(v bool) { s.mu.Lock(); s.stdoutTTY = v; s.mu.Unlock() }

// SetStderrTTY overrides whether stderr is treated as a terminal.
func (s *IOStreams) SetStderrTTY(v bool) { s.mu.Lock(); s.stderrTTY = v; s.mu.Unlock() }

// SetColorEnabled forces colour on or off for both output streams (--no-color, tests).
func (s *IOStreams) SetColorEnabled(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v {
		s.color = colorOn
	} else {
		s.color = colorOff
	}
}

// SetColorProfile sets the depth of colour used when colour is on (ANSI, ANSI256,
// TrueColor); termenv.Ascii is the same as turning colour off.
func (s *IOStreams) SetColorProfile(p termenv.Profile) { s.mu.Lock(); s.profile = p; s.mu.Unlock() }

// SetTerminalWidth overrides the detected width; values below 1 mean the default.
func (s *IOStreams) SetTerminalWidth(w int) {
	if w < 1 {
		w = defaultWidth
	}
	s.mu.Lock()
	s.width = w
	s.mu.Unlock()
}

// SetNeverPrompt disables prompting (--no-input).
func (s *IOStreams) SetNeverPrompt(v bool) { s.mu.Lock(); s.neverPrompt = v; s.mu.Unlock() }

// SetNow replaces the clock used for relative times and progress redraw pacing; tests pass
// a fixed time so output is deterministic.
func (s *IOStreams) SetNow(now func() time.Time) { s.mu.Lock(); s.now = now; s.mu.Unlock() }

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.stderrTTY }

// ColorEnabled reports whether output on stdout may be coloured.
func (s *IOStreams) ColorEnabled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.colorFor(s.stdoutTTY)
}

// ErrColorEnabled reports whether output on stderr may be coloured. It differs from
// ColorEnabled when only one of the two streams is piped.
func (s *IOStreams) ErrColorEnabled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.colorFor(s.stderrTTY)
}

func (s *IOStreams) colorFor(tty bool) bool {
	switch s.color {
	case colorOn:
		return s.profile != termenv.Ascii
	case colorOff:
		return false
	default:
		return tty && s.profile != termenv.Ascii
	}
}

// TerminalWidth is the terminal's width in columns, 80 when unknown.
func (s *IOStreams) TerminalWidth() int { s.mu.Lock(); defer s.mu.Unlock(); return s.width }

// Now is the current time by the streams' clock.
func (s *IOStreams) Now() time.Time {
	s.mu.Lock()
	now := s.now
	s.mu.Unlock()
	return now()
}

// CanPrompt reports whether the user may be asked a question: stdin and stdout are
// terminals and prompting was not disabled (--no-input, CI).
func (s *IOStreams) CanPrompt() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stdinTTY && s.stdoutTTY && !s.neverPrompt
}

// Renderer returns a lipgloss renderer bound to Out whose colour profile is fixed by our
// own decision (terminal, flags, environment) rather than lipgloss's detection, so styles
// made from it are plain text when colour is off and tests can force colour on a buffer.
func (s *IOStreams) Renderer() *lipgloss.Renderer {
	return s.newRenderer(s.Out, s.ColorEnabled())
}

// ErrRenderer is Renderer for ErrOut.
func (s *IOStreams) ErrRenderer() *lipgloss.Renderer {
	return s.newRenderer(s.ErrOut, s.ErrColorEnabled())
}

func (s *IOStreams) newRenderer(w io.Writer, color bool) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(w)
	p := termenv.Ascii
	if color {
		s.mu.Lock()
		p = s.profile
		s.mu.Unlock()
	}
	r.SetColorProfile(p)
	// Fixed so that lipgloss never queries the terminal for its background colour.
	r.SetHasDarkBackground(true)
	return r
}
