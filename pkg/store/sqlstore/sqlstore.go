// Package sqlstore is the query code of forj.Tx, written once for the SQLite and PostgreSQL
// stores (pkg/store/sqlite, pkg/store/postgres).
//
// A store keeps what really differs: opening the database, its connections, transactions
// (BEGIN IMMEDIATE, or an advisory write lock), migrations. For each transaction it gives
// sqlstore an Executor that runs statements on it, and a Dialect: the driver's errors and the
// few SQL fragments that differ. Every query here is written with ? placeholders; the
// PostgreSQL executor rewrites them to $1, $2, … (once per query text).
//
// The set of query texts a Tx can produce is small and fixed (filters add conditions from a
// fixed list, lists of ids are one parameter), so a store may prepare each once per
// connection, as the SQLite store does.
package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

// Executor runs the statements of one transaction.
type Executor interface {
	// Exec runs a statement and reports how many rows it changed.
	Exec(q string, args ...any) (int64, error)
	// ExecGuarded is Exec for a statement whose constraint errors (unique, foreign key) the
	// caller turns into forj errors, after which the transaction must go on as if the
	// statement had never run. SQLite fails only the statement anyway; PostgreSQL aborts
	// the whole transaction, so its executor runs the statement in a savepoint.
	ExecGuarded(q string, args ...any) (int64, error)
	// Guarded runs fn, a group of statements, with the same guarantee: when fn fails,
	// the transaction goes on (on PostgreSQL without any of fn's changes).
	Guarded(fn func() error) error
	// Insert runs q, an INSERT into a table whose integer key seq the database assigns,
	// and returns the new row's seq (SQLite's last insert rowid; RETURNING seq on
	// PostgreSQL).
	Insert(q string, args ...any) (seq int64, err error)
	// Query runs a query; the caller closes the rows.
	Query(q string, args ...any) (Rows, error)
	// QueryRow runs a query expected to return at most one row. Scan reports a missing row
	// with an error for which Dialect.NoRows is true.
	QueryRow(q string, args ...any) Row
}

// Rows is a query's result: pgx.Rows as it is, *sql.Rows behind a thin wrapper.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is one row: a *sql.Row or a pgx.Row.
type Row interface {
	Scan(dest ...any) error
}

// Dialect is what differs between the databases, as data.
type Dialect struct {
	// Name prefixes internal errors: "sqlite: get user: …".
	Name string
	// NoRows reports whether err says that QueryRow found no row.
	NoRows func(err error) bool
	// UniqueViolation reports whether err is a unique or primary key violation and, if so,
	// the key that failed as "table(column, column)", the columns in the key's order.
	UniqueViolation func(err error) (key string, ok bool)
	// ForeignKeyViolation reports whether err is a foreign key violation.
	ForeignKeyViolation func(err error) bool
	// InList returns a condition true when expr is one of a list of strings passed as one
	// parameter, whose value ListArg makes.
	InList  func(expr string) string
	ListArg func(list []string) any
	// Unindexed returns a column such that the planner uses no index for a condition on it,
	// where another condition is far more selective than its statistics may tell.
	Unindexed func(column string) string
	// UTCDay is an expression of the UTC date, as "2006-01-02", of the column time (unix
	// nanoseconds).
	UTCDay string
	// LabelsContain is a condition true when the JSON object in the column labels holds
	// every pair of the JSON object passed as its one parameter.
	LabelsContain string
}

// Tx implements forj.Tx on an Executor. A store embeds it in its own transaction type and
// calls Init before handing it out.
type Tx struct {
	x   Executor
	d   *Dialect
	now time.Time // read once per transaction, so one change has one time
}

// Init readies t for one transaction run by x, whose time is now.
func (t *Tx) Init(x Executor, d *Dialect, now time.Time) {
	t.x, t.d, t.now = x, d, now
}

var _ forj.Tx = (*Tx)(nil)

func (t *Tx) Now() time.Time { return t.now }

// internal wraps an unexpected database error.
func (t *Tx) internal(op string, err error) error {
	return fmt.Errorf("%s: %s: %w", t.d.Name, op, err)
}

// count runs a SELECT count(*) query.
func (t *Tx) count(q string, args ...any) (int, error) {
	var n int
	err := t.x.QueryRow(q, args...).Scan(&n)
	return n, err
}

// exists reports whether q returns a row.
func (t *Tx) exists(q string, args ...any) (bool, error) {
	var one int
	err := t.x.QueryRow(q, args...).Scan(&one)
	if err != nil && t.d.NoRows(err) {
		return false, nil
	}
	return err == nil, err
}

// scanner is a Rows or a Row.
type scanner interface{ Scan(dest ...any) error }

// scanAll reads every row of q with scan, closing the rows.
func scanAll[T any](t *Tx, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := t.x.Query(q, args...)
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

// Nullable values are sql.Null* types: both database/sql and pgx take and fill them.

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

// in adds "expr is one of list": the common case of one element as a plain comparison
// (which lets an index on expr yield rows in order), else one list parameter.
func (t *Tx) in(w *where, expr string, list []string) {
	if len(list) == 1 {
		w.add(expr+" = ?", list[0])
		return
	}
	w.add(t.d.InList(expr), t.d.ListArg(list))
}
