package printer

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/iostreams"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func workspaces() []forj.Workspace {
	return []forj.Workspace{
		{ID: "ws_1", Name: "dev", Description: "Day-to-day work", Environment: "dev", Version: 3,
			CreatedBy: "usr_1", UpdatedBy: "usr_1", CreatedAt: now.Add(-3 * time.Minute), UpdatedAt: now.Add(-3 * time.Minute)},
		{ID: "ws_2", Name: "prod", Description: "Customers <live>\tand\nbilled", Environment: "prod", Version: 1,
			CreatedBy: "usr_1", UpdatedBy: "usr_2", CreatedAt: now.Add(-49 * time.Hour), UpdatedAt: now.Add(-2 * time.Hour)},
	}
}

func workspaceTable(active string) Table {
	return Table{
		Columns: []Column{
			{Header: "Name", Value: Field(func(w forj.Workspace) string { return w.Name })},
			{Header: "Environment", Value: Field(func(w forj.Workspace) string { return w.Environment })},
			{Header: "Description", Value: Field(func(w forj.Workspace) string { return w.Description })},
			{Header: "ID", Wide: true, Value: Field(func(w forj.Workspace) string { return w.ID })},
			{Header: "Created", Time: true, Value: Field(func(w forj.Workspace) string { return Time(w.CreatedAt) })},
		},
		Marker: Pred(func(w forj.Workspace) bool { return w.Name == active }),
		NameOf: Field(func(w forj.Workspace) string { return w.Name }),
		Empty:  "No workspaces found",
	}
}

// streams returns test streams at a fixed time; tty makes stdin, stdout and stderr terminals.
func streams(tty bool) (*iostreams.IOStreams, *strings.Builder, *strings.Builder) {
	ios, _, out, errOut := iostreams.Test()
	ios.SetNow(func() time.Time { return now })
	ios.SetStdinTTY(tty)
	ios.SetStdoutTTY(tty)
	ios.SetStderrTTY(tty)
	o, e := &strings.Builder{}, &strings.Builder{}
	ios.Out, ios.ErrOut = multi{out, o}, multi{errOut, e}
	return ios, o, e
}

func run(t *testing.T, tty bool, opts Options, data any, table Table) (string, string) {
	t.Helper()
	ios, out, errOut := streams(tty)
	if err := Print(ios, opts, data, table); err != nil {
		t.Fatalf("Print: %v", err)
	}
	return out.String(), errOut.String()
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": FormatTable, "table": FormatTable, "wide": FormatWide, "json": FormatJSON, "yaml": FormatYAML, "name": FormatName} {
		got, err := ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := ParseFormat("x")
	if err == nil || err.Error() != `unknown output format "x"; allowed: table, wide, json, yaml, name` {
		t.Fatalf("ParseFormat(x) error = %v", err)
	}
	if forj.ErrorCode(err) != forj.EInvalid {
		t.Fatalf("code = %q, want invalid", forj.ErrorCode(err))
	}
	if _, err := ParseFormat("JSON"); err == nil {
		t.Fatal("formats are case-sensitive, as kubectl's")
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string // "" for valid
	}{
		{Options{}, ""},
		{Options{Format: FormatJSON, JQ: ".[].name"}, ""},
		{Options{Format: FormatTable, Template: "{{.}}"}, ""},
		{Options{JQ: "map(.id)"}, ""},
		{Options{Format: "xml"}, `unknown output format "xml"; allowed: table, wide, json, yaml, name`},
		{Options{JQ: ".", Template: "{{.}}"}, "--jq and --template cannot be used together"},
		{Options{Format: FormatYAML, JQ: "."}, "--jq cannot be used with -o yaml"},
		{Options{Format: FormatName, Template: "x"}, "--template cannot be used with -o name"},
		{Options{JQ: ".["}, `invalid --jq expression ".[": unexpected EOF at offset 2`},
		{Options{JQ: ". | }"}, `invalid --jq expression ". | }": unexpected token "}" at offset 5`},
		{Options{JQ: "nosuchfunc"}, `invalid --jq expression "nosuchfunc": function not defined: nosuchfunc/0`},
		{Options{Template: "{{.name"}, `invalid --template: output:1: unclosed action`},
		{Options{Template: "{{nosuch .}}"}, `invalid --template: output:1: function "nosuch" not defined`},
	} {
		err := tc.opts.Validate()
		got := ""
		if err != nil {
			got = err.Error()
			if forj.ErrorCode(err) != forj.EInvalid {
				t.Errorf("%+v: code %q, want invalid", tc.opts, forj.ErrorCode(err))
			}
		}
		if got != tc.want {
			t.Errorf("%+v: Validate() = %q, want %q", tc.opts, got, tc.want)
		}
	}
}

