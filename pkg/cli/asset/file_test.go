package asset

import (
	"io"
	"strings"
	"testing"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/iostreams"
)

func TestParseAssetFile(t *testing.T) {
	flow, _ := forj.LookupKind(forj.KindFlow)
	cred, _ := forj.LookupKind(forj.KindCredential)

	// YAML and JSON give the same fields; the spec is JSON whatever came in.
	yamlDoc := "name: faq\ndescription: d\nlabels: {team: support}\nspec:\n  n: 1\n  big: 12345678901234567890\n  f: 1.5\n  on: yes\n  when: 2024-01-02T03:04:05Z\n  list: [a, 2, null]\n"
	af, err := parseAssetFile([]byte(yamlDoc), flow)
	if err != nil {
		t.Fatal(err)
	}
	if *af.Name != "faq" || *af.Description != "d" || (*af.Labels)["team"] != "support" {
		t.Errorf("fields = %+v", af)
	}
	want := `{"big":12345678901234567890,"f":1.5,"list":["a",2,null],"n":1,"on":"yes","when":"2024-01-02T03:04:05Z"}`
	if string(af.Spec) != want {
		t.Errorf("spec = %s\nwant   %s", af.Spec, want)
	}
	af, err = parseAssetFile([]byte(`{"name":"faq","spec":{"big":12345678901234567890}}`), flow)
	if err != nil || string(af.Spec) != `{"big":12345678901234567890}` {
		t.Errorf("JSON spec = %s, %v (numbers must stay exact)", af.Spec, err)
	}

	// The output of get -o yaml is accepted: read-only fields ignored, version kept.
	got := "id: ast_x\nworkspaceId: ws_y\nkind: flow\nname: faq\nversion: 7\ncreatedAt: 2024-01-02T03:04:05Z\nhasSecret: false\n"
	if af, err := parseAssetFile([]byte(got), flow); err != nil || af.Version != 7 || *af.Name != "faq" {
		t.Errorf("get output: %+v, %v", af, err)
	}

	// labels: null clears them; secret: null removes the secret (credentials).
	if af, err := parseAssetFile([]byte("labels: null\n"), flow); err != nil || af.Labels == nil || len(*af.Labels) != 0 {
		t.Errorf("labels null = %+v, %v", af, err)
	}
	if af, err := parseAssetFile([]byte("secret: null\n"), cred); err != nil || string(af.Secret) != "null" {
		t.Errorf("secret null = %+v, %v", af, err)
	}

	for _, c := range []struct {
		doc  string
		kind forj.KindInfo
		want string
	}{
		{"", flow, "empty"},
		{"- a\n- b\n", flow, "not a JSON or YAML object"},
		{"{bad json", flow, "invalid JSON"},
		{"name: [x\n", flow, "invalid YAML"},
		{"colour: blue\n", flow, `unknown field "colour"`},
		{"spec: 3\n", flow, `field "spec": want an object`},
		{"labels: {a: {b: c}}\n", flow, `field "labels"`},
		{"name: 3\n", flow, `field "name": want a string`},
		{"kind: tool\n", flow, "the file describes a tool, not a flow"},
		{"secret: {k: v}\n", flow, "a flow has no secret data"},
		{"secret: [1]\n", cred, `field "secret": want an object`},
		{"spec: {x: .inf}\n", flow, "not a JSON number"},
		{"? [a, b]\n: c\n", flow, "mapping key must be a string"},
	} {
		_, err := parseAssetFile([]byte(c.doc), c.kind)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseAssetFile(%q) = %v, want %q", c.doc, err, c.want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestByteProgress(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	p := NewByteProgress(ios, "Uploading x", 2048)
	if _, err := io.Copy(io.Discard, p.Reader(strings.NewReader(strings.Repeat("a", 2048)))); err != nil {
		t.Fatal(err)
	}
	p.Done()
	if errOut.Len() != 0 {
		t.Errorf("piped stderr got %q", errOut.String())
	}

	ios.SetStderrTTY(true)
	p = NewByteProgress(ios, "Uploading x", 2048)
	r := p.Reader(strings.NewReader(strings.Repeat("a", 2048)))
	if _, ok := r.(io.Seeker); !ok {
		t.Fatal("the reader of a seekable source cannot seek: uploads of files would not be retried")
	}
	io.Copy(io.Discard, r)
	p.Done()
	if got := errOut.String(); !strings.HasPrefix(got, "\rUploading x  0 B / 2.0 KiB    0%") || !strings.Contains(got, "\rUploading x  2.0 KiB / 2.0 KiB  100%") || !strings.HasSuffix(got, "\n") {
		t.Errorf("terminal stderr = %q", got)
	}
}
