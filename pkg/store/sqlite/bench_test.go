package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/store/storetest"
)

// Benchmarks of the hot store paths: a page of workspaces, an audit append, a usage batch.
func BenchmarkHotPaths(b *testing.B) {
	ctx := context.Background()
	s := open(b, filepath.Join(b.TempDir(), "forj.db"))
	var ws *forj.Workspace
	if err := s.Update(ctx, func(tx forj.Tx) error {
		for i := range 100 {
			w := &forj.Workspace{Name: fmt.Sprintf("ws-%03d", i)}
			if err := tx.CreateWorkspace(w); err != nil {
				return err
			}
			ws = w
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.Run("list-workspaces-50", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.View(ctx, func(tx forj.Tx) error {
				_, _, err := tx.ListWorkspaces(forj.WorkspaceFilter{Limit: 50})
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append-audit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Update(ctx, func(tx forj.Tx) error {
				return tx.AppendAudit(&forj.AuditEvent{ActorType: forj.ActorUser, WorkspaceID: ws.ID, Action: "x.y", Result: forj.ResultSuccess})
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append-usage-100", func(b *testing.B) {
		evs := make([]forj.UsageEvent, 100)
		b.ReportAllocs()
		for b.Loop() {
			for i := range evs {
				evs[i] = forj.UsageEvent{WorkspaceID: ws.ID, Assistant: "a", TokensIn: 1}
			}
			if err := s.Update(ctx, func(tx forj.Tx) error { return tx.AppendUsage(evs) }); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAssets: the bulk asset paths (storetest.BenchAssets).
func BenchmarkAssets(b *testing.B) {
	storetest.BenchAssets(b, open(b, filepath.Join(b.TempDir(), "forj.db")))
}
