package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// tx implements forj.Tx on one connection inside BEGIN … COMMIT/ROLLBACK.
type tx struct {
	ctx context.Context
	c   *conn
	now time.Time // read once per transaction, so one change has one time
}

var _ forj.Tx = (*tx)(nil)

func (t *tx) Now() time.Time { return t.now }

func (t *tx) exec(q string, args ...any) (sql.Result, error) { return t.c.exec(t.ctx, q, args...) }
func (t *tx) query(q string, args ...any) (*sql.Rows, error) { return t.c.query(t.ctx, q, args...) }
func (t *tx) queryRow(q string, args ...any) row             { return t.c.queryRow(t.ctx, q, args...) }

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
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// scanner is a *sql.Rows or a row.
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

func internal(op string, err error) error { return fmt.Errorf("sqlite: %s: %w", op, err) }

func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// uniqueViolation reports whether err is a UNIQUE or PRIMARY KEY violation and, if so,
// the failing columns as SQLite names them ("users.email").
func uniqueViolation(err error) (string, bool) {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		msg := err.Error()
		if _, cols, ok := strings.Cut(msg, "constraint failed: "); ok {
			cols, _, _ = strings.Cut(cols, " (")
			return cols, true
		}
		return "", true
	}
	return "", false
}

func foreignKeyViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// Values. Times are unix nanoseconds in UTC.

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

func nullNanos(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: nanos(*t), Valid: true}
}

func fromNullNanos(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNanos(n.Int64)
	return &t
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

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

// where collects the conditions and arguments of a query built from a filter. The set of
// query texts it can produce is small and fixed, so each is prepared once per connection.
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

// idList encodes ids for `IN (SELECT value FROM json_each(?))`: one parameter and one query
// text whatever the number of ids.
func idList(ids []string) string { return jsonList(ids) }
