package iostreams

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muesli/termenv"
)

func TestTestStreamsAreNotTerminals(t *testing.T) {
	ios, _, _, _ := Test()
	if ios.IsStdinTTY() || ios.IsStdoutTTY() || ios.IsStderrTTY() {
		t.Fatal("Test streams must not be terminals")
	}
	if ios.ColorEnabled() || ios.ErrColorEnabled() {
		t.Fatal("colour must be off by default in tests")
	}
	if ios.CanPrompt() {
		t.Fatal("CanPrompt must be false without terminals")
	}
	if got := ios.TerminalWidth(); got != 80 {
		t.Fatalf("TerminalWidth = %d, want 80", got)
	}
	ios.SetTerminalWidth(120)
	if got := ios.TerminalWidth(); got != 120 {
		t.Fatalf("TerminalWidth = %d, want 120", got)
	}
	ios.SetTerminalWidth(0)
	if got := ios.TerminalWidth(); got != 80 {
		t.Fatalf("TerminalWidth after 0 = %d, want 80", got)
	}
}

func TestCanPrompt(t *testing.T) {
	for _, tc := range []struct {
		in, out, never, want bool
	}{
		{true, true, false, true},
		{true, true, true, false},
		{false, true, false, false},
		{true, false, false, false},
	} {
		ios, _, _, _ := Test()
		ios.SetStdinTTY(tc.in)
		ios.SetStdoutTTY(tc.out)
		ios.SetNeverPrompt(tc.never)
		if got := ios.CanPrompt(); got != tc.want {
			t.Errorf("stdin=%v stdout=%v never=%v: CanPrompt = %v, want %v", tc.in, tc.out, tc.never, got, tc.want)
		}
	}
}

func TestApplyEnv(t *testing.T) {
	for _, tc := range []struct {
		name        string
		env         map[string]string
		tty         bool
		wantColor   bool
		wantPrompt  bool
		wantProfile termenv.Profile
	}{
		{"terminal", nil, true, true, true, termenv.ANSI},
		{"piped", nil, false, false, true, termenv.ANSI},
		{"NO_COLOR", map[string]string{"NO_COLOR": "1"}, true, false, true, termenv.ANSI},
		{"CLICOLOR_FORCE piped", map[string]string{"CLICOLOR_FORCE": "1"}, false, true, true, termenv.ANSI},
		{"CLICOLOR_FORCE=0", map[string]string{"CLICOLOR_FORCE": "0"}, false, false, true, termenv.ANSI},
		{"NO_COLOR wins", map[string]string{"NO_COLOR": "1", "CLICOLOR_FORCE": "1"}, true, false, true, termenv.ANSI},
		{"CLICOLOR=0", map[string]string{"CLICOLOR": "0"}, true, false, true, termenv.ANSI},
		{"dumb", map[string]string{"TERM": "dumb"}, true, false, true, termenv.ANSI},
		{"256", map[string]string{"TERM": "xterm-256color"}, true, true, true, termenv.ANSI256},
		{"truecolor", map[string]string{"COLORTERM": "truecolor"}, true, true, true, termenv.TrueColor},
		{"CI", map[string]string{"CI": "true"}, true, true, false, termenv.ANSI},
		{"CI=false", map[string]string{"CI": "false"}, true, true, true, termenv.ANSI},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, _ := Test()
			ios.SetStdinTTY(tc.tty)
			ios.SetStdoutTTY(tc.tty)
			ios.applyEnv(func(k string) string { return tc.env[k] })
			if got := ios.ColorEnabled(); got != tc.wantColor {
				t.Errorf("ColorEnabled = %v, want %v", got, tc.wantColor)
			}
			if got := ios.CanPrompt(); got != (tc.wantPrompt && tc.tty) {
				t.Errorf("CanPrompt = %v, want %v", got, tc.wantPrompt && tc.tty)
			}
			if ios.profile != tc.wantProfile {
				t.Errorf("profile = %v, want %v", ios.profile, tc.wantProfile)
			}
		})
	}
}

