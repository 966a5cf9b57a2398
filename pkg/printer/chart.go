package printer

import (
	"math"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/forjinn/forjctl/pkg/iostreams"
)

// BarRow is one bar of a BarChart.
type BarRow struct {
	Label   string
	Value   float64
	Display string // the value as shown after the bar; "" formats Value
}

// eighths are the partial blocks that give a bar 1/8-cell resolution.
var eighths = [...]string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}

// BarChart draws rows as horizontal bars for stdout, one line each:
//
//	prod     ████████████████████████  1200
//	staging  ██████▌                    310
//
// Bars are scaled so that the largest value spans the bar area, the chart is width cells
// wide (the terminal's width when width < 1), negative values draw no bar, and the bars
// are cyan when stdout has colour. No rows give "".
func BarChart(ios *iostreams.IOStreams, rows []BarRow, width int) string {
	if len(rows) == 0 {
		return ""
	}
	if width < 1 {
		width = ios.TerminalWidth()
	}
	labels := make([]string, len(rows))
	values := make([]string, len(rows))
	labelW, valueW, maxV := 0, 0, 0.0
	for i, r := range rows {
		labels[i] = oneLine(r.Label)
		values[i] = r.Display
		if values[i] == "" {
			values[i] = strconv.FormatFloat(r.Value, 'f', -1, 64)
		}
		labelW = max(labelW, lipgloss.Width(labels[i]))
		valueW = max(valueW, lipgloss.Width(values[i]))
		if v := r.Value; v > maxV && !math.IsInf(v, 1) {
			maxV = v
		}
	}
	barW := max(width-labelW-valueW-2*len(columnGap), 10)

	cyan := ios.ColorScheme().Cyan
	var sb strings.Builder
	for i, r := range rows {
		bar := ""
		if maxV > 0 && r.Value > 0 && !math.IsNaN(r.Value) {
			n := int(math.Round(min(r.Value, maxV) / maxV * float64(barW*8)))
			bar = strings.Repeat("█", n/8) + eighths[n%8]
		}
		sb.WriteString(labels[i] + strings.Repeat(" ", labelW-lipgloss.Width(labels[i])) + columnGap)
		sb.WriteString(cyan(bar) + strings.Repeat(" ", barW-lipgloss.Width(bar)) + columnGap)
		sb.WriteString(strings.Repeat(" ", valueW-lipgloss.Width(values[i])) + values[i] + "\n")
	}
	return sb.String()
}
