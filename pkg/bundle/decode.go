package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/forjinn/forjctl/pkg/forj"
)

// checkAsset validates an asset file's fields (not its path): "" when it is fine.
func checkAsset(a *AssetFile) string {
	info, ok := forj.LookupKind(a.Kind)
	if !ok {
		return fmt.Sprintf("unknown asset kind %q (want one of %s)", a.Kind, kindList())
	}
	if err := validateName("asset", a.Name); err != nil {
		return forj.ErrorMessage(err)
	}
	if !utf8.ValidString(a.Description) {
		return "description is not valid UTF-8"
	}
	if err := forj.ValidateLabels(a.Labels); err != nil {
		return forj.ErrorMessage(err)
	}
	for k, v := range a.Labels {
		if !utf8.ValidString(v) {
			return fmt.Sprintf("label %q: value is not valid UTF-8", k)
		}
	}
	if problem := checkSpec(a.Spec); problem != "" {
		return problem
	}
	if a.Documents != nil && !info.Document {
		return fmt.Sprintf(`"documents" on a %s: only datasets hold documents`, a.Kind)
	}
	seen := make(map[string]bool, len(a.Documents))
	for _, d := range a.Documents {
		if err := validateName("document", d.Name); err != nil {
			return forj.ErrorMessage(err)
		}
		if seen[d.Name] {
			return fmt.Sprintf("document %q listed twice", d.Name)
		}
		seen[d.Name] = true
		if d.Size < 0 {
			return fmt.Sprintf("document %q: negative size %d", d.Name, d.Size)
		}
		if !validSHA256(d.SHA256) {
			return fmt.Sprintf("document %q: sha256 %q is not 64 lower-case hex digits", d.Name, d.SHA256)
		}
	}
	if a.Secret != nil {
		if !info.Secret {
			return fmt.Sprintf(`"secret" on a %s: only credentials hold secret data`, a.Kind)
		}
		if a.Secret.Stub == (len(a.Secret.Sealed) > 0) {
			return `secret must be {"stub":true} or {"sealed":"<base64>"}`
		}
		if len(a.Secret.Sealed) > MaxSealedBytes {
			return fmt.Sprintf("sealed secret of %d bytes; the limit is %d", len(a.Secret.Sealed), MaxSealedBytes)
		}
		if a.Secret.Sealed != nil && len(a.Secret.Sealed) < nonceBytes+tagBytes {
			return fmt.Sprintf("sealed secret of %d bytes is too short", len(a.Secret.Sealed))
		}
	}
	return ""
}

// checkSpec: a JSON object of at most forj.MaxAssetSpecBytes (compact).
func checkSpec(spec json.RawMessage) string {
	t := bytes.TrimLeft(spec, " \t\r\n")
	if len(t) == 0 {
		return `"spec" is missing`
	}
	if t[0] != '{' {
		return `"spec" must be a JSON object`
	}
	var c bytes.Buffer
	if err := json.Compact(&c, spec); err != nil {
		return fmt.Sprintf(`"spec" is not valid JSON: %v`, err)
	}
	if c.Len() > forj.MaxAssetSpecBytes {
		return fmt.Sprintf(`"spec" is %d bytes (compact); the limit is %d`, c.Len(), forj.MaxAssetSpecBytes)
	}
	return ""
}

func sortDocs(d []DocumentRef) {
	slices.SortFunc(d, func(a, b DocumentRef) int { return strings.Compare(a.Name, b.Name) })
}

// decodeAsset decodes an asset file strictly.
func decodeAsset(raw []byte) (*AssetFile, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	a := &AssetFile{}
	var hasKind, hasName bool
	err := decodeObject(dec, "the asset file", map[string]func(*json.Decoder) error{
		"kind":        func(d *json.Decoder) error { hasKind = true; return d.Decode(&a.Kind) },
		"name":        func(d *json.Decoder) error { hasName = true; return d.Decode(&a.Name) },
		"description": func(d *json.Decoder) error { return d.Decode(&a.Description) },
		"labels":      func(d *json.Decoder) error { return d.Decode(&a.Labels) },
		"spec":        func(d *json.Decoder) error { return d.Decode(&a.Spec) },
		"documents": func(d *json.Decoder) error {
			docs, err := decodeArray(d, "documents", func(d *json.Decoder) (DocumentRef, error) {
				var r DocumentRef
				err := decodeObject(d, "a document", map[string]func(*json.Decoder) error{
					"name":   func(d *json.Decoder) error { return d.Decode(&r.Name) },
					"size":   func(d *json.Decoder) error { return d.Decode(&r.Size) },
					"sha256": func(d *json.Decoder) error { return d.Decode(&r.SHA256) },
				})
				return r, err
			})
			if docs == nil && err == nil {
				docs = []DocumentRef{}
			}
			a.Documents = docs
			return err
		},
		"secret": func(d *json.Decoder) error {
			var raw json.RawMessage
			if err := d.Decode(&raw); err != nil {
				return err
			}
			if string(bytes.TrimSpace(raw)) == "null" {
				return nil
			}
			a.Secret = &SecretField{}
			return a.Secret.UnmarshalJSON(raw)
		},
	})
	if err != nil {
		return nil, err
	}
	if err := endOfJSON(dec); err != nil {
		return nil, err
	}
	switch {
	case !hasKind:
		return nil, fmt.Errorf(`field "kind" is missing`)
	case !hasName:
		return nil, fmt.Errorf(`field "name" is missing`)
	case a.Spec == nil:
		return nil, fmt.Errorf(`field "spec" is missing`)
	}
	return a, nil
}

