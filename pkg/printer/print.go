package printer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/template"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/iostreams"
	"github.com/itchyny/gojq"
)

// Print writes data, a single object or a slice of them, to ios.Out as opts ask:
//
//   - table, wide: see Table; needs table's columns.
//   - json: the API's objects, indented; a slice is a JSON array and an empty one is [].
//   - yaml: the same document as YAML, keys named and ordered as in the JSON.
//   - name: table.NameOf of each item, one a line.
//   - --jq: the filter runs over the JSON form; strings print raw (like jq -r), other
//     results as JSON, indented on a terminal and one a line when piped.
//   - --template: a text/template executed once over the JSON form (maps keyed by the
//     API's field names), with the helpers listed in docs/output.md.
func Print(ios *iostreams.IOStreams, opts Options, data any, table Table) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	switch {
	case opts.JQ != "":
		return printJQ(ios, opts.JQ, data)
	case opts.Template != "":
		return printTemplate(ios, opts.Template, data)
	}
	switch opts.Format {
	case "", FormatTable:
		return printTable(ios, table, data, false)
	case FormatWide:
		return printTable(ios, table, data, true)
	case FormatJSON:
		b, err := jsonIndent(data)
		if err != nil {
			return err
		}
		_, err = ios.Out.Write(b)
		return err
	case FormatYAML:
		b, err := jsonForm(data)
		if err != nil {
			return err
		}
		y, err := jsonToYAML(b)
		if err != nil {
			return err
		}
		_, err = ios.Out.Write(y)
		return err
	case FormatName:
		if table.NameOf == nil {
			return forj.Errorf(forj.EInvalid, "-o name is not supported by this command")
		}
		var sb strings.Builder
		for _, item := range items(data) {
			sb.WriteString(oneLine(table.NameOf(item)))
			sb.WriteByte('\n')
		}
		_, err := io.WriteString(ios.Out, sb.String())
		return err
	}
	return fmt.Errorf("printer: unhandled format %q", opts.Format) // Validate let it through
}

// isList reports whether data is printed as a list: a slice or array other than raw bytes.
func isList(data any) (reflect.Value, bool) {
	v := reflect.ValueOf(data)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if (v.Kind() == reflect.Slice || v.Kind() == reflect.Array) && v.Type().Elem().Kind() != reflect.Uint8 {
		return v, true
	}
	return v, false
}

// items returns the elements of a list, or data itself as the only item.
func items(data any) []any {
	v, ok := isList(data)
	if !ok {
		if data == nil {
			return nil
		}
		return []any{data}
	}
	out := make([]any, v.Len())
	for i := range out {
		out[i] = v.Index(i).Interface()
	}
	return out
}

// jsonForm is data's compact JSON, the single source of every non-table format, so that
// json, yaml, jq and templates all see the API's field names. An empty or nil list is [].
func jsonForm(data any) ([]byte, error) {
	if v, ok := isList(data); ok && v.Len() == 0 {
		return []byte("[]"), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "<" stays "<": this is for people and jq, not for HTML
	if err := enc.Encode(data); err != nil {
		return nil, fmt.Errorf("printer: encoding output: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func jsonIndent(data any) ([]byte, error) {
	b, err := jsonForm(data)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// decoded is data's JSON form decoded into maps, slices and json.Numbers (numbers stay
// exact: an int64 id does not become 1.2e+18).
func decoded(data any) (any, error) {
	b, err := jsonForm(data)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func printJQ(ios *iostreams.IOStreams, expr string, data any) error {
	code, err := compileJQ(expr)
	if err != nil {
		return err
	}
	input, err := decoded(data)
	if err != nil {
		return err
	}
	indent := ios.IsStdoutTTY()
	var buf bytes.Buffer
	iter := code.Run(input)
	for {
		v, ok := iter.Next()
		if !ok {
			break
		}
		if err, ok := v.(error); ok {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				break // "halt": stop quietly, like jq
			}
			// What was produced before the error is still printed, as jq does.
			ios.Out.Write(buf.Bytes())
			return forj.Errorf(forj.EInvalid, "jq: %s", err)
		}
		if s, ok := v.(string); ok {
			buf.WriteString(s)
			buf.WriteByte('\n')
			continue
		}
		b, err := gojq.Marshal(v)
		if err != nil {
			return fmt.Errorf("jq: encoding result: %w", err)
		}
		if indent {
			if err := json.Indent(&buf, b, "", "  "); err != nil {
				return err
			}
		} else {
			buf.Write(b)
		}
		buf.WriteByte('\n')
	}
	_, err = ios.Out.Write(buf.Bytes())
	return err
}

func printTemplate(ios *iostreams.IOStreams, text string, data any) error {
	t, err := template.New("output").Funcs(templateFuncs(ios)).Parse(text)
	if err != nil {
		return forj.Errorf(forj.EInvalid, "invalid --template: %s", strings.TrimPrefix(err.Error(), "template: "))
	}
	input, err := decoded(data)
	if err != nil {
		return err
	}
	// Executed into a buffer so that a failing template prints nothing half-done.
	var buf bytes.Buffer
	if err := t.Execute(&buf, input); err != nil {
		return forj.Errorf(forj.EInvalid, "--template: %s", strings.TrimPrefix(err.Error(), "template: "))
	}
	_, err = ios.Out.Write(buf.Bytes())
	return err
}
