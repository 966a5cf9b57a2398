// Package printer writes command results in the format the user asked for: aligned tables
// on a terminal, tab-separated columns when piped, or the API's own objects as JSON, YAML,
// names, a jq filter's results or a Go template's output. See docs/output.md.
package printer

import (
	"strings"
	"text/template"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/itchyny/gojq"
)

// Format is a value of -o/--output.
type Format string

// The output formats, in the order the help and error messages list them.
const (
	FormatTable Format = "table"
	FormatWide  Format = "wide"
	FormatJSON  Format = "json"
	FormatYAML  Format = "yaml"
	FormatName  Format = "name"
)

// Formats lists the accepted -o values, for help text and completion.
func Formats() []Format {
	return []Format{FormatTable, FormatWide, FormatJSON, FormatYAML, FormatName}
}

// ParseFormat parses an -o value; "" means table. An unknown value is an invalid-input error
// that lists the allowed formats, as kubectl does.
func ParseFormat(s string) (Format, error) {
	if s == "" {
		return FormatTable, nil
	}
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	return "", forj.Errorf(forj.EInvalid, "unknown output format %q; allowed: %s", s, allowedFormats())
}

func allowedFormats() string {
	fs := Formats()
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// Options are the output flags shared by every command: -o, --jq and --template.
type Options struct {
	Format   Format // "" is table
	JQ       string // a jq filter applied to the JSON form
	Template string // a Go text/template executed over the JSON form
}

// Validate rejects bad output flags before the command does anything: an unknown format,
// --jq together with --template, either of them with a non-JSON format, and a jq filter
// or template that does not compile. Errors are *forj.Error with code invalid.
func (o Options) Validate() error {
	if o.Format != "" {
		if _, err := ParseFormat(string(o.Format)); err != nil {
			return err
		}
	}
	if o.JQ != "" && o.Template != "" {
		return forj.Errorf(forj.EInvalid, "--jq and --template cannot be used together")
	}
	flag := ""
	switch {
	case o.JQ != "":
		flag = "--jq"
	case o.Template != "":
		flag = "--template"
	}
	// Both work on the JSON form: -o json is allowed (it says the same), table is the
	// default and so cannot be told apart from "not given".
	if flag != "" && o.Format != "" && o.Format != FormatTable && o.Format != FormatJSON {
		return forj.Errorf(forj.EInvalid, "%s cannot be used with -o %s", flag, o.Format)
	}
	if o.JQ != "" {
		if _, err := compileJQ(o.JQ); err != nil {
			return err
		}
	}
	if o.Template != "" {
		if _, err := template.New("output").Funcs(templateFuncs(nil)).Parse(o.Template); err != nil {
			return forj.Errorf(forj.EInvalid, "invalid --template: %s", strings.TrimPrefix(err.Error(), "template: "))
		}
	}
	return nil
}

// compileJQ parses and compiles a jq filter, reporting where a parse error is.
func compileJQ(expr string) (*gojq.Code, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		if pe, ok := err.(*gojq.ParseError); ok {
			return nil, forj.Errorf(forj.EInvalid, "invalid --jq expression %q: %s at offset %d", expr, pe.Error(), pe.Offset)
		}
		return nil, forj.Errorf(forj.EInvalid, "invalid --jq expression %q: %s", expr, err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, forj.Errorf(forj.EInvalid, "invalid --jq expression %q: %s", expr, err)
	}
	return code, nil
}