func TestPrintRejectsInvalidOptionsBeforeWriting(t *testing.T) {
	ios, out, errOut := streams(false)
	err := Print(ios, Options{JQ: ".["}, workspaces(), workspaceTable(""))
	if err == nil || out.Len()+errOut.Len() != 0 {
		t.Fatalf("err = %v, stdout %q, stderr %q", err, out, errOut)
	}
}

func TestTableTerminal(t *testing.T) {
	out, errOut := run(t, true, Options{}, workspaces(), workspaceTable("dev"))
	want := "" +
		"   NAME  ENVIRONMENT  DESCRIPTION                  CREATED\n" +
		"*  dev   dev          Day-to-day work              3 minutes ago\n" +
		"   prod  prod         Customers <live> and billed  2 days ago\n"
	if out != want {
		t.Errorf("stdout =\n%s\nwant\n%s", out, want)
	}
	if errOut != "" {
		t.Errorf("stderr = %q", errOut)
	}
	if strings.Contains(out, "\x1b") {
		t.Error("escape sequences with colour off")
	}
}

func TestTableTerminalWide(t *testing.T) {
	out, _ := run(t, true, Options{Format: FormatWide}, workspaces(), workspaceTable("prod"))
	want := "" +
		"   NAME  ENVIRONMENT  DESCRIPTION                  ID    CREATED\n" +
		"   dev   dev          Day-to-day work              ws_1  3 minutes ago\n" +
		"*  prod  prod         Customers <live> and billed  ws_2  2 days ago\n"
	if out != want {
		t.Errorf("stdout =\n%s\nwant\n%s", out, want)
	}
}

func TestTableTerminalWithoutMarker(t *testing.T) {
	tbl := workspaceTable("")
	tbl.Marker = nil
	out, _ := run(t, true, Options{}, workspaces()[:1], tbl)
	want := "" +
		"NAME  ENVIRONMENT  DESCRIPTION      CREATED\n" +
		"dev   dev          Day-to-day work  3 minutes ago\n"
	if out != want {
		t.Errorf("stdout =\n%s\nwant\n%s", out, want)
	}
}

func TestTableTerminalColour(t *testing.T) {
	ios, out, _ := streams(true)
	ios.SetColorEnabled(true)
	if err := Print(ios, Options{}, workspaces(), workspaceTable("dev")); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"\x1b[1m   NAME  ENVIRONMENT  DESCRIPTION                  CREATED\x1b[0m\n" +
		"\x1b[32m*\x1b[0m  dev   dev          Day-to-day work              3 minutes ago\n" +
		"   prod  prod         Customers <live> and billed  2 days ago\n"
	if out.String() != want {
		t.Errorf("stdout =\n%q\nwant\n%q", out.String(), want)
	}
}

func TestTableFitsTerminal(t *testing.T) {
	ios, out, _ := streams(true)
	ios.SetTerminalWidth(50)
	if err := Print(ios, Options{}, workspaces(), workspaceTable("dev")); err != nil {
		t.Fatal(err)
	}
	// The widest column (description) gives way; the others stay whole.
	want := "" +
		"   NAME  ENVIRONMENT  DESCRIPTION    CREATED\n" +
		"*  dev   dev          Day-to-day w…  3 minutes ago\n" +
		"   prod  prod         Customers <l…  2 days ago\n"
	if out.String() != want {
		t.Errorf("stdout =\n%s\nwant\n%s", out.String(), want)
	}
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if w := len([]rune(l)); w > 50 {
			t.Errorf("line %q is %d wide", l, w)
		}
	}

	// -o wide never shortens.
	ios, out, _ = streams(true)
	ios.SetTerminalWidth(50)
	if err := Print(ios, Options{Format: FormatWide}, workspaces(), workspaceTable("dev")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Customers <live> and billed") {
		t.Errorf("wide output was shortened:\n%s", out.String())
	}
}

