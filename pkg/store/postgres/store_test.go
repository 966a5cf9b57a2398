package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/store/pgtest"
	"github.com/forjinn/forjctl/pkg/store/postgres"
	"github.com/forjinn/forjctl/pkg/store/storetest"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t testing.TB, dsn string, opts postgres.Options) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) forj.Store {
		return open(t, pgtest.Start(t), postgres.Options{Now: now})
	})
}

// Two Store values on one database stand for two forjd replicas: their writes serialize
// through the database, audit order follows commit order across both, and a change made
// through one is seen through the other.
func TestTwoReplicas(t *testing.T) {
	dsn := pgtest.Start(t)
	replicas := []*postgres.Store{open(t, dsn, postgres.Options{}), open(t, dsn, postgres.Options{MaxConns: 4})}
	ctx := context.Background()
	owner := &forj.User{Email: "owner@example.com", Name: "Owner", Status: forj.UserActive, GlobalRole: forj.GlobalOwner}
	if err := replicas[0].Update(ctx, func(tx forj.Tx) error { return tx.CreateUser(owner) }); err != nil {
		t.Fatal(err)
	}
	var gen0 int64
	replicas[1].View(ctx, func(tx forj.Tx) error {
		var err error
		gen0, err = tx.AuthGeneration()
		return err
	})

	const workers, each = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for g := range workers {
		s := replicas[g%2]
		wg.Go(func() {
			for i := range each {
				err := s.Update(ctx, func(tx forj.Tx) error {
					// Read-then-write: count, then create under the counted name.
					n, err := tx.CountUsers()
					if err != nil {
						return err
					}
					w := &forj.Workspace{Name: fmt.Sprintf("ws-%d-%d-%d", g, i, n), CreatedBy: owner.ID, UpdatedBy: owner.ID}
					if err := tx.CreateWorkspace(w); err != nil {
						return err
					}
					if _, err := tx.AddMember(w.ID, owner.ID, "admin"); err != nil {
						return err
					}
					return tx.AppendAudit(&forj.AuditEvent{ActorType: forj.ActorUser, ActorID: owner.ID, WorkspaceID: w.ID,
						Action: "workspace.create", Result: forj.ResultSuccess})
				})
				if err != nil {
					errs <- fmt.Errorf("worker %d, %d: %w", g, i, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, s := range replicas {
		s.View(ctx, func(tx forj.Tx) error {
			ms, err := tx.ListMemberships(owner.ID)
			if err != nil || len(ms) != workers*each {
				t.Errorf("replica %d: %d memberships, %v; want %d", i, len(ms), err, workers*each)
			}
			gen, err := tx.AuthGeneration()
			if err != nil || gen != gen0+workers*each {
				t.Errorf("replica %d: auth generation %d, %v; want %d", i, gen, err, gen0+workers*each)
			}
			var all []forj.AuditEvent
			cursor := ""
			for {
				es, next, err := tx.ListAudit(forj.AuditFilter{Ascending: true, Cursor: cursor, Limit: forj.MaxLimit})
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, es...)
				if next == "" {
					break
				}
				cursor = next
			}
			if len(all) != workers*each {
				t.Errorf("replica %d: %d audit events, want %d", i, len(all), workers*each)
			}
			// Seq order is commit order: each event's workspace existed no later than the
			// event itself, and no seq repeats.
			for j := 1; j < len(all); j++ {
				if all[j].Seq <= all[j-1].Seq {
					t.Fatalf("replica %d: audit seq %d after %d", i, all[j].Seq, all[j-1].Seq)
				}
			}
			return nil
		})
	}
}

// Four replicas starting together on a new database migrate it once.
func TestMigrationsRunOnceWhenOpensRace(t *testing.T) {
	dsn := pgtest.Start(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	stores := make([]*postgres.Store, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = postgres.Open(context.Background(), dsn, postgres.Options{})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), "SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	var versions []int
	for rows.Next() {
		var v, c int
		if err := rows.Scan(&v, &c); err != nil {
			t.Fatal(err)
		}
		if c != 1 {
			t.Errorf("migration %d recorded %d times", v, c)
		}
		versions = append(versions, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(versions) != "[1 2 3 4]" {
		t.Errorf("applied migrations %v, want [1 2 3 4]", versions)
	}
	var gen int64
	if err := conn.QueryRow(context.Background(), "SELECT n FROM auth_generation").Scan(&gen); err != nil || gen != 0 {
		t.Errorf("auth generation after racing opens = %d, %v; want one row, 0", gen, err)
	}
	// Every store works.
	for i, s := range stores {
		if err := s.Ping(context.Background()); err != nil {
			t.Errorf("Ping %d: %v", i, err)
		}
	}
}

// The audit table refuses changes even from a client that bypasses the store.
func TestAuditTriggers(t *testing.T) {
	dsn := pgtest.Start(t)
	s := open(t, dsn, postgres.Options{})
	ctx := context.Background()
	if err := s.Update(ctx, func(tx forj.Tx) error {
		return tx.AppendAudit(&forj.AuditEvent{ActorType: forj.ActorUser, Action: "x.y", Result: forj.ResultSuccess})
	}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{"UPDATE audit SET action = 'z'", "DELETE FROM audit", "TRUNCATE audit"} {
		if _, err := conn.Exec(ctx, q); err == nil {
			t.Errorf("%s succeeded", q)
		}
	}
}

// A conflict inside Update fails only its statement, as on SQLite: the transaction goes
// on and commits what else it did.
func TestConflictLeavesTransactionUsable(t *testing.T) {
	s := open(t, pgtest.Start(t), postgres.Options{})
	ctx := context.Background()
	if err := s.Update(ctx, func(tx forj.Tx) error { return tx.CreateWorkspace(&forj.Workspace{Name: "a"}) }); err != nil {
		t.Fatal(err)
	}
	err := s.Update(ctx, func(tx forj.Tx) error {
		err := tx.CreateWorkspace(&forj.Workspace{Name: "a"})
		if forj.ErrorCode(err) != forj.EConflict {
			t.Errorf("duplicate name: %v, want conflict", err)
		}
		if _, err := tx.AddMember("ws_missing", "usr_missing", "admin"); forj.ErrorCode(err) != forj.ENotFound {
			t.Errorf("AddMember of missing ids: %v, want not_found", err)
		}
		return tx.CreateWorkspace(&forj.Workspace{Name: "b"})
	})
	if err != nil {
		t.Fatalf("Update after caught errors: %v", err)
	}
	s.View(ctx, func(tx forj.Tx) error {
		if _, err := tx.GetWorkspaceByName("b"); err != nil {
			t.Errorf("workspace b: %v", err)
		}
		return nil
	})
}

// BenchmarkAssets: the bulk asset paths (storetest.BenchAssets).
func BenchmarkAssets(b *testing.B) {
	storetest.BenchAssets(b, open(b, pgtest.Start(b), postgres.Options{}))
}
