// Package sqlite is the forj.Store on one SQLite file (modernc.org/sqlite, pure Go).
//
// Connections: one write connection and a small pool of read connections, each a pinned
// *sql.Conn that keeps its own prepared statements. Update waits for the write connection
// (in Go, honouring its context) and starts with BEGIN IMMEDIATE, so writers of this process
// never meet SQLITE_BUSY; busy_timeout covers other processes on the same file. View runs
// on a read connection with query_only set, in WAL mode, so reads never wait for writes.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/store/sqlstore"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Options configure a Store.
type Options struct {
	// Now is the clock for every timestamp the store writes; nil means time.Now.
	Now func() time.Time
	// Readers is the number of read connections; 0 means max(4, 2×GOMAXPROCS).
	Readers int
}

// Store implements forj.Store. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	now     func() time.Time
	writer  chan *conn // capacity 1: the write connection
	readers chan *conn // a slot per read connection; nil until first used
	done    chan struct{}
	once    sync.Once
}

var _ forj.Store = (*Store)(nil)

// errClosed is returned by View, Update and Ping after Close.
var errClosed = errors.New("sqlite: store is closed")

// busyTimeout bounds how long a statement waits for a lock held by another process.
const busyTimeout = 10 * time.Second

// Open opens (creating if needed) the database file at path and brings its schema up to
// date. The file is put in WAL mode.
func Open(path string, opts Options) (*Store, error) {
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("sqlite: a database file path is required")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// A file: URI so that any character in the path is escaped rather than read as a
	// parameter. The pragmas run once per new connection, never per call.
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "1")
	q.Set("_synchronous", "NORMAL")
	if err := createPrivate(abs); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	dsn := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}).String()

	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// Every connection in use is pinned by a Store pool; database/sql keeps none idle, so a
	// connection dropped by a pool (broken, or query_only set) is closed, never reused.
	db.SetMaxIdleConns(0)

	now := opts.Now
	if now == nil {
		now = time.Now
	}
	n := opts.Readers
	if n <= 0 {
		n = max(4, 2*runtime.GOMAXPROCS(0))
	}
	s := &Store{
		db:      db,
		now:     now,
		writer:  make(chan *conn, 1),
		readers: make(chan *conn, n),
		done:    make(chan struct{}),
	}
	for range n {
		s.readers <- nil
	}

	ctx := context.Background()
	w, err := s.openConn(ctx, false)
	if err == nil {
		err = migrate(ctx, w, s.clock())
		if err != nil {
			w.close()
		}
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.writer <- w
	return s, nil
}

// createPrivate creates the database file with mode 0600 when it does not exist yet: it
// holds password and secret hashes. SQLite gives the -wal and -shm files the mode of the
// database file (whatever the umask), so they are private too. An existing file keeps the
// mode its owner gave it.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	// A umask can only clear bits of 0600, never add; Chmod makes the mode exact anyway.
	err = f.Chmod(0o600)
	return errors.Join(err, f.Close())
}

// clock returns the store's time in UTC, without a monotonic reading.
func (s *Store) clock() time.Time { return s.now().UTC() }

// View runs fn in a read-only transaction on a read connection.
func (s *Store) View(ctx context.Context, fn func(forj.Tx) error) error {
	c, err := s.acquire(ctx, s.readers, true)
	if err != nil {
		return err
	}
	defer s.release(s.readers, c)
	// A deferred BEGIN takes no lock and cannot wait, so it need not watch ctx (watching
	// costs the driver a goroutine per statement); fn's queries do.
	if _, err := c.exec(context.Background(), "BEGIN"); err != nil {
		c.broken = true
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	// A read transaction has nothing to undo: ending it with ROLLBACK either way releases
	// the snapshot.
	defer func() {
		if _, err := c.exec(context.Background(), "ROLLBACK"); err != nil {
			c.broken = true
		}
	}()
	return fn(newTx(ctx, c, s.clock()))
}

// Update runs fn in a write transaction; an error from fn (or a panic) rolls it back and
// is returned unchanged. Updates run one at a time, so fn must not call Update (View is
// fine: it sees the state before this transaction).
func (s *Store) Update(ctx context.Context, fn func(forj.Tx) error) error {
	c, err := s.acquire(ctx, s.writer, false)
	if err != nil {
		return err
	}
	defer s.release(s.writer, c)
	if _, err := c.exec(ctx, "BEGIN IMMEDIATE"); err != nil {
		c.broken = true
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			if _, err := c.exec(context.Background(), "ROLLBACK"); err != nil {
				c.broken = true // e.g. SQLite already rolled back: start afresh
			}
		}
	}()
	// The clock is read once the write lock is held, so timestamps follow commit order.
	if err := fn(newTx(ctx, c, s.clock())); err != nil {
		return err
	}
	// fn has done its work: commit even if ctx ended meanwhile.
	if _, err := c.exec(context.Background(), "COMMIT"); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	committed = true
	return nil
}