func TestTablePiped(t *testing.T) {
	out, errOut := run(t, false, Options{}, workspaces(), workspaceTable("dev"))
	want := "" +
		"*\tdev\tdev\tDay-to-day work\t2025-06-01T11:57:00Z\n" +
		"\tprod\tprod\tCustomers <live> and billed\t2025-05-30T11:00:00Z\n"
	if out != want {
		t.Errorf("stdout =\n%q\nwant\n%q", out, want)
	}
	if errOut != "" {
		t.Errorf("stderr = %q", errOut)
	}

	out, _ = run(t, false, Options{Format: FormatWide}, workspaces(), workspaceTable(""))
	want = "" +
		"\tdev\tdev\tDay-to-day work\tws_1\t2025-06-01T11:57:00Z\n" +
		"\tprod\tprod\tCustomers <live> and billed\tws_2\t2025-05-30T11:00:00Z\n"
	if out != want {
		t.Errorf("wide stdout =\n%q\nwant\n%q", out, want)
	}
}

func TestTablePipedIgnoresColourAndWidth(t *testing.T) {
	ios, out, _ := streams(false)
	ios.SetTerminalWidth(20)
	ios.SetColorEnabled(false)
	if err := Print(ios, Options{}, workspaces(), workspaceTable("dev")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Customers <live> and billed") || strings.Contains(out.String(), "\x1b") {
		t.Errorf("piped output shortened or coloured: %q", out.String())
	}
}

func TestTableSingleObject(t *testing.T) {
	w := workspaces()[0]
	out, _ := run(t, false, Options{}, w, workspaceTable("dev"))
	if want := "*\tdev\tdev\tDay-to-day work\t2025-06-01T11:57:00Z\n"; out != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
	// A pointer to the object works as well, through Field's *T case.
	out, _ = run(t, false, Options{Format: FormatName}, &w, workspaceTable("dev"))
	if out != "dev\n" {
		t.Errorf("name of *Workspace = %q", out)
	}
}

func TestEmptyList(t *testing.T) {
	for _, tc := range []struct {
		tty            bool
		format         Format
		data           any
		stdout, stderr string
	}{
		{true, FormatTable, []forj.Workspace{}, "", "No workspaces found\n"},
		{true, FormatWide, []forj.Workspace(nil), "", "No workspaces found\n"},
		{false, FormatTable, []forj.Workspace{}, "", ""},
		{true, FormatJSON, []forj.Workspace{}, "[]\n", ""},
		{false, FormatJSON, []forj.Workspace(nil), "[]\n", ""},
		{true, FormatYAML, []forj.Workspace{}, "[]\n", ""},
		{true, FormatName, []forj.Workspace{}, "", ""},
	} {
		out, errOut := run(t, tc.tty, Options{Format: tc.format}, tc.data, workspaceTable(""))
		if out != tc.stdout || errOut != tc.stderr {
			t.Errorf("tty=%v -o %s: stdout %q stderr %q, want %q %q", tc.tty, tc.format, out, errOut, tc.stdout, tc.stderr)
		}
	}
	tbl := workspaceTable("")
	tbl.Empty = ""
	if _, errOut := run(t, true, Options{}, []forj.Workspace{}, tbl); errOut != "No results found\n" {
		t.Errorf("default empty message = %q", errOut)
	}
}

func TestJSON(t *testing.T) {
	out, _ := run(t, false, Options{Format: FormatJSON}, workspaces()[:1], workspaceTable(""))
	want := `[
  {
    "id": "ws_1",
    "name": "dev",
    "description": "Day-to-day work",
    "color": "",
    "icon": "",
    "environment": "dev",
    "version": 3,
    "createdBy": "usr_1",
    "updatedBy": "usr_1",
    "createdAt": "2025-06-01T11:57:00Z",
    "updatedAt": "2025-06-01T11:57:00Z"
  }
]
`
	if out != want {
		t.Errorf("stdout =\n%s\nwant\n%s", out, want)
	}
	// A single object is an object, and HTML characters are not escaped.
	out, _ = run(t, true, Options{Format: FormatJSON}, map[string]string{"a": "<b>&"}, Table{})
	if want := "{\n  \"a\": \"<b>&\"\n}\n"; out != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
}

