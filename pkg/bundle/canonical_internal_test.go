package bundle

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// The canonical encoder writes what encoding/json's indenting encoder writes without HTML
// escaping, sorted keys included.
func TestCanonicalMatchesEncodingJSON(t *testing.T) {
	for _, raw := range []string{
		`{}`, `[]`, `"x"`, `0`, `-1.5e+300`, `null`, `true`,
		`{"b":[1,{"d":null,"c":[]},{}],"a":"<&> \u2028\u2029 \u0001\b\f\n\r\t \"\\ é 東京 \ud83d\ude00"}`,
		"{\"bad utf-8\":\"\xff\xfe\",\"\xc3\":1}",
		`{"numbers":[12345678901234567890123,0.70,1E400,-0,1e-7]}`,
		`[[[[["deep"]]]]]`,
	} {
		got, err := canonicalize([]byte(raw), 1<<20)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		enc.Encode(v)
		if string(got) != want.String() {
			t.Errorf("%s:\ncanonical:\n%s\nencoding/json:\n%s", raw, got, want.String())
		}
	}
}

func TestCanonicalBound(t *testing.T) {
	deep := `{"a":` + strings.Repeat("[", 3000) + strings.Repeat("]", 3000) + `}`
	if _, err := canonicalize([]byte(deep), MaxAssetFileBytes); err != errCanonTooLarge {
		t.Fatalf("canonicalize of a 3000-deep spec: %v", err)
	}
	a := &AssetFile{Kind: "flow", Name: "deep", Spec: json.RawMessage(deep)}
	if _, err := EncodeAsset(a); err == nil || !strings.Contains(err.Error(), "deeply nested") {
		t.Fatalf("EncodeAsset = %v", err)
	}
	// The bound jsonDepth gives holds.
	for _, raw := range []string{deep, `{"a":"\u00e9\ufffd"}`, "{\"a\":\"\xff\xff\xff\"}", `{"a":[[1,2],[3,[4]]],"b":{"c":{}}}`} {
		c, err := canonicalize([]byte(raw), 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		if bound := len(raw) * (2*jsonDepth([]byte(raw)) + 9); len(c) > bound {
			t.Errorf("%.40s: canonical %d bytes > bound %d", raw, len(c), bound)
		}
	}
}
