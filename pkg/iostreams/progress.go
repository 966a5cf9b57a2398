package iostreams

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"
)

// redrawEvery bounds how often a bar is redrawn: a bulk move of 10,000 assets calls Add
// 10,000 times and must not write 10,000 lines of escape-free carriage returns.
const redrawEvery = 100 * time.Millisecond

// Progress is a one-line bar on stderr, redrawn in place with a carriage return. On a
// stderr that is not a terminal it is inert: Add and Done write nothing, so piped and CI
// output carries no progress noise. It is safe for concurrent use.
type Progress struct {
	s       *IOStreams
	active  bool
	label   string
	total   int
	mu      sync.Mutex
	count   int
	last    time.Time // time of the last redraw
	lastLen int       // width in cells of the last line drawn, to blank it when shorter
	done    bool
}

// StartProgress starts a bar for total items (0 when unknown: only the count is shown)
// and draws it at 0 right away on a terminal.
func (s *IOStreams) StartProgress(label string, total int) *Progress {
	p := &Progress{s: s, active: s.IsStderrTTY(), label: label, total: max(total, 0)}
	if p.active {
		p.mu.Lock()
		p.draw(s.Now())
		p.mu.Unlock()
	}
	return p
}

// Add records n more items done and redraws if the last redraw is old enough.
func (p *Progress) Add(n int) {
	if p == nil || !p.active {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.count += n
	if now := p.s.Now(); now.Sub(p.last) >= redrawEvery {
		p.draw(now)
	}
}

// Done draws the final state and ends the line, so what follows starts on a fresh one.
// Calling it again does nothing.
func (p *Progress) Done() {
	if p == nil || !p.active {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.draw(p.s.Now())
	fmt.Fprintln(p.s.ErrOut)
	p.done = true
}

// draw writes the line; p.mu is held.
func (p *Progress) draw(now time.Time) {
	line := p.line()
	n := lipgloss.Width(line)
	pad := ""
	if n < p.lastLen {
		pad = strings.Repeat(" ", p.lastLen-n)
	}
	fmt.Fprint(p.s.ErrOut, "\r"+line+pad)
	p.lastLen = n
	p.last = now
}

// line renders "label [████████░░░░░░░░]  40/100  40%", fitted to the terminal width.
func (p *Progress) line() string {
	label := p.label
	if label != "" {
		label += " "
	}
	if p.total == 0 {
		return fmt.Sprintf("%s%d", label, p.count)
	}
	count := min(p.count, p.total)
	digits := len(fmt.Sprint(p.total))
	tail := fmt.Sprintf(" %*d/%d %3d%%", digits, count, p.total, count*100/p.total)
	// Bar width: what is left of the terminal, between 10 and 40 cells.
	width := p.s.TerminalWidth() - lipgloss.Width(label) - len(tail) - 3
	width = min(max(width, 10), 40)
	filled := count * width / p.total
	bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
	return label + "[" + p.s.ErrColorScheme().Cyan(bar) + "]" + tail
}
