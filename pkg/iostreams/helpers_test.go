package iostreams

import "github.com/charmbracelet/lipgloss"

var lipglossRed = lipgloss.Color("1")
