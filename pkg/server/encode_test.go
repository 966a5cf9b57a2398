package server

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

// TestWorkspaceListEncoding: the list's hand-written encoding is byte for byte
// json.Marshal's, for every field of forj.Workspace (a field added there but not to
// appendWorkspaceList fails here) and for strings that need escaping.
func TestWorkspaceListEncoding(t *testing.T) {
	strs := []string{"", "plain", `<&> "quoted" \ é 😀`, "ctl \x00\x01\x1f\b\f\n\r\t\x7f", "bad \xff\xfe utf8 \xe2\x80", "sep \u2028\u2029 end"}
	times := []time.Time{
		time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
		time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 100000, time.FixedZone("x", 3600)),
		{},
	}
	var ws []forj.Workspace
	for k := range 8 {
		var w forj.Workspace
		v := reflect.ValueOf(&w).Elem()
		for i := range v.NumField() {
			f := v.Field(i)
			switch {
			case f.Kind() == reflect.String:
				f.SetString(strs[(i+k)%len(strs)] + v.Type().Field(i).Name)
			case f.Kind() == reflect.Int64:
				f.SetInt(int64(i*k) - 3)
			case f.Type() == reflect.TypeOf(time.Time{}):
				f.Set(reflect.ValueOf(times[(i+k)%len(times)]))
			default:
				t.Fatalf("forj.Workspace.%s: type %s is not handled by appendWorkspaceList", v.Type().Field(i).Name, f.Type())
			}
		}
		ws = append(ws, w)
	}
	for _, tc := range []struct {
		ws   []forj.Workspace
		next string
	}{{ws, ""}, {ws, "cursor<&>"}, {[]forj.Workspace{}, ""}, {nil, "c"}} {
		data := tc.ws
		if data == nil {
			data = []forj.Workspace{}
		}
		want, err := json.Marshal(forj.List[forj.Workspace]{Data: data, NextCursor: tc.next})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		if got := appendWorkspaceList(nil, tc.ws, tc.next); string(got) != string(want) {
			t.Errorf("encoding differs:\n got %s\nwant %s", got, want)
		}
	}
}