func TestColorFollowsEachStream(t *testing.T) {
	ios, _, _, _ := Test()
	ios.applyEnv(func(string) string { return "" }) // automatic colour, as System
	ios.SetStderrTTY(true)
	if ios.ColorEnabled() {
		t.Error("stdout piped: no colour expected")
	}
	if !ios.ErrColorEnabled() {
		t.Error("stderr terminal: colour expected")
	}
	if got := ios.ColorScheme().Red("x"); got != "x" {
		t.Errorf("stdout Red = %q, want plain", got)
	}
	if got := ios.ErrColorScheme().Red("x"); got != "\x1b[31mx\x1b[0m" {
		t.Errorf("stderr Red = %q", got)
	}
}

func TestColorScheme(t *testing.T) {
	ios, _, _, _ := Test()
	cs := ios.ColorScheme()
	for name, f := range map[string]func(string) string{
		"Bold": cs.Bold, "Red": cs.Red, "Green": cs.Green, "Yellow": cs.Yellow, "Gray": cs.Gray, "Cyan": cs.Cyan,
	} {
		if got := f("a\tb"); got != "a\tb" {
			t.Errorf("colour off: %s = %q, want identity", name, got)
		}
	}
	if got := ios.Renderer().NewStyle().Bold(true).Foreground(lipglossRed).Render("x"); got != "x" {
		t.Errorf("renderer with colour off rendered %q", got)
	}

	ios.SetColorEnabled(true)
	cs = ios.ColorScheme()
	want := map[string]string{
		"Bold":   "\x1b[1ma\tb\x1b[0m",
		"Red":    "\x1b[31ma\tb\x1b[0m",
		"Green":  "\x1b[32ma\tb\x1b[0m",
		"Yellow": "\x1b[33ma\tb\x1b[0m",
		"Cyan":   "\x1b[36ma\tb\x1b[0m",
		"Gray":   "\x1b[90ma\tb\x1b[0m",
	}
	for name, f := range map[string]func(string) string{
		"Bold": cs.Bold, "Red": cs.Red, "Green": cs.Green, "Yellow": cs.Yellow, "Gray": cs.Gray, "Cyan": cs.Cyan,
	} {
		if got := f("a\tb"); got != want[name] {
			t.Errorf("colour on: %s = %q, want %q", name, got, want[name])
		}
	}

	ios.SetColorProfile(termenv.Ascii)
	if ios.ColorEnabled() {
		t.Error("the Ascii profile means no colour")
	}
}

func TestPrompt(t *testing.T) {
	ios, in, _, errOut := Test()
	in.WriteString("first answer\r\nsecond\n")
	if _, err := ios.Prompt("Name: "); !errors.Is(err, ErrNoPrompt) {
		t.Fatalf("Prompt without a terminal: err = %v, want ErrNoPrompt", err)
	}
	ios.SetStdinTTY(true)
	ios.SetStdoutTTY(true)
	got, err := ios.Prompt("Name: ")
	if err != nil || got != "first answer" {
		t.Fatalf("Prompt = %q, %v", got, err)
	}
	got, err = ios.Prompt("Again: ")
	if err != nil || got != "second" {
		t.Fatalf("second Prompt = %q, %v (a buffered read lost input)", got, err)
	}
	if errOut.String() != "Name: Again: " {
		t.Fatalf("stderr = %q", errOut.String())
	}
	if _, err := ios.Prompt("More: "); err == nil {
		t.Fatal("Prompt at end of input: want an error")
	}

	ios.SetNeverPrompt(true)
	if _, err := ios.Prompt("x"); !errors.Is(err, ErrNoPrompt) {
		t.Fatalf("Prompt with --no-input: err = %v", err)
	}
}

func TestPromptLastLineWithoutNewline(t *testing.T) {
	ios, in, _, _ := Test()
	ios.SetStdinTTY(true)
	ios.SetStdoutTTY(true)
	in.WriteString("prod")
	if got, err := ios.Prompt(""); err != nil || got != "prod" {
		t.Fatalf("Prompt = %q, %v", got, err)
	}
}

