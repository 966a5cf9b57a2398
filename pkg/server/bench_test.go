package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

// BenchmarkListWorkspaces: an authenticated GET /api/v1/workspaces through ServeHTTP (the
// whole middleware: request id, access log to a discarding logger, authentication against
// SQLite, authorization, the list query, JSON), owner with 20 workspaces.
// Compare with BenchmarkBareJSON for the ratio of docs/benchmarks.md:
//
//	go test ./pkg/server -run '^$' -bench 'ListWorkspaces|BareJSON' -cpu 1,2
func BenchmarkListWorkspaces(b *testing.B) {
	e := newEnv(b)
	for i := range 20 {
		e.newWorkspace(fmt.Sprintf("workspace-%02d", i))
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", "/api/v1/workspaces", nil)
			req.Header.Set("Authorization", "Bearer "+e.ownerToken)
			rec := httptest.NewRecorder()
			e.srv.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
}

// BenchmarkBareJSON: a bare net/http handler encoding a similar list of 20 workspaces.
func BenchmarkBareJSON(b *testing.B) {
	now := time.Now().UTC()
	list := forj.List[forj.Workspace]{}
	for i := range 20 {
		list.Data = append(list.Data, forj.Workspace{
			ID: forj.NewID(forj.PrefixWorkspace), Name: fmt.Sprintf("workspace-%02d", i), Version: 1,
			CreatedBy: "usr_x", UpdatedBy: "usr_x", CreatedAt: now, UpdatedAt: now,
		})
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(list)
	})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", "/api/v1/workspaces", nil)
			req.Header.Set("Authorization", "Bearer x")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
		}
	})
}
