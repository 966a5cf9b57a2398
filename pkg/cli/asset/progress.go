package asset

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/forjinn/forjctl/pkg/iostreams"
)

// ByteProgress is a one-line progress report of a byte stream on stderr ("label  12.0 MiB /
// 1.0 GiB  1%  85.3 MiB/s"), redrawn in place at most ten times a second. Like
// iostreams.Progress it writes nothing at all when stderr is not a terminal.
type ByteProgress struct {
	ios     *iostreams.IOStreams
	active  bool
	label   string
	total   int64 // -1: unknown
	mu      sync.Mutex
	n       int64
	start   time.Time
	last    time.Time
	lastLen int
	done    bool
}

// NewByteProgress starts a report for total bytes (-1 when unknown).
func NewByteProgress(ios *iostreams.IOStreams, label string, total int64) *ByteProgress {
	p := &ByteProgress{ios: ios, active: ios.IsStderrTTY(), label: label, total: total, start: ios.Now()}
	if p.active {
		p.mu.Lock()
		p.draw(p.start)
		p.mu.Unlock()
	}
	return p
}

// Set records the count of bytes done (a rewound upload starts again).
func (p *ByteProgress) Set(n int64) { p.update(func() { p.n = n }) }

// Add records n more bytes done.
func (p *ByteProgress) Add(n int) { p.update(func() { p.n += int64(n) }) }

// update changes the count under the lock and redraws if the last redraw is old enough.
func (p *ByteProgress) update(change func()) {
	if p == nil || !p.active {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	change()
	if now := p.ios.Now(); now.Sub(p.last) >= 100*time.Millisecond && !p.done {
		p.draw(now)
	}
}

// Done draws the final state and ends the line.
func (p *ByteProgress) Done() {
	if p == nil || !p.active {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.draw(p.ios.Now())
	fmt.Fprintln(p.ios.ErrOut)
	p.done = true
}

func (p *ByteProgress) draw(now time.Time) {
	line := p.label + "  " + FormatBytes(p.n)
	if p.total >= 0 {
		pct := 100
		if p.total > 0 {
			pct = int(min(p.n, p.total) * 100 / p.total)
		}
		line += fmt.Sprintf(" / %s  %3d%%", FormatBytes(p.total), pct)
	}
	if secs := now.Sub(p.start).Seconds(); secs >= 0.5 {
		line += "  " + FormatBytes(int64(float64(p.n)/secs)) + "/s"
	}
	pad := ""
	if len(line) < p.lastLen {
		pad = strings.Repeat(" ", p.lastLen-len(line))
	}
	fmt.Fprint(p.ios.ErrOut, "\r"+line+pad)
	p.lastLen = len(line)
	p.last = now
}

// Reader counts what is read through r. When r can seek (a file), so can the result, and
// the count follows the offset — an upload retried from the start counts from zero.
func (p *ByteProgress) Reader(r io.Reader) io.Reader {
	if rs, ok := r.(io.ReadSeeker); ok {
		return &progressReadSeeker{progressReader{r: r, p: p}, rs}
	}
	return &progressReader{r: r, p: p}
}

// Writer counts what is written through w.
func (p *ByteProgress) Writer(w io.Writer) io.Writer { return &progressWriter{w: w, p: p} }

type progressReader struct {
	r io.Reader
	p *ByteProgress
}

func (r *progressReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.p.Add(n)
	return n, err
}

type progressReadSeeker struct {
	progressReader
	s io.Seeker
}

func (r *progressReadSeeker) Seek(off int64, whence int) (int64, error) {
	n, err := r.s.Seek(off, whence)
	if err == nil {
		r.p.Set(n)
	}
	return n, err
}

type progressWriter struct {
	w io.Writer
	p *ByteProgress
}

func (w *progressWriter) Write(b []byte) (int, error) {
	n, err := w.w.Write(b)
	w.p.Add(n)
	return n, err
}

// FormatBytes writes a size in binary units: 512 B, 1.5 KiB, 12.0 MiB.
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
