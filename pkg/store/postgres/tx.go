package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// tx implements forj.Tx on one pgx transaction.
type tx struct {
	ctx context.Context
	tx  pgx.Tx
	now time.Time // read once per transaction, so one change has one time
}

var _ forj.Tx = (*tx)(nil)

func (t *tx) Now() time.Time { return t.now }

// Queries are written with ? placeholders, as in the SQLite store, and rewritten once to
// PostgreSQL's $1, $2, … (the set of query texts is small and fixed). A query that
// already numbers its parameters is left alone.
var rebound sync.Map // string → string

func rebind(q string) string {
	if r, ok := rebound.Load(q); ok {
		return r.(string)
	}
	r := q
	if !strings.Contains(q, "$1") {
		var b strings.Builder
		n := 0
		for _, c := range q {
			if c == '?' {
				n++
				b.WriteString("$" + strconv.Itoa(n))
				continue
			}
			b.WriteRune(c)
		}
		r = b.String()
	}
	rebound.Store(q, r)
	return r
}

// result is what exec returns, shaped like database/sql's for the code shared in spirit
// with the SQLite store.
type result struct{ tag pgconn.CommandTag }

func (r result) RowsAffected() (int64, error) { return r.tag.RowsAffected(), nil }

func (t *tx) exec(q string, args ...any) (result, error) {
	tag, err := t.tx.Exec(t.ctx, rebind(q), args...)
	return result{tag}, err
}

func (t *tx) query(q string, args ...any) (pgx.Rows, error) {
	return t.tx.Query(t.ctx, rebind(q), args...)
}

func (t *tx) queryRow(q string, args ...any) pgx.Row {
	return t.tx.QueryRow(t.ctx, rebind(q), args...)
}

// affected runs an UPDATE or DELETE and reports how many rows its WHERE matched.
func (t *tx) affected(q string, args ...any) (int64, error) {
	res, err := t.exec(q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// count runs a SELECT count(*) query.
func (t *tx) count(q string, args ...any) (int, error) {
	var n int
	err := t.queryRow(q, args...).Scan(&n)
	return n, err
}

// exists reports whether q returns a row.
func (t *tx) exists(q string, args ...any) (bool, error) {
	var one int
	err := t.queryRow(q, args...).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// scanner is a pgx.Rows or a pgx.Row.
type scanner interface{ Scan(dest ...any) error }

// scanAll reads every row of q with scan, closing the rows.
func scanAll[T any](t *tx, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Errors.

func internal(op string, err error) error { return fmt.Errorf("postgres: %s: %w", op, err) }

func pgCode(err error) (*pgconn.PgError, bool) {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// uniqueViolation reports whether err is a unique or primary key violation (23505) and,
// if so, the name of the failing constraint ("users_pkey", "users_email_key").
func uniqueViolation(err error) (string, bool) {
	if e, ok := pgCode(err); ok && e.Code == "23505" {
		return e.ConstraintName, true
	}
	return "", false
}

func foreignKeyViolation(err error) bool {
	e, ok := pgCode(err)
	return ok && e.Code == "23503"
}

// Values. Times are unix nanoseconds in UTC, as on SQLite.

// Unix nanoseconds span the years 1678–2262. A time outside (say a "never" expiry in year
// 9999) is stored as the nearest end, which keeps its order against every other time.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

func nanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func nullNanos(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	n := nanos(*t)
	return &n
}

func fromNullNanos(n *int64) *time.Time {
	if n == nil {
		return nil
	}
	t := fromNanos(*n)
	return &t
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func jsonList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l) // cannot fail for strings
	return string(b)
}

func fromJSONList(s string) ([]string, error) {
	l := []string{}
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, fmt.Errorf("decode list %q: %w", s, err)
	}
	return l, nil
}

func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// Paging.

func pageLimit(n int) int {
	switch {
	case n <= 0:
		return forj.DefaultLimit
	case n > forj.MaxLimit:
		return forj.MaxLimit
	}
	return n
}

// page trims a result fetched with limit+1 rows to limit and returns the cursor of the
// next page ("" when there is none).
func page[T any](items []T, limit int, key func(T) string) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, forj.EncodeCursor(key(items[limit-1]))
}

// where collects the conditions and arguments of a query built from a filter.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// idList passes ids as one text[] parameter, for `= ANY(?)`.
func idList(ids []string) []string { return ids }

// PostgreSQL aborts the whole transaction when a statement fails, where SQLite fails only
// the statement. The statements whose constraint errors the store maps to forj errors
// (unique → EConflict, foreign key → ENotFound) run inside a savepoint, so after such an
// error the transaction goes on, as on SQLite: a handler may catch EConflict and continue
// (import with --on-conflict skip, say).
func (t *tx) savepoint(fn func() error) error {
	if _, err := t.tx.Exec(t.ctx, "SAVEPOINT forj_stmt"); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rerr := t.tx.Exec(t.ctx, "ROLLBACK TO SAVEPOINT forj_stmt"); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	_, err := t.tx.Exec(t.ctx, "RELEASE SAVEPOINT forj_stmt")
	return err
}

// execSP is exec inside a savepoint.
func (t *tx) execSP(q string, args ...any) (res result, err error) {
	err = t.savepoint(func() error {
		res, err = t.exec(q, args...)
		return err
	})
	return res, err
}

// affectedSP is affected inside a savepoint.
func (t *tx) affectedSP(q string, args ...any) (n int64, err error) {
	err = t.savepoint(func() error {
		n, err = t.affected(q, args...)
		return err
	})
	return n, err
}
