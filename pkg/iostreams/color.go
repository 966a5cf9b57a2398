package iostreams

import "github.com/charmbracelet/lipgloss"

// ColorScheme styles short strings for one stream. Every function returns its input
// unchanged when colour is off on that stream, so callers never branch on colour.
// The colours are the 16 basic ANSI ones, which the user's terminal theme controls.
type ColorScheme struct {
	enabled bool
	r       *lipgloss.Renderer
}

// ColorScheme returns the colours for Out.
func (s *IOStreams) ColorScheme() *ColorScheme {
	return &ColorScheme{enabled: s.ColorEnabled(), r: s.Renderer()}
}

// ErrColorScheme returns the colours for ErrOut (errors, warnings, progress).
func (s *IOStreams) ErrColorScheme() *ColorScheme {
	return &ColorScheme{enabled: s.ErrColorEnabled(), r: s.ErrRenderer()}
}

// Enabled reports whether the scheme emits colour.
func (c *ColorScheme) Enabled() bool { return c.enabled }

// Renderer is the lipgloss renderer the scheme draws with, for styles of one's own.
func (c *ColorScheme) Renderer() *lipgloss.Renderer { return c.r }

func (c *ColorScheme) fg(color string, t string) string {
	if !c.enabled {
		return t
	}
	return c.style().Foreground(lipgloss.Color(color)).Render(t)
}

// Bold renders t in bold.
func (c *ColorScheme) Bold(t string) string {
	if !c.enabled {
		return t
	}
	return c.style().Bold(true).Render(t)
}

// Red is for errors and failures.
func (c *ColorScheme) Red(t string) string { return c.fg("1", t) }

// Green is for success.
func (c *ColorScheme) Green(t string) string { return c.fg("2", t) }

// Yellow is for warnings.
func (c *ColorScheme) Yellow(t string) string { return c.fg("3", t) }

// Cyan is for highlights such as the active workspace.
func (c *ColorScheme) Cyan(t string) string { return c.fg("6", t) }

// Gray is for secondary information.
func (c *ColorScheme) Gray(t string) string { return c.fg("8", t) }

// style is a base style that leaves tabs alone (lipgloss turns them into spaces by default,
// which would break tab-separated output).
func (c *ColorScheme) style() lipgloss.Style {
	return c.r.NewStyle().TabWidth(lipgloss.NoTabConversion)
}
