// Package postgres is the forj.Store on PostgreSQL (jackc/pgx/v5, a pgxpool), for several
// stateless forjd replicas on one database.
//
// Transactions. View runs in a READ ONLY, REPEATABLE READ transaction: one snapshot for
// all of fn, and any write fails. Update runs in a READ COMMITTED transaction that first
// takes a transaction-scoped advisory lock, the store's write lock, shared by every
// replica on the database: writers run one at a time, as on SQLite (BEGIN IMMEDIATE), so
// a handler's read-then-write is never interleaved with another writer, no transaction
// fails with a serialization error, and fn never has to be retried (retrying is unsafe:
// Create and Update methods change the values passed to them). Because the lock is held
// until COMMIT and released after the commit is visible, audit and usage sequence numbers
// and the auth generation follow commit order. Readers never wait for the lock.
package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options configure a Store.
type Options struct {
	// Now is the clock for every timestamp the store writes; nil means time.Now.
	Now func() time.Time
	// MaxConns bounds the connection pool; 0 keeps pgxpool's default (or the DSN's
	// pool_max_conns).
	MaxConns int32
}

// Store implements forj.Store. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

var _ forj.Store = (*Store)(nil)

// Advisory lock keys (one 64-bit space per database): "forj" then a small number.
const (
	lockMigrate int64 = 0x666f726a_0001
	lockWrite   int64 = 0x666f726a_0002
)

// Open connects to the database at dsn (a postgres:// URL or key=value string) and brings
// its schema up to date; several replicas may open the same database at once.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool, now: now}
	if err := migrate(ctx, pool, s.clock()); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}

// clock returns the store's time in UTC, without a monotonic reading.
func (s *Store) clock() time.Time { return s.now().UTC() }

// View runs fn in a read-only transaction.
func (s *Store) View(ctx context.Context, fn func(forj.Tx) error) error {
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	// A read transaction has nothing to undo: ROLLBACK ends it either way.
	defer ptx.Rollback(context.WithoutCancel(ctx))
	return fn(newTx(ctx, ptx, s.clock()))
}

// Update runs fn in a write transaction; an error from fn (or a panic) rolls it back and
// is returned unchanged. Updates run one at a time across every replica, so fn must not
// call Update (View is fine: it sees the state before this transaction).
func (s *Store) Update(ctx context.Context, fn func(forj.Tx) error) error {
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadWrite})
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			ptx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if _, err := ptx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockWrite); err != nil {
		return fmt.Errorf("postgres: write lock: %w", err)
	}
	// The clock is read once the write lock is held, so timestamps follow commit order.
	if err := fn(newTx(ctx, ptx, s.clock())); err != nil {
		return err
	}
	// fn has done its work: commit even if ctx ended meanwhile.
	if err := ptx.Commit(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	committed = true
	return nil
}

// Ping checks that the database answers a query, for readiness probes.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close waits for connections in use to be returned and closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}