func TestYAML(t *testing.T) {
	out, _ := run(t, false, Options{Format: FormatYAML}, workspaces()[1], workspaceTable(""))
	want := `id: ws_2
name: prod
description: |-
  Customers <live>	and
  billed
color: ""
icon: ""
environment: prod
version: 1
createdBy: usr_1
updatedBy: usr_2
createdAt: "2025-05-30T11:00:00Z"
updatedAt: "2025-06-01T10:00:00Z"
`
	if out != want {
		t.Errorf("stdout =\n%s\nwant\n%s", out, want)
	}

	// Strings that YAML would read as something else stay strings; numbers stay exact;
	// empty collections are written inline; key order is the JSON's.
	type doc struct {
		Zeta   string            `json:"zeta"`
		Alpha  string            `json:"alpha"`
		Num    string            `json:"num"`
		Big    int64             `json:"big"`
		Frac   float64           `json:"frac"`
		Null   *string           `json:"null"`
		Labels map[string]string `json:"labels"`
		Perms  []string          `json:"perms"`
		Nested []map[string]bool `json:"nested"`
	}
	out, _ = run(t, false, Options{Format: FormatYAML}, doc{
		Zeta: "true", Alpha: "no", Num: "0123", Big: 1 << 62, Frac: 0.5,
		Labels: map[string]string{}, Perms: []string{}, Nested: []map[string]bool{{"ok": true}},
	}, Table{})
	want = `zeta: "true"
alpha: "no"
num: "0123"
big: 4611686018427387904
frac: 0.5
"null": null
labels: {}
perms: []
nested:
  - ok: true
`
	if out != want {
		t.Errorf("stdout =\n%s\nwant\n%s", out, want)
	}
}

func TestName(t *testing.T) {
	out, _ := run(t, true, Options{Format: FormatName}, workspaces(), workspaceTable(""))
	if out != "dev\nprod\n" {
		t.Errorf("stdout = %q", out)
	}
	ios, _, _ := streams(false)
	err := Print(ios, Options{Format: FormatName}, workspaces(), Table{})
	if err == nil || err.Error() != "-o name is not supported by this command" {
		t.Errorf("no NameOf: err = %v", err)
	}
	err = Print(ios, Options{}, workspaces(), Table{})
	if err == nil || !strings.HasPrefix(err.Error(), "table output is not supported by this command") {
		t.Errorf("no columns: err = %v", err)
	}
}

func TestJQ(t *testing.T) {
	for _, tc := range []struct {
		tty  bool
		expr string
		data any
		want string
	}{
		{false, ".[].name", workspaces(), "dev\nprod\n"},
		{false, ".[] | {name, version}", workspaces(), "{\"name\":\"dev\",\"version\":3}\n{\"name\":\"prod\",\"version\":1}\n"},
		{true, ".[0] | {name, version}", workspaces(), "{\n  \"name\": \"dev\",\n  \"version\": 3\n}\n"},
		{false, "map(.version) | add", workspaces(), "4\n"},
		{false, "length", []forj.Workspace{}, "0\n"},
		{false, ".", []forj.Workspace(nil), "[]\n"},
		{false, ".big", map[string]int64{"big": 1<<62 + 1}, "4611686018427387905\n"},
		{false, `.[] | select(.environment == "prod") | .id`, workspaces(), "ws_2\n"},
		{false, ".[].name, halt, 1", workspaces(), "dev\nprod\n"},
	} {
		out, errOut := run(t, tc.tty, Options{JQ: tc.expr}, tc.data, Table{})
		if out != tc.want || errOut != "" {
			t.Errorf("--jq %q (tty=%v): stdout %q stderr %q, want %q", tc.expr, tc.tty, out, errOut, tc.want)
		}
	}

	ios, out, _ := streams(false)
	err := Print(ios, Options{JQ: ".[] | .name, error(\"boom\")"}, workspaces(), Table{})
	if err == nil || err.Error() != "jq: error: boom" {
		t.Errorf("runtime error = %v", err)
	}
	if out.String() != "dev\n" {
		t.Errorf("output before the error = %q, want %q", out.String(), "dev\n")
	}
}

