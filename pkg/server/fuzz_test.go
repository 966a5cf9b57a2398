package server

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/forjinn/forjctl/pkg/forj"
)

// FuzzDecodeRequest checks the strict request decoding: it never panics, every rejection is
// an invalid error, and whatever it accepts is one JSON object that survives a round trip.
// Run with: go test ./pkg/server -run '^$' -fuzz FuzzDecodeRequest
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"name":"prod","description":"d"}`,
		`{"email":"a@example.com","role":"viewer"}`,
		`{"name":"x","unknown":1}`,
		`{"name":"x"} {"name":"y"}`,
		`[1,2]`,
		`{"permissions":["asset.read"],"name":"qa"}`,
	} {
		f.Add([]byte(s))
	}
	targets := []func() any{
		func() any { return new(forj.CreateWorkspaceRequest) },
		func() any { return new(forj.UpdateWorkspaceRequest) },
		func() any { return new(forj.AddUserRequest) },
		func() any { return new(forj.LoginRequest) },
		func() any { return new(forj.CreateRoleRequest) },
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mk := range targets {
			v := mk()
			err := decodeStrict(data, v)
			if err != nil {
				if forj.ErrorCode(err) != forj.EInvalid {
					t.Fatalf("decodeStrict(%q) = %v, want an invalid error", data, err)
				}
				continue
			}
			if !json.Valid(data) || bytes.TrimSpace(data)[0] != '{' {
				t.Fatalf("decodeStrict accepted %q", data)
			}
			again, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			w := mk()
			if err := decodeStrict(again, w); err != nil || !reflect.DeepEqual(v, w) {
				t.Fatalf("round trip of %q: %s → %v (%v)", data, again, w, err)
			}
		}
	})
}
