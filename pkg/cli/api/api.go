// Package api implements 'forjctl api': a raw, authenticated request to the server, like
// 'gh api', for routes no command covers yet and for scripting.
package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// Options are the inputs of 'api'.
type Options struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	Method    string
	Path      string
	Fields    []string // -F k=v: typed (numbers, true/false/null, @file)
	RawFields []string // -f k=v: strings
	Input     string   // body file, "-" for stdin
	Headers   []string // -H "Name: value"
	Include   bool     // print the status line and headers too

	header http.Header
	params map[string]any
}

// NewCmdAPI builds 'api'.
func NewCmdAPI(f *cmdutil.Factory) *cobra.Command { return NewCmd(f, nil) }

// NewCmd builds 'api' with an optional runF for tests of parsing.
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "api METHOD PATH",
		Short: "Make an authenticated request to the forj API",
		Long: `Make an authenticated request to the server of the current context and print the
response body (indented JSON on a terminal). The exit code follows the response, as for any
command: 3 for not found, 5 for permission denied, and so on.

Fields (-F/-f key=value) make a JSON object body; with GET or --input they become query
parameters instead. -F reads true, false, null and numbers as JSON values and @FILE as the
file's contents (@- for stdin); -f always sends a string.`,
		Example: `  forjctl api GET /api/v1/workspaces
  forjctl api POST /api/v1/workspace -f name=sandbox -f environment=dev
  forjctl api PATCH /api/v1/workspace/ws_123 --input patch.json -H 'If-Match: "3"'
  forjctl api GET /api/v1/users --jq '.data[].email'`,
		Args: cobra.ExactArgs(2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return []cobra.Completion{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Method, opts.Path = cmd, strings.ToUpper(args[0]), args[1]
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&opts.Fields, "field", "F", nil, "add a typed field key=value (repeatable)")
	fl.StringArrayVarP(&opts.RawFields, "raw-field", "f", nil, "add a string field key=value (repeatable)")
	fl.StringVar(&opts.Input, "input", "", "send this file as the body (- for stdin)")
	fl.StringArrayVarP(&opts.Headers, "header", "H", nil, "add a request header 'Name: value' (repeatable)")
	fl.BoolVarP(&opts.Include, "include", "i", false, "print the response status line and headers before the body")
	_ = cmd.MarkFlagFilename("input")
	return cmd
}

// Validate checks the method, headers and fields before any request.
func (o *Options) Validate() error {
	switch o.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		return cmdutil.FlagErrorf("unknown HTTP method %q; use GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS", o.Method)
	}
	if !strings.HasPrefix(o.Path, "/") {
		o.Path = "/" + o.Path
	}
	o.header = http.Header{}
	for _, h := range o.Headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return cmdutil.FlagErrorf("header %q is not of the form 'Name: value'", h)
		}
		if strings.EqualFold(strings.TrimSpace(name), "Authorization") {
			return cmdutil.FlagErrorf("the Authorization header comes from your login; do not pass one")
		}
		o.header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	o.params = map[string]any{}
	for _, kv := range o.RawFields {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return cmdutil.FlagErrorf("field %q is not of the form key=value", kv)
		}
		o.params[k] = v
	}
	for _, kv := range o.Fields {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return cmdutil.FlagErrorf("field %q is not of the form key=value", kv)
		}
		val, err := o.typed(v)
		if err != nil {
			return err
		}
		o.params[k] = val
	}
	return nil
}

// typed reads a -F value the way gh does.
func (o *Options) typed(v string) (any, error) {
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n, nil
	}
	if strings.HasPrefix(v, "@") {
		b, err := o.readFile(v[1:])
		if err != nil {
			return nil, err
		}
		return string(b), nil
	}
	return v, nil
}

func (o *Options) readFile(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(o.F.IOStreams.In)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "cannot read %s: %v", name, err)}
	}
	return b, nil
}

// Run sends the request and prints the response.
func (o *Options) Run() error {
	ctx := o.Cmd.Context()
	c, _, err := o.F.Client(ctx)
	if err != nil {
		return err
	}
	path := o.Path
	var body io.Reader
	paramsInQuery := o.Method == http.MethodGet || o.Method == http.MethodHead || o.Input != ""
	if len(o.params) > 0 && paramsInQuery {
		q := url.Values{}
		for k, v := range o.params {
			if v == nil {
				v = ""
			}
			q.Add(k, fmt.Sprint(v))
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + q.Encode()
	} else if len(o.params) > 0 {
		b, err := json.Marshal(o.params)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	if o.Input != "" {
		b, err := o.readFile(o.Input)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	if o.header.Get("Accept") == "" {
		o.header.Set("Accept", "application/json")
	}
	resp, err := c.Raw(ctx, o.Method, path, body, o.header)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("reading the response: %w", err)
	}
	ios := o.F.IOStreams
	if o.Include {
		var sb strings.Builder
		fmt.Fprintf(&sb, "%s %s\n", resp.Proto, resp.Status)
		names := make([]string, 0, len(resp.Header))
		for k := range resp.Header {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			for _, v := range resp.Header[k] {
				fmt.Fprintf(&sb, "%s: %s\n", k, v)
			}
		}
		sb.WriteString("\n")
		io.WriteString(ios.Out, sb.String())
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	isJSON := strings.Contains(resp.Header.Get("Content-Type"), "json") && json.Valid(data)
	if err := o.printBody(data, isJSON, ok); err != nil {
		return err
	}
	if !ok {
		return statusError(resp, data)
	}
	return nil
}

// printBody writes the body: through --jq/--template when given (successes only), indented
// JSON on a terminal, else exactly as received.
func (o *Options) printBody(data []byte, isJSON, ok bool) error {
	ios := o.F.IOStreams
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if isJSON && ok && (o.F.Flags.JQ != "" || o.F.Flags.Template != "") {
		var v any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return err
		}
		return printer.Print(ios, printer.Options{JQ: o.F.Flags.JQ, Template: o.F.Flags.Template}, v, printer.Table{})
	}
	if isJSON && ios.IsStdoutTTY() {
		var buf bytes.Buffer
		if json.Indent(&buf, data, "", "  ") == nil {
			buf.WriteByte('\n')
			_, err := ios.Out.Write(buf.Bytes())
			return err
		}
	}
	_, err := ios.Out.Write(data)
	if err == nil && data[len(data)-1] != '\n' && ios.IsStdoutTTY() {
		_, err = io.WriteString(ios.Out, "\n")
	}
	return err
}

// statusError turns an unsuccessful response into the error the exit code comes from: the
// server's own error document when there is one, else a code from the status.
func statusError(resp *http.Response, data []byte) error {
	var doc forj.ErrorBody
	if json.Unmarshal(data, &doc) == nil && doc.Error != nil && doc.Error.Code != "" {
		e := *doc.Error
		e.Message = fmt.Sprintf("%s (HTTP %d)", e.Message, resp.StatusCode)
		return &e
	}
	return forj.Errorf(client.CodeForStatus(resp.StatusCode), "the server answered %s", resp.Status)
}
