package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/store/sqlite"
	"github.com/forjinn/forjctl/pkg/store/storetest"
)

func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) forj.Store {
		s, err := sqlite.Open(filepath.Join(t.TempDir(), "forj.db"), sqlite.Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	})
}

// rawDB opens the file with a plain connection, as an operator with the sqlite3 shell would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestFileSurvivesReopenAndMigrationsAreIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "forj.db")
	s, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := &forj.Workspace{Name: "kept"}
	ev := &forj.AuditEvent{ActorType: forj.ActorUser, Action: "workspace.create", Result: forj.ResultSuccess}
	if err := s.Update(ctx, func(tx forj.Tx) error {
		if err := tx.CreateWorkspace(w); err != nil {
			return err
		}
		return tx.AppendAudit(ev)
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.View(ctx, func(forj.Tx) error { return nil }); err == nil {
		t.Error("View after Close succeeded")
	}

	for range 2 {
		s := open(t, path)
		if err := s.View(ctx, func(tx forj.Tx) error {
			got, err := tx.GetWorkspaceByName("kept")
			if err != nil {
				return err
			}
			if got.ID != w.ID || !got.CreatedAt.Equal(w.CreatedAt) {
				t.Errorf("after reopen: %+v, want %+v", got, w)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// Seq keeps increasing across restarts.
		next := &forj.AuditEvent{ActorType: forj.ActorUser, Action: "x.y", Result: forj.ResultSuccess}
		if err := s.Update(ctx, func(tx forj.Tx) error { return tx.AppendAudit(next) }); err != nil {
			t.Fatal(err)
		}
		if next.Seq <= ev.Seq {
			t.Errorf("seq %d after restart, previous %d", next.Seq, ev.Seq)
		}
		ev = next
		if err := s.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
		s.Close()
	}

	db := rawDB(t, path)
	var n, maxVersion int
	if err := db.QueryRow(`SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &maxVersion); err != nil {
		t.Fatal(err)
	}
	if n != maxVersion || n < 1 {
		t.Errorf("schema_migrations has %d rows up to version %d: each migration once", n, maxVersion)
	}
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forj.db")
	open(t, path).Close()
	db := rawDB(t, path)
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := sqlite.Open(path, sqlite.Options{})
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema = %v, want a refusal", err)
	}
}

func TestAuditTriggersRefuseUpdateAndDelete(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "forj.db")
	s := open(t, path)
	w := &forj.Workspace{Name: "w"}
	ev := &forj.AuditEvent{ActorType: forj.ActorUser, WorkspaceID: "", Action: "workspace.create", Result: forj.ResultSuccess}
	if err := s.Update(ctx, func(tx forj.Tx) error {
		if err := tx.CreateWorkspace(w); err != nil {
			return err
		}
		ev.WorkspaceID = w.ID
		return tx.AppendAudit(ev)
	}); err != nil {
		t.Fatal(err)
	}

	db := rawDB(t, path)
	for _, q := range []string{
		`UPDATE audit SET action = 'forged' WHERE seq = ?`,
		`DELETE FROM audit WHERE seq = ?`,
	} {
		_, err := db.Exec(q, ev.Seq)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the trigger's refusal", q, err)
		}
	}
	// Deleting the workspace keeps its audit trail.
	if err := s.Update(ctx, func(tx forj.Tx) error { return tx.DeleteWorkspace(w.ID) }); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM audit WHERE workspace_id = ? AND action = 'workspace.create'`, w.ID).Scan(&n); err != nil || n != 1 {
		t.Errorf("audit rows of the deleted workspace = %d, %v; want 1", n, err)
	}
}

func TestOpenRejectsNoPath(t *testing.T) {
	for _, p := range []string{"", ":memory:"} {
		if _, err := sqlite.Open(p, sqlite.Options{}); err == nil {
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

func TestOddPath(t *testing.T) {
	// Characters that mean something in a URI stay part of the file name.
	path := filepath.Join(t.TempDir(), "a dir?x=1#frag", "forj%20.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	s := open(t, path)
	if err := s.Update(context.Background(), func(tx forj.Tx) error {
		return tx.CreateWorkspace(&forj.Workspace{Name: "w"})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at %s: %v", path, err)
	}
}

// Reads do not wait for a writer and do not see what it has not committed.
func TestViewDuringUpdate(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "forj.db"))
	err := s.Update(ctx, func(tx forj.Tx) error {
		if err := tx.CreateWorkspace(&forj.Workspace{Name: "pending"}); err != nil {
			return err
		}
		return s.View(ctx, func(tx forj.Tx) error {
			_, err := tx.GetWorkspaceByName("pending")
			if !forj.IsNotFound(err) {
				t.Errorf("uncommitted workspace seen by View: %v", err)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An Update waiting for the write connection gives up when its context ends.
func TestUpdateWaitHonoursContext(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "forj.db"))
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- s.Update(context.Background(), func(forj.Tx) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	ctx, cancel := context.WithCancel(context.Background())
	waiting := make(chan error)
	go func() {
		waiting <- s.Update(ctx, func(forj.Tx) error { return nil })
	}()
	cancel()
	if err := <-waiting; !errors.Is(err, context.Canceled) {
		t.Errorf("waiting Update = %v, want context.Canceled", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Two stores on one file (two processes, say forjd and forjctl dev) take turns through
// busy_timeout instead of failing with SQLITE_BUSY.
func TestTwoStoresOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forj.db")
	stores := []*sqlite.Store{open(t, path), open(t, path)}
	var wg sync.WaitGroup
	errs := make(chan error, 80)
	for i, s := range stores {
		for g := range 4 {
			wg.Go(func() {
				for n := range 10 {
					errs <- s.Update(context.Background(), func(tx forj.Tx) error {
						if _, err := tx.CountUsers(); err != nil {
							return err
						}
						return tx.CreateWorkspace(&forj.Workspace{Name: fmt.Sprintf("s%d-g%d-%d", i, g, n)})
					})
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	err := stores[0].View(context.Background(), func(tx forj.Tx) error {
		ws, _, err := tx.ListWorkspaces(forj.WorkspaceFilter{Limit: forj.MaxLimit})
		if len(ws) != 80 {
			t.Errorf("%d workspaces, want 80", len(ws))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Times beyond what unix nanoseconds hold keep their order instead of wrapping around.
func TestFarFutureTime(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "forj.db"))
	never := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	k := &forj.Token{Kind: forj.TokenPAT, Name: "forever", SecretHash: "h", ExpiresAt: &never}
	err := s.Update(ctx, func(tx forj.Tx) error {
		u := &forj.User{Email: "u@example.com", Status: forj.UserActive, GlobalRole: forj.GlobalMember}
		if err := tx.CreateUser(u); err != nil {
			return err
		}
		k.UserID = u.ID
		if err := tx.CreateToken(k); err != nil {
			return err
		}
		return tx.RevokeToken(k.ID, never) // a revocation that never comes
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx forj.Tx) error {
		got, err := tx.GetToken(k.ID)
		if err != nil {
			return err
		}
		if !got.ExpiresAt.After(time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("ExpiresAt = %v, want far in the future", got.ExpiresAt)
		}
		ks, err := tx.ListTokens(forj.TokenFilter{})
		if len(ks) != 1 {
			t.Errorf("token revoked in year 9999 not listed as active: %v", ks)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func BenchmarkGetWorkspace(b *testing.B) {
	ctx := context.Background()
	s := open(b, filepath.Join(b.TempDir(), "forj.db"))
	w := &forj.Workspace{Name: "bench"}
	if err := s.Update(ctx, func(tx forj.Tx) error { return tx.CreateWorkspace(w) }); err != nil {
		b.Fatal(err)
	}
	get := func(ctx context.Context) error {
		return s.View(ctx, func(tx forj.Tx) error {
			_, err := tx.GetWorkspace(w.ID)
			return err
		})
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := get(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cancelable-ctx", func(b *testing.B) {
		// Like a request context: the driver watches it.
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		b.ReportAllocs()
		for b.Loop() {
			if err := get(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := get(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// The database holds password and secret hashes: it and its -wal and -shm files are
// readable by their owner only, whatever the umask.
func TestFilesArePrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix file modes")
	}
	path := filepath.Join(t.TempDir(), "forj.db")
	s := open(t, path)
	err := s.Update(context.Background(), func(tx forj.Tx) error {
		return tx.CreateWorkspace(&forj.Workspace{Name: "w"})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(p), m)
		}
	}
}
