package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/store/sqlstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// tx is one pgx transaction running the shared query code (sqlstore.Tx).
type tx struct {
	sqlstore.Tx
	ctx context.Context
	tx  pgx.Tx
}

var _ forj.Tx = (*tx)(nil)

// newTx makes the transaction's forj.Tx, the executor being tx itself.
func newTx(ctx context.Context, ptx pgx.Tx, now time.Time) *tx {
	t := &tx{ctx: ctx, tx: ptx}
	t.Init(t, &dialect, now)
	return t
}

// Queries are written with ? placeholders and rewritten once to PostgreSQL's $1, $2, …
// (the set of query texts is small and fixed). A query that already numbers its
// parameters is left alone.
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

// The sqlstore.Executor methods.

func (t *tx) Exec(q string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(t.ctx, rebind(q), args...)
	return tag.RowsAffected(), err
}

func (t *tx) Insert(q string, args ...any) (int64, error) {
	var seq int64
	err := t.tx.QueryRow(t.ctx, rebind(q+" RETURNING seq"), args...).Scan(&seq)
	return seq, err
}

func (t *tx) Query(q string, args ...any) (sqlstore.Rows, error) {
	return t.tx.Query(t.ctx, rebind(q), args...)
}

func (t *tx) QueryRow(q string, args ...any) sqlstore.Row {
	return t.tx.QueryRow(t.ctx, rebind(q), args...)
}

// PostgreSQL aborts the whole transaction when a statement fails, where SQLite fails only
// the statement. The statements whose constraint errors the store maps to forj errors
// (unique → EConflict, foreign key → ENotFound) run inside a savepoint, so after such an
// error the transaction goes on, as on SQLite: a handler may catch EConflict and continue
// (import with --on-conflict skip, say).
func (t *tx) Guarded(fn func() error) error {
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

// ExecGuarded is Exec inside a savepoint.
func (t *tx) ExecGuarded(q string, args ...any) (n int64, err error) {
	err = t.Guarded(func() error {
		n, err = t.Exec(q, args...)
		return err
	})
	return n, err
}

// dialect is PostgreSQL's: lists of ids are one text[] parameter.
var dialect = sqlstore.Dialect{
	Name: "postgres",
	NoRows: func(err error) bool {
		return errors.Is(err, pgx.ErrNoRows)
	},
	UniqueViolation:     uniqueViolation,
	ForeignKeyViolation: foreignKeyViolation,
	InList: func(expr string) string {
		return expr + " = ANY(?)"
	},
	ListArg: func(list []string) any { return list },
	// An expression, which no index covers. Statistics would often steer the planner
	// right, but not for rows written since the last ANALYZE (a bulk import or copy).
	Unindexed: func(column string) string { return "(" + column + " || '')" },
	UTCDay:    "to_char(to_timestamp(div(time, 1000000000)) AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
	// Labels are JSON text, as on SQLite; the cast makes them jsonb for containment.
	LabelsContain: "labels::jsonb @> CAST(? AS text)::jsonb",
}

func pgError(err error) (*pgconn.PgError, bool) {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// uniqueViolation reports whether err is a unique or primary key violation (23505) and,
// if so, the key as "table(column, column)": the table from the error, the columns from
// its detail ("Key (workspace_id, kind, name)=(…) already exists."). When the detail has
// no columns, the key is the constraint's name.
func uniqueViolation(err error) (string, bool) {
	e, ok := pgError(err)
	if !ok || e.Code != "23505" {
		return "", false
	}
	if rest, ok := strings.CutPrefix(e.Detail, "Key ("); ok {
		if cols, _, ok := strings.Cut(rest, ")=("); ok && e.TableName != "" {
			return e.TableName + "(" + strings.ReplaceAll(cols, `"`, "") + ")", true
		}
	}
	return e.ConstraintName, true
}

func foreignKeyViolation(err error) bool {
	e, ok := pgError(err)
	return ok && e.Code == "23503"
}