func TestTemplate(t *testing.T) {
	tpl := `{{range .}}{{.name}} ({{.environment}}) {{timeago .createdAt}} {{timefmt "2006-01-02" .createdAt}} {{.version}}{{"\n"}}{{end}}`
	out, _ := run(t, false, Options{Template: tpl}, workspaces(), Table{})
	want := "dev (dev) 3 minutes ago 2025-06-01 3\nprod (prod) 2 days ago 2025-05-30 1\n"
	if out != want {
		t.Errorf("stdout =\n%s\nwant\n%s", out, want)
	}

	type item struct {
		Name   string            `json:"name"`
		Perms  []string          `json:"perms"`
		Labels map[string]string `json:"labels"`
		Big    int64             `json:"big"`
		When   string            `json:"when"`
	}
	data := item{Name: "Release", Perms: []string{"a.read", "a.write"}, Labels: map[string]string{"team": "x"}, Big: 1 << 62}
	for tpl, want := range map[string]string{
		`{{json .labels}}`:                `{"team":"x"}`,
		`{{join ", " .perms}}`:            "a.read, a.write",
		`{{upper .name}} {{lower .name}}`: "RELEASE release",
		`{{truncate 4 .name}}`:            "Rel…",
		`{{.big}}`:                        "4611686018427387904",
		`[{{timeago .when}}]`:             "[]",
		`{{color "green" .name}}`:         "Release",
	} {
		out, _ := run(t, false, Options{Template: tpl}, data, Table{})
		if out != want {
			t.Errorf("--template %s = %q, want %q", tpl, out, want)
		}
	}

	ios, out2, _ := streams(true)
	ios.SetColorEnabled(true)
	if err := Print(ios, Options{Template: `{{color "green" .name}}`}, data, Table{}); err != nil {
		t.Fatal(err)
	}
	if out2.String() != "\x1b[32mRelease\x1b[0m" {
		t.Errorf("coloured template = %q", out2.String())
	}

	ios, out2, _ = streams(false)
	err := Print(ios, Options{Template: `{{.name}} {{color "pink" .name}}`}, data, Table{})
	if err == nil || !strings.Contains(err.Error(), `unknown colour "pink"`) {
		t.Errorf("bad colour: err = %v", err)
	}
	if out2.Len() != 0 {
		t.Errorf("a failing template wrote %q", out2.String())
	}
	err = Print(ios, Options{Template: `{{timeago .name}}`}, data, Table{})
	if err == nil || !strings.Contains(err.Error(), `want an RFC 3339 time, got "Release"`) {
		t.Errorf("timeago of a non-time: err = %v", err)
	}
}

func TestPrintError(t *testing.T) {
	e := forj.Errorf(forj.ENotFound, `workspace "stagin" not found`).WithHint(`did you mean "staging"? run "forjctl workspace list"`)

	ios, out, errOut := streams(false)
	PrintError(ios, FormatJSON, e)
	want := `{"error":{"code":"not_found","message":"workspace \"stagin\" not found","hint":"did you mean \"staging\"? run \"forjctl workspace list\""}}` + "\n"
	if errOut.String() != want || out.Len() != 0 {
		t.Errorf("json: stderr %q stdout %q", errOut.String(), out.String())
	}

	for _, f := range []Format{FormatTable, FormatYAML, ""} {
		ios, out, errOut = streams(true)
		PrintError(ios, f, e)
		want = "Error: workspace \"stagin\" not found\nHint: did you mean \"staging\"? run \"forjctl workspace list\"\n"
		if errOut.String() != want || out.Len() != 0 {
			t.Errorf("-o %q: stderr %q stdout %q", f, errOut.String(), out.String())
		}
	}

	ios, _, errOut = streams(false)
	PrintError(ios, FormatTable, forj.Errorf(forj.EInternal, "server\nexploded"))
	if errOut.String() != "Error: server exploded\n" {
		t.Errorf("no hint: stderr %q", errOut.String())
	}

	ios, _, errOut = streams(true)
	ios.SetColorEnabled(true)
	PrintError(ios, FormatTable, e)
	want = "\x1b[31mError:\x1b[0m workspace \"stagin\" not found\n\x1b[36mHint:\x1b[0m did you mean \"staging\"? run \"forjctl workspace list\"\n"
	if errOut.String() != want {
		t.Errorf("colour: stderr %q", errOut.String())
	}

	ios, out, errOut = streams(true)
	PrintError(ios, FormatJSON, nil)
	if out.Len()+errOut.Len() != 0 {
		t.Error("nil error printed something")
	}
}