// decodeArray decodes a JSON array (or null, giving nil) element by element.
func decodeArray[T any](dec *json.Decoder, what string, elem func(*json.Decoder) (T, error)) ([]T, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, jsonErr(dec, err)
	}
	if t == nil {
		return nil, nil
	}
	if d, ok := t.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("%s must be a JSON array", what)
	}
	var out []T
	for dec.More() {
		v, err := elem(dec)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, jsonErr(dec, err)
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}

// decodeManifest decodes manifest.json strictly, stopping at maxEntries entries. Format and
// version are checked first, so that a newer bundle is reported as such rather than by the
// fields this version does not know.
func decodeManifest(raw []byte, maxEntries int64) (*Manifest, error) {
	var head struct {
		Format  *string          `json:"format"`
		Version *json.RawMessage `json:"version"`
	}
	if json.Unmarshal(raw, &head) == nil {
		if head.Format != nil && *head.Format != Format {
			return nil, fmt.Errorf("format %q is not a bundle of this kind (want %q)", *head.Format, Format)
		}
		if head.Version != nil && string(*head.Version) != "1" {
			return nil, fmt.Errorf("version %s is not supported (supported versions: %d)", *head.Version, Version)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	m := &Manifest{}
	var hasFormat, hasVersion, hasEntries bool
	var version json.Number
	err := decodeObject(dec, "the manifest", map[string]func(*json.Decoder) error{
		"format":  func(d *json.Decoder) error { hasFormat = true; return d.Decode(&m.Format) },
		"version": func(d *json.Decoder) error { hasVersion = true; return d.Decode(&version) },
		"workspace": func(d *json.Decoder) error {
			w := &m.Workspace
			return decodeObject(d, "the workspace", map[string]func(*json.Decoder) error{
				"id":          func(d *json.Decoder) error { return d.Decode(&w.ID) },
				"name":        func(d *json.Decoder) error { return d.Decode(&w.Name) },
				"description": func(d *json.Decoder) error { return d.Decode(&w.Description) },
				"environment": func(d *json.Decoder) error { return d.Decode(&w.Environment) },
			})
		},
		"encryption": func(d *json.Decoder) error {
			var raw json.RawMessage
			if err := d.Decode(&raw); err != nil {
				return err
			}
			if string(bytes.TrimSpace(raw)) == "null" {
				return nil
			}
			e := &Encryption{}
			m.Encryption = e
			d2 := json.NewDecoder(bytes.NewReader(raw))
			return decodeObject(d2, "the encryption block", map[string]func(*json.Decoder) error{
				"kdf":    func(d *json.Decoder) error { return d.Decode(&e.KDF) },
				"n":      func(d *json.Decoder) error { return d.Decode(&e.N) },
				"r":      func(d *json.Decoder) error { return d.Decode(&e.R) },
				"p":      func(d *json.Decoder) error { return d.Decode(&e.P) },
				"salt":   func(d *json.Decoder) error { return d.Decode(&e.Salt) },
				"cipher": func(d *json.Decoder) error { return d.Decode(&e.Cipher) },
				"check":  func(d *json.Decoder) error { return d.Decode(&e.Check) },
			})
		},
		"entries": func(d *json.Decoder) error {
			hasEntries = true
			n := int64(0)
			var err error
			m.Entries, err = decodeArray(d, "entries", func(d *json.Decoder) (Entry, error) {
				if n++; n > maxEntries {
					return Entry{}, fmt.Errorf("more than %d entries; the limit is %d", maxEntries, maxEntries)
				}
				var e Entry
				err := decodeObject(d, "an entry", map[string]func(*json.Decoder) error{
					"path":   func(d *json.Decoder) error { return d.Decode(&e.Path) },
					"size":   func(d *json.Decoder) error { return d.Decode(&e.Size) },
					"sha256": func(d *json.Decoder) error { return d.Decode(&e.SHA256) },
				})
				return e, err
			})
			return err
		},
	})
	if err != nil {
		return nil, err
	}
	if err := endOfJSON(dec); err != nil {
		return nil, err
	}
	switch {
	case !hasFormat:
		return nil, fmt.Errorf(`field "format" is missing (want %q)`, Format)
	case m.Format != Format:
		return nil, fmt.Errorf("format %q is not a bundle of this kind (want %q)", m.Format, Format)
	case !hasVersion:
		return nil, fmt.Errorf(`field "version" is missing (supported versions: %d)`, Version)
	}
	v, err := version.Int64()
	if err != nil || v != Version {
		return nil, fmt.Errorf("version %s is not supported (supported versions: %d)", version, Version)
	}
	m.Version = int(v)
	if !hasEntries {
		return nil, fmt.Errorf(`field "entries" is missing`)
	}
	if m.Entries == nil {
		m.Entries = []Entry{}
	}
	return m, nil
}
