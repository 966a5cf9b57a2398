package printer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/forjinn/forjctl/pkg/iostreams"
)

// templateFuncs are the helpers --template offers besides text/template's own. ios is nil
// when a template is only parsed (Validate); the helpers are not called then.
func templateFuncs(ios *iostreams.IOStreams) template.FuncMap {
	now := time.Now
	if ios != nil {
		now = ios.Now
	}
	return template.FuncMap{
		// json renders a value as compact JSON: {{json .labels}}.
		"json": func(v any) (string, error) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err != nil {
				return "", err
			}
			return strings.TrimRight(buf.String(), "\n"), nil
		},
		// timeago renders an RFC 3339 time relative to now: {{timeago .createdAt}}.
		"timeago": func(v any) (string, error) {
			t, ok, err := templateTime(v)
			if !ok || err != nil {
				return "", err
			}
			return TimeAgo(now(), t), nil
		},
		// timefmt renders an RFC 3339 time with a Go layout: {{timefmt "2006-01-02" .createdAt}}.
		"timefmt": func(layout string, v any) (string, error) {
			t, ok, err := templateTime(v)
			if !ok || err != nil {
				return "", err
			}
			return t.Format(layout), nil
		},
		// truncate shortens text to n cells, ending with "…": {{truncate 20 .description}}.
		"truncate": func(n int, v any) string {
			return ansi.Truncate(fmt.Sprint(v), n, "…")
		},
		// join joins a list's elements: {{join ", " .permissions}}.
		"join": func(sep string, v any) (string, error) {
			list, ok := v.([]any)
			if !ok && v != nil {
				return "", fmt.Errorf("join: want a list, got %T", v)
			}
			parts := make([]string, len(list))
			for i, e := range list {
				parts[i] = fmt.Sprint(e)
			}
			return strings.Join(parts, sep), nil
		},
		"upper": func(v any) string { return strings.ToUpper(fmt.Sprint(v)) },
		"lower": func(v any) string { return strings.ToLower(fmt.Sprint(v)) },
		// color styles text when stdout has colour: {{color "green" .status}}.
		"color": func(name string, v any) (string, error) {
			cs := ios.ColorScheme()
			f, ok := map[string]func(string) string{
				"bold": cs.Bold, "red": cs.Red, "green": cs.Green,
				"yellow": cs.Yellow, "cyan": cs.Cyan, "gray": cs.Gray,
			}[name]
			if !ok {
				return "", fmt.Errorf("color: unknown colour %q; allowed: bold, red, green, yellow, cyan, gray", name)
			}
			return f(fmt.Sprint(v)), nil
		},
	}
}

// templateTime reads an RFC 3339 string; ok is false for a missing or empty value, which
// renders as "" (an optional time such as a key's expiry).
func templateTime(v any) (t time.Time, ok bool, err error) {
	s, isString := v.(string)
	if v == nil || (isString && s == "") {
		return time.Time{}, false, nil
	}
	if !isString {
		return time.Time{}, false, fmt.Errorf("want an RFC 3339 time, got %T", v)
	}
	t, err = time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("want an RFC 3339 time, got %q", s)
	}
	return t, true, nil
}