func TestBarChart(t *testing.T) {
	ios, _, _ := streams(true)
	rows := []BarRow{
		{Label: "prod", Value: 1200},
		{Label: "staging", Value: 310},
		{Label: "dev", Value: 0},
		{Label: "broken", Value: -5, Display: "n/a"},
	}
	got := BarChart(ios, rows, 40)
	want := "" +
		"prod     █████████████████████████  1200\n" +
		"staging  ██████▌                     310\n" +
		"dev                                    0\n" +
		"broken                               n/a\n"
	if got != want {
		t.Errorf("chart =\n%s\nwant\n%s", got, want)
	}
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if n := len([]rune(l)); n != 40 {
			t.Errorf("line %q is %d wide, want 40", l, n)
		}
	}
	if BarChart(ios, nil, 40) != "" {
		t.Error("no rows: want empty chart")
	}

	ios.SetColorEnabled(true)
	if got := BarChart(ios, rows[:1], 20); !strings.Contains(got, "\x1b[36m") {
		t.Errorf("colour chart = %q", got)
	}
	ios.SetTerminalWidth(30)
	ios.SetColorEnabled(false)
	if got := BarChart(ios, rows[:2], 0); len([]rune(strings.Split(got, "\n")[0])) != 30 {
		t.Errorf("width 0 should use the terminal width:\n%s", got)
	}
}

func TestTimeAgo(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Second:     "less than a minute ago",
		time.Minute:          "1 minute ago",
		3 * time.Minute:      "3 minutes ago",
		90 * time.Minute:     "1 hour ago",
		49 * time.Hour:       "2 days ago",
		45 * 24 * time.Hour:  "1 month ago",
		800 * 24 * time.Hour: "2 years ago",
		-3 * 24 * time.Hour:  "in 3 days",
		-10 * time.Second:    "in less than a minute",
	} {
		if got := TimeAgo(now, now.Add(-d)); got != want {
			t.Errorf("TimeAgo(-%v) = %q, want %q", d, got, want)
		}
	}
	if Time(time.Time{}) != "" || TimePtr(nil) != "" {
		t.Error("zero and nil times must be empty")
	}
	local := time.Date(2025, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))
	if got := TimePtr(&local); got != "2025-01-02T02:04:05Z" {
		t.Errorf("Time = %q", got)
	}
}

func TestFieldWrongTypePanics(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(fmt.Sprint(r), "column expects forj.Workspace") {
			t.Errorf("recover() = %v", r)
		}
	}()
	Field(func(w forj.Workspace) string { return w.Name })(forj.User{})
}

func TestTableRelativeTimeKeepsNonTimes(t *testing.T) {
	tbl := Table{Columns: []Column{{Header: "Expires", Time: true, Value: func(item any) string { return item.(string) }}}}
	out, _ := run(t, true, Options{}, []string{"never", "", "2025-06-04T12:00:00Z"}, tbl)
	want := "EXPIRES\nnever\n\nin 3 days\n"
	if out != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
}

func TestNoEscapesWithColourOff(t *testing.T) {
	for _, tty := range []bool{true, false} {
		for _, opts := range []Options{
			{Format: FormatTable}, {Format: FormatWide}, {Format: FormatJSON}, {Format: FormatYAML},
			{Format: FormatName}, {JQ: ".[].name"}, {Template: `{{range .}}{{color "red" .name}}{{end}}`},
		} {
			ios, out, errOut := streams(tty)
			if err := Print(ios, opts, workspaces(), workspaceTable("dev")); err != nil {
				t.Fatal(err)
			}
			PrintError(ios, opts.Format, forj.Errorf(forj.EInvalid, "bad").WithHint("fix"))
			if strings.Contains(out.String()+errOut.String()+BarChart(ios, []BarRow{{Label: "a", Value: 1}}, 20), "\x1b") {
				t.Errorf("tty=%v %+v: escape sequence with colour off:\n%q\n%q", tty, opts, out, errOut)
			}
		}
	}
}
