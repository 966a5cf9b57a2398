package server

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

// TestWireWorkspaceMatches: the list's fast encoding is byte for byte forj.Workspace's, for
// every field (a field added to forj.Workspace but not to wireWorkspace fails here).
func TestWireWorkspaceMatches(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
		time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 100000, time.FixedZone("x", 3600)),
		{},
	} {
		var w forj.Workspace
		v := reflect.ValueOf(&w).Elem()
		for i := range v.NumField() {
			f := v.Field(i)
			switch f.Kind() {
			case reflect.String:
				f.SetString(v.Type().Field(i).Name + ` <&> "quoted" é \ ` + "\u2028")
			case reflect.Int64:
				f.SetInt(int64(i) + 41)
			default:
				if f.Type() != reflect.TypeOf(time.Time{}) {
					t.Fatalf("forj.Workspace.%s: type %s is not handled by wireWorkspace", v.Type().Field(i).Name, f.Type())
				}
				f.Set(reflect.ValueOf(tm.Add(time.Duration(i) * time.Second)))
			}
		}
		want, err := json.Marshal(forj.List[forj.Workspace]{Data: []forj.Workspace{w}, NextCursor: "c"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(forj.List[wireWorkspace]{Data: toWireWorkspaces([]forj.Workspace{w}), NextCursor: "c"})
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("wire encoding differs:\n got %s\nwant %s", got, want)
		}
	}
}