func TestConfirmByTyping(t *testing.T) {
	ios, in, out, errOut := Test()
	ios.SetStdinTTY(true)
	ios.SetStdoutTTY(true)
	in.WriteString("prod\nprod \nProd\n")
	if err := ios.ConfirmByTyping("prod"); err != nil {
		t.Fatalf("exact answer: %v", err)
	}
	if err := ios.ConfirmByTyping("prod"); err == nil || err.Error() != `confirmation did not match "prod"` {
		t.Fatalf("trailing space: err = %v", err)
	}
	if err := ios.ConfirmByTyping("prod"); err == nil {
		t.Fatal("different case must not confirm")
	}
	if out.Len() != 0 {
		t.Fatalf("stdout = %q, want nothing", out.String())
	}
	if want := strings.Repeat("Type prod to confirm: ", 3); errOut.String() != want {
		t.Fatalf("stderr = %q, want %q", errOut.String(), want)
	}
}

// clock is a manual clock for progress pacing.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestProgressOnTerminal(t *testing.T) {
	ios, _, out, errOut := Test()
	ios.SetStderrTTY(true)
	ios.SetTerminalWidth(40)
	c := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	ios.SetNow(c.now)

	p := ios.StartProgress("Moving", 4)
	p.Add(1) // too soon after the first draw: not redrawn
	c.advance(time.Second)
	p.Add(1)
	p.Add(1) // too soon again
	c.advance(time.Second)
	p.Done()
	p.Done()
	p.Add(1) // after Done: ignored

	// 40 columns: the line takes 39, leaving the last column free so that the terminal
	// never wraps it.
	want := "\rMoving [░░░░░░░░░░░░░░░░░░░░░] 0/4   0%" +
		"\rMoving [██████████░░░░░░░░░░░] 2/4  50%" +
		"\rMoving [███████████████░░░░░░] 3/4  75%\n"
	if got := errOut.String(); got != want {
		t.Fatalf("stderr =\n%q\nwant\n%q", got, want)
	}
	if out.Len() != 0 {
		t.Fatalf("stdout = %q, want nothing", out.String())
	}
}

func TestProgressUnknownTotalBlanksLongerLine(t *testing.T) {
	ios, _, _, errOut := Test()
	ios.SetStderrTTY(true)
	c := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	ios.SetNow(c.now)
	p := ios.StartProgress("", 0)
	c.advance(time.Second)
	p.Add(12)
	c.advance(time.Second)
	p.Add(-11) // shorter line: the old one is blanked
	p.Done()
	if got, want := errOut.String(), "\r0\r12\r1 \r1\n"; got != want {
		t.Fatalf("stderr = %q, want %q", got, want)
	}
}

func TestProgressPipedWritesNothing(t *testing.T) {
	ios, _, out, errOut := Test()
	p := ios.StartProgress("Moving", 10)
	for range 10 {
		p.Add(1)
	}
	p.Done()
	if out.Len()+errOut.Len() != 0 {
		t.Fatalf("piped progress wrote %q / %q", out.String(), errOut.String())
	}
	var nilP *Progress
	nilP.Add(1)
	nilP.Done()
}

func TestProgressColour(t *testing.T) {
	ios, _, _, errOut := Test()
	ios.SetStderrTTY(true)
	ios.SetColorEnabled(true)
	p := ios.StartProgress("x", 2)
	p.Done()
	if !strings.Contains(errOut.String(), "\x1b[36m") {
		t.Fatalf("coloured bar expected, got %q", errOut.String())
	}
}

func TestProgressConcurrentAdd(t *testing.T) {
	ios, _, _, errOut := Test()
	ios.SetStderrTTY(true)
	p := ios.StartProgress("Copying", 800)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				p.Add(1)
			}
		}()
	}
	wg.Wait()
	p.Done()
	if !strings.HasSuffix(errOut.String(), "800/800 100%\n") {
		t.Fatalf("final line = %q", errOut.String()[max(0, errOut.Len()-40):])
	}
}

func TestForceTTY(t *testing.T) {
	ios, _, _, _ := Test()
	ios.applyEnv(func(k string) string {
		if k == "FORJ_FORCE_TTY" {
			return "120"
		}
		return ""
	})
	if !ios.IsStdoutTTY() || !ios.IsStderrTTY() || ios.TerminalWidth() != 120 {
		t.Fatalf("FORJ_FORCE_TTY=120: stdout %v stderr %v width %d", ios.IsStdoutTTY(), ios.IsStderrTTY(), ios.TerminalWidth())
	}
}
