package printer

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/iostreams"
)

// PrintError writes err to ErrOut. With -o json it is the API's own error body on one line,
// {"error":{"code":…,"message":…,"hint":…}}, so a script can parse failures as it parses
// results; otherwise "Error: message" and, when there is a next step, "Hint: hint", with
// the labels coloured when stderr has colour.
func PrintError(ios *iostreams.IOStreams, format Format, err *forj.Error) {
	if err == nil {
		return
	}
	if format == FormatJSON {
		b, mErr := json.Marshal(forj.ErrorBody{Error: err})
		if mErr == nil {
			fmt.Fprintf(ios.ErrOut, "%s\n", b)
			return
		}
	}
	cs := ios.ErrColorScheme()
	var sb strings.Builder
	sb.WriteString(cs.Red("Error:") + " " + oneLine(err.Message) + "\n")
	if err.Hint != "" {
		sb.WriteString(cs.Cyan("Hint:") + " " + oneLine(err.Hint) + "\n")
	}
	fmt.Fprint(ios.ErrOut, sb.String())
}
