package printer

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/iostreams"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Column is one column of a table.
type Column struct {
	Header string // shown upper-cased on a terminal
	Wide   bool   // shown only with -o wide
	Value  func(item any) string
	Time   bool // Value is RFC 3339 (see Time): relative on a terminal, as is when piped
}

// Table describes how a command's items look as a table and as names.
//
// The two layouts, following gh (docs/output.md):
//
//   - Terminal: a header row (upper-case, bold), columns aligned with two spaces, no box
//     drawing, relative times, the marked row flagged with "*" in a first, headerless
//     column. With -o table, columns are shortened with "…" (the widest first) to fit the
//     terminal; -o wide never shortens.
//   - Piped: no header, one line per item, columns separated by a tab, times in RFC 3339,
//     no colour. Tabs and newlines inside values become spaces, so a line is always one
//     item and `cut -f` is stable. With a Marker, its column comes first as on the terminal,
//     holding "*" or nothing, so both layouts have the same columns.
//
// An empty list prints nothing on stdout; on a terminal Empty (default "No results found")
// goes to stderr.
type Table struct {
	Columns []Column
	Marker  func(item any) bool   // marks an item, e.g. the active workspace; nil for none
	NameOf  func(item any) string // the item's name for -o name; nil if unsupported
	Empty   string                // message for an empty list on a terminal
}

// Field adapts a typed getter for Column.Value and Table.NameOf:
// printer.Field(func(w forj.Workspace) string { return w.Name }). It accepts a T or a *T.
func Field[T any](f func(T) string) func(any) string {
	return func(item any) string { return f(as[T](item)) }
}

// Pred adapts a typed predicate for Table.Marker.
func Pred[T any](f func(T) bool) func(any) bool {
	return func(item any) bool { return f(as[T](item)) }
}

func as[T any](item any) T {
	switch v := item.(type) {
	case T:
		return v
	case *T:
		if v != nil {
			return *v
		}
		var zero T
		return zero
	}
	// A command passing the wrong type is a programming error that its tests catch.
	panic(fmt.Sprintf("printer: item is %T, column expects %s", item, reflect.TypeFor[T]()))
}

// columnGap separates columns on a terminal, as gh does.
const columnGap = "  "

func printTable(ios *iostreams.IOStreams, t Table, data any, wide bool) error {
	if len(t.Columns) == 0 {
		return forj.Errorf(forj.EInvalid, "table output is not supported by this command").WithHint("use -o json or -o yaml")
	}
	rows := items(data)
	tty := ios.IsStdoutTTY()
	if len(rows) == 0 {
		if _, list := isList(data); tty && list {
			msg := t.Empty
			if msg == "" {
				msg = "No results found"
			}
			fmt.Fprintln(ios.ErrOut, msg)
		}
		return nil
	}

	var cols []Column
	for _, c := range t.Columns {
		if wide || !c.Wide {
			cols = append(cols, c)
		}
	}
	marker := t.Marker != nil

	// cells[r][c], the marker column included.
	cells := make([][]string, len(rows))
	marked := make([]bool, len(rows))
	now := ios.Now()
	for r, item := range rows {
		var line []string
		if marker {
			marked[r] = t.Marker(item)
			line = append(line, map[bool]string{true: "*", false: ""}[marked[r]])
		}
		for _, c := range cols {
			v := oneLine(c.Value(item))
			if c.Time && tty {
				v = relativeTime(now, v)
			}
			line = append(line, v)
		}
		cells[r] = line
	}

	if !tty {
		var sb strings.Builder
		for _, line := range cells {
			sb.WriteString(strings.Join(line, "\t"))
			sb.WriteByte('\n')
		}
		_, err := io.WriteString(ios.Out, sb.String())
		return err
	}

	header := make([]string, 0, len(cols)+1)
	if marker {
		header = append(header, "")
	}
	for _, c := range cols {
		header = append(header, strings.ToUpper(c.Header))
	}
	if !wide {
		fit(header, cells, ios.TerminalWidth())
	}
	out, err := render(header, cells)
	if err != nil {
		return err
	}

	// Styled after layout, so that escape sequences never count towards a column's width.
	cs := ios.ColorScheme()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	var sb strings.Builder
	for i, l := range lines {
		l = strings.TrimRight(l, " ")
		switch {
		case i == 0:
			l = cs.Bold(l)
		case marker && i-1 < len(marked) && marked[i-1]:
			l = cs.Green("*") + l[1:]
		}
		sb.WriteString(l)
		sb.WriteByte('\n')
	}
	_, err = io.WriteString(ios.Out, sb.String())
	return err
}

// render lays the table out with tablewriter: no borders, no separators, left-aligned,
// columns padded on the right by columnGap.
func render(header []string, cells [][]string) (string, error) {
	pad := tw.CellPadding{Global: tw.Padding{Left: "", Right: columnGap, Overwrite: true}}
	left := tw.CellAlignment{Global: tw.AlignLeft}
	var buf bytes.Buffer
	tbl := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders:  tw.BorderNone,
			Symbols:  tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{Separators: tw.SeparatorsNone, Lines: tw.LinesNone},
		})),
		tablewriter.WithConfig(tablewriter.Config{
			Header: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone},
				Alignment:  left,
				Padding:    pad,
			},
			Row: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone},
				Alignment:  left,
				Padding:    pad,
			},
			Behavior: tw.Behavior{TrimSpace: tw.Off},
		}),
	)
	tbl.Header(header)
	if err := tbl.Bulk(cells); err != nil {
		return "", fmt.Errorf("printer: table: %w", err)
	}
	if err := tbl.Render(); err != nil {
		return "", fmt.Errorf("printer: table: %w", err)
	}
	return buf.String(), nil
}

// fit shortens cells so that the table fits in width columns, taking one cell at a time
// from the widest column (the rightmost of equals), as gh does, so short columns such as
// a status stay whole. A column keeps at least its header's width (min 6) unless it was
// narrower; if the table still does not fit, the terminal wraps it.
func fit(header []string, cells [][]string, width int) {
	n := len(header)
	natural := make([]int, n)
	for c := range n {
		natural[c] = lipgloss.Width(header[c])
		for _, row := range cells {
			natural[c] = max(natural[c], lipgloss.Width(row[c]))
		}
	}
	w := append([]int(nil), natural...)
	floor := make([]int, n)
	total := len(columnGap) * (n - 1)
	for c := range n {
		floor[c] = min(natural[c], max(lipgloss.Width(header[c]), 6))
		total += w[c]
	}
	for total > width {
		widest := -1
		for c := range n {
			if w[c] > floor[c] && (widest < 0 || w[c] >= w[widest]) {
				widest = c
			}
		}
		if widest < 0 {
			break
		}
		w[widest]--
		total--
	}
	for c := range n {
		if w[c] == natural[c] {
			continue
		}
		for _, row := range cells {
			row[c] = ansi.Truncate(row[c], w[c], "…")
		}
	}
}

// oneLine keeps a value on one line and free of tabs, so rows stay rows and columns stay
// columns.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\t\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(s)
}

// relativeTime turns an RFC 3339 value into "3 minutes ago"; anything else is kept.
func relativeTime(now time.Time, v string) string {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return v
	}
	return TimeAgo(now, t)
}
