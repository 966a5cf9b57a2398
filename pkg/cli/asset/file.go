package asset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/forj"
	"go.yaml.in/yaml/v3"
)

// An asset file is what 'create -f' and 'update -f' read: a JSON or YAML object with the
// fields name, description, labels, spec and (credentials only) secret. The read-only
// fields of the API's object (id, workspaceId, version, …) are accepted and ignored, so
// the output of 'get -o yaml' can be edited and fed back; its version, when present, is
// the version 'update' expects to change.
type assetFile struct {
	Name        *string
	Description *string
	Labels      *map[string]string
	Spec        json.RawMessage
	Secret      json.RawMessage // an object, or null (update: remove the secret)
	Kind        string
	Version     int64
}

// writableFields and readOnlyFields are the members an asset file may hold.
var (
	writableFields = []string{"name", "description", "labels", "spec", "secret"}
	readOnlyFields = []string{"id", "workspaceId", "kind", "version", "origin", "hasSecret", "createdBy", "updatedBy", "createdAt", "updatedAt"}
)

// maxAssetFile bounds what is read from an asset file: a spec, a secret and some slack.
const maxAssetFile = forj.MaxAssetSpecBytes + forj.MaxSecretDataBytes + 64<<10

// readAssetFile reads FILE, or stdin for "-", as an asset file of kind k.
func readAssetFile(f *cmdutil.Factory, name string, k forj.KindInfo) (*assetFile, error) {
	var r io.Reader
	display := name
	if name == "-" {
		r, display = f.IOStreams.In, "standard input"
	} else {
		fh, err := os.Open(name)
		if err != nil {
			return nil, &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "cannot read %s: %v", name, unwrapPathError(err))}
		}
		defer fh.Close()
		r = fh
	}
	data, err := io.ReadAll(io.LimitReader(r, maxAssetFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", display, err)
	}
	if len(data) > maxAssetFile {
		return nil, forj.Errorf(forj.ETooLarge, "%s is larger than %d bytes", display, maxAssetFile)
	}
	af, err := parseAssetFile(data, k)
	if err != nil {
		var fe *forj.Error
		if errors.As(err, &fe) {
			return nil, &cmdutil.FlagError{Err: forj.Errorf(fe.Code, "%s: %s", display, fe.Message).WithHint("%s", fe.Hint)}
		}
		return nil, &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "%s: %v", display, err)}
	}
	return af, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseAssetFile decodes an asset file, JSON or YAML.
func parseAssetFile(data []byte, k forj.KindInfo) (*assetFile, error) {
	doc, err := toJSON(data)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return nil, forj.Errorf(forj.EInvalid, "not a JSON or YAML object").
			WithHint("write an object with name, description, labels and spec, e.g. as 'forjctl %s get NAME -o yaml' prints it", k.Name)
	}
	af := &assetFile{}
	for key, raw := range fields {
		var err error
		switch key {
		case "name":
			af.Name = new(string)
			err = json.Unmarshal(raw, af.Name)
		case "description":
			af.Description = new(string)
			err = json.Unmarshal(raw, af.Description)
		case "labels":
			af.Labels = &map[string]string{}
			err = json.Unmarshal(raw, af.Labels)
			if err != nil {
				err = errors.New("want an object of strings")
			} else if *af.Labels == nil {
				*af.Labels = map[string]string{} // labels: null clears them
			}
		case "spec":
			if !isObject(raw) {
				err = errors.New("want an object")
			}
			af.Spec = raw
		case "secret":
			if !k.Secret {
				return nil, forj.Errorf(forj.EInvalid, "%s has no secret data; only credentials do", article(k.Name)).
					WithHint("remove the secret field")
			}
			if !isObject(raw) && strings.TrimSpace(string(raw)) != "null" {
				err = errors.New("want an object (or null to remove the secret data)")
			}
			af.Secret = raw
		case "kind":
			err = json.Unmarshal(raw, &af.Kind)
			if err == nil && af.Kind != k.Name {
				return nil, forj.Errorf(forj.EInvalid, "the file describes %s, not %s", article(af.Kind), article(k.Name)).
					WithHint("use: forjctl %s …", af.Kind)
			}
		case "version":
			var n json.Number
			if err = json.Unmarshal(raw, &n); err == nil {
				af.Version, err = strconv.ParseInt(n.String(), 10, 64)
			}
		default:
			if slices.Contains(readOnlyFields, key) {
				continue
			}
			return nil, forj.Errorf(forj.EInvalid, "unknown field %q", key).
				WithHint("an asset file holds %s", strings.Join(writableFields, ", "))
		}
		if err != nil {
			return nil, forj.Errorf(forj.EInvalid, "field %q: %s", key, cleanJSONError(err))
		}
	}
	return af, nil
}

func cleanJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "want a " + te.Type.String() + ", not a " + te.Value
	}
	return err.Error()
}

func isObject(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && t[0] == '{'
}

// toJSON returns data as JSON: as it is when it is JSON, converted when it is YAML.
func toJSON(data []byte) ([]byte, error) {
	t := bytes.TrimSpace(data)
	if len(t) > 0 && t[0] == '{' {
		if !json.Valid(t) {
			var v any
			err := json.Unmarshal(t, &v)
			return nil, forj.Errorf(forj.EInvalid, "invalid JSON: %v", err)
		}
		return t, nil
	}
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, forj.Errorf(forj.EInvalid, "invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if n.Kind == 0 {
		return nil, forj.Errorf(forj.EInvalid, "the file is empty")
	}
	v, err := yamlValue(&n)
	if err != nil {
		return nil, forj.Errorf(forj.EInvalid, "%v", err)
	}
	return json.Marshal(v)
}

// yamlValue converts a YAML node to a value that encodes as the same JSON document.
// Timestamps stay strings (as the API writes them); mapping keys must be strings.
func yamlValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return yamlValue(n.Content[0])
	case yaml.AliasNode:
		return yamlValue(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn := n.Content[i]
			if kn.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a mapping key must be a string", kn.Line)
			}
			v, err := yamlValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[kn.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlValue(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool", "!!int", "!!float":
			var v any
			if err := n.Decode(&v); err != nil {
				return nil, fmt.Errorf("line %d: %v", n.Line, err)
			}
			if f, ok := v.(float64); ok && (f != f || f > 1.7976931348623157e308 || f < -1.7976931348623157e308) {
				return nil, fmt.Errorf("line %d: %s is not a JSON number", n.Line, n.Value)
			}
			return v, nil
		}
		return n.Value, nil
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
}

// warnReadable warns when a file holding secret data can be read by other users.
func warnReadable(f *cmdutil.Factory, name string) {
	if name == "-" || runtime.GOOS == "windows" {
		return // Windows has no such mode bits
	}
	st, err := os.Stat(name)
	if err != nil || st.Mode().Perm()&0o077 == 0 {
		return
	}
	cs := f.IOStreams.ErrColorScheme()
	fmt.Fprintf(f.IOStreams.ErrOut, "%s %s holds secret data and can be read by other users (mode %04o); consider: chmod 600 %s\n",
		cs.Yellow("Warning:"), name, st.Mode().Perm(), name)
}

// article puts "a" or "an" before a kind: "a flow", "an agent".
func article(kind string) string {
	if kind != "" && strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}