// Ping checks that the database answers a query, for readiness probes.
func (s *Store) Ping(ctx context.Context) error {
	c, err := s.acquire(ctx, s.readers, true)
	if err != nil {
		return err
	}
	defer s.release(s.readers, c)
	var one int
	if err := c.queryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		c.broken = true
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close waits for running transactions to end and closes the database. Calls after the
// first return nil.
func (s *Store) Close() error {
	closed := false
	s.once.Do(func() {
		close(s.done)
		closed = true
	})
	if !closed {
		return nil
	}
	var errs []error
	if w := <-s.writer; w != nil {
		// Keeps the planner's statistics fresh, as SQLite advises before closing.
		w.c.ExecContext(context.Background(), "PRAGMA optimize")
		s.writer <- w
	}
	for _, pool := range []chan *conn{s.writer, s.readers} {
		for range cap(pool) {
			if c := <-pool; c != nil {
				errs = append(errs, c.close())
			}
		}
	}
	errs = append(errs, s.db.Close())
	return errors.Join(errs...)
}

// acquire takes a connection from pool, opening one if its slot is empty.
func (s *Store) acquire(ctx context.Context, pool chan *conn, readOnly bool) (*conn, error) {
	var c *conn
	select {
	case <-s.done:
		return nil, errClosed
	default:
	}
	select {
	case c = <-pool:
	case <-s.done:
		return nil, errClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case <-s.done: // Close is waiting for this slot
		pool <- c
		return nil, errClosed
	default:
	}
	if c == nil {
		var err error
		if c, err = s.openConn(ctx, readOnly); err != nil {
			pool <- nil
			return nil, fmt.Errorf("sqlite: connect: %w", err)
		}
	}
	return c, nil
}

// release returns c to pool, or an empty slot in its place if c is broken.
func (s *Store) release(pool chan *conn, c *conn) {
	if c.broken {
		c.close()
		c = nil
	}
	pool <- c
}

// conn is one pinned connection with its prepared statements. Only the goroutine that
// acquired it uses it.
type conn struct {
	c      *sql.Conn
	stmts  map[string]*sql.Stmt
	broken bool // state unknown after an error: close instead of reusing
}

func (s *Store) openConn(ctx context.Context, readOnly bool) (*conn, error) {
	sc, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if readOnly {
		// Makes a write inside View fail instead of silently succeeding.
		if _, err := sc.ExecContext(ctx, "PRAGMA query_only = 1"); err != nil {
			sc.Close()
			return nil, err
		}
	}
	return &conn{c: sc, stmts: make(map[string]*sql.Stmt)}, nil
}

func (c *conn) close() error {
	for _, st := range c.stmts {
		st.Close()
	}
	return c.c.Close()
}

// stmt returns q prepared on this connection, preparing it on first use.
func (c *conn) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := c.stmts[q]; ok {
		return st, nil
	}
	st, err := c.c.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.stmts[q] = st
	return st, nil
}

func (c *conn) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c *conn) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// errRow is what queryRow returns when the statement cannot be prepared.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func (c *conn) queryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	st, err := c.stmt(ctx, q)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}
