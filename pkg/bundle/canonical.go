package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"github.com/forjinn/forjctl/pkg/forj"
)

// MaxAssetFileBytes bounds an asset file in canonical form. Write refuses an asset whose file
// would be larger, and Read refuses an asset file whose canonical form would be (so that what
// was imported can be exported again). It is also DefaultLimits' MaxAssetBytes. A spec within
// forj.MaxAssetSpecBytes exceeds it only when deeply nested: indentation grows with depth.
const MaxAssetFileBytes = 8 << 20

// errCanonTooLarge stops a canonical encoding beyond its bound.
var errCanonTooLarge = errors.New("too large")

// canonicalJSON encodes v (through encoding/json) canonically: keys sorted at every depth,
// 2-space indentation, numbers as written, strings escaped as encoding/json escapes them but
// without HTML escaping, a trailing newline. It fails with errCanonTooLarge beyond max bytes.
func canonicalJSON(v any, max int) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return canonicalize(raw, max)
}

// canonicalize re-encodes one JSON value canonically.
func canonicalize(raw []byte, max int) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON value")
	}
	e := canonEncoder{max: max}
	if err := e.value(tree, 0); err != nil {
		return nil, err
	}
	e.buf = append(e.buf, '\n')
	if len(e.buf) > max {
		return nil, errCanonTooLarge
	}
	return e.buf, nil
}

type canonEncoder struct {
	buf []byte
	max int
}

func (e *canonEncoder) newline(depth int) {
	e.buf = append(e.buf, '\n')
	for range depth {
		e.buf = append(e.buf, ' ', ' ')
	}
}

func (e *canonEncoder) value(v any, depth int) error {
	if len(e.buf) > e.max {
		return errCanonTooLarge
	}
	switch v := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case bool:
		if v {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case json.Number:
		e.buf = append(e.buf, v...)
	case string:
		e.buf = appendString(e.buf, v)
	case []any:
		if len(v) == 0 {
			e.buf = append(e.buf, "[]"...)
			return nil
		}
		e.buf = append(e.buf, '[')
		for i, x := range v {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.newline(depth + 1)
			if err := e.value(x, depth+1); err != nil {
				return err
			}
		}
		e.newline(depth)
		e.buf = append(e.buf, ']')
	case map[string]any:
		if len(v) == 0 {
			e.buf = append(e.buf, "{}"...)
			return nil
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		e.buf = append(e.buf, '{')
		for i, k := range keys {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.newline(depth + 1)
			e.buf = appendString(e.buf, k)
			e.buf = append(e.buf, ':', ' ')
			if err := e.value(v[k], depth+1); err != nil {
				return err
			}
		}
		e.newline(depth)
		e.buf = append(e.buf, '}')
	default:
		return fmt.Errorf("bundle: cannot encode %T", v)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// appendString quotes s as encoding/json does without HTML escaping: \" \\ \b \f \n \r \t,
// \u00XX for other control characters, \ufffd for invalid UTF-8, \u2028 and \u2029.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// EncodeAsset returns the canonical bytes of an asset file, exactly as Write stores them.
// The documents are sorted by name; labels and description are always present; a dataset
// always has a "documents" list. It fails for an invalid asset and for one whose file would
// exceed MaxAssetFileBytes.
func EncodeAsset(a *AssetFile) ([]byte, error) {
	if problem := checkAsset(a); problem != "" {
		return nil, fmt.Errorf("bundle: asset %s/%s: %s", a.Kind, a.Name, problem)
	}
	b, err := encodeAsset(a)
	if err != nil {
		return nil, fmt.Errorf("bundle: asset %s/%s: %w", a.Kind, a.Name, err)
	}
	return b, nil
}

func encodeAsset(a *AssetFile) ([]byte, error) {
	m := map[string]any{
		"kind":        a.Kind,
		"name":        a.Name,
		"description": a.Description,
		"labels":      labelsOrEmpty(a.Labels),
		"spec":        a.Spec,
	}
	if a.Kind == forj.KindDataset {
		docs := sortedDocs(a.Documents)
		if docs == nil {
			docs = []DocumentRef{}
		}
		m["documents"] = docs
	}
	if a.Secret != nil {
		m["secret"] = a.Secret
	}
	b, err := canonicalJSON(m, MaxAssetFileBytes)
	if err == errCanonTooLarge {
		return nil, errAssetTooLarge
	}
	return b, err
}

// errAssetTooLarge is encodeAsset's error for an asset whose file would exceed
// MaxAssetFileBytes: a huge or deeply nested spec, or a dataset listing very many documents.
var errAssetTooLarge = fmt.Errorf("its asset file would exceed %d bytes (a deeply nested spec, or a dataset of very many documents?)", MaxAssetFileBytes)

func labelsOrEmpty(l map[string]string) map[string]string {
	if l == nil {
		return map[string]string{}
	}
	return l
}

func sortedDocs(docs []DocumentRef) []DocumentRef {
	if docs == nil {
		return nil
	}
	out := append([]DocumentRef(nil), docs...)
	sortDocs(out)
	return out
}

// EncodeManifest returns the canonical bytes of a manifest as Write stores it.
func EncodeManifest(m *Manifest) ([]byte, error) {
	c := *m
	if c.Entries == nil {
		c.Entries = []Entry{}
	}
	return canonicalJSON(&c, 1<<40)
}

// jsonDepth returns the deepest nesting of objects and arrays in valid JSON. The canonical
// form of raw is at most len(raw)·(2·depth+9) bytes: indentation and line breaks add at most
// 2·depth+3 bytes per byte, and escaping turns a byte into at most 6.
func jsonDepth(raw []byte) int {
	depth, max := 0, 0
	inString, escaped := false, false
	for _, b := range raw {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			depth++
			if depth > max {
				max = depth
			}
		case b == '}' || b == ']':
			depth--
		}
	}
	return max
}
