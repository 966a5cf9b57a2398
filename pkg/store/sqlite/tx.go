package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/store/sqlstore"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// tx is one transaction on a connection inside BEGIN … COMMIT/ROLLBACK: the shared query
// code (sqlstore.Tx) run by this connection's prepared statements.
type tx struct {
	sqlstore.Tx
	ctx context.Context
	c   *conn
}

var _ forj.Tx = (*tx)(nil)

// newTx makes the transaction's forj.Tx: one allocation, the executor being tx itself.
func newTx(ctx context.Context, c *conn, now time.Time) *tx {
	t := &tx{ctx: ctx, c: c}
	t.Init(t, &dialect, now)
	return t
}

// The sqlstore.Executor methods. SQLite fails only the statement that breaks a constraint,
// so the guarded forms need no savepoint.

func (t *tx) Exec(q string, args ...any) (int64, error) {
	res, err := t.c.exec(t.ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t *tx) Insert(q string, args ...any) (int64, error) {
	res, err := t.c.exec(t.ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func (t *tx) ExecGuarded(q string, args ...any) (int64, error) { return t.Exec(q, args...) }

func (t *tx) Guarded(fn func() error) error { return fn() }

func (t *tx) Query(q string, args ...any) (sqlstore.Rows, error) {
	rows, err := t.c.query(t.ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (t *tx) QueryRow(q string, args ...any) sqlstore.Row { return t.c.queryRow(t.ctx, q, args...) }

// sqlRows is *sql.Rows with pgx's Close. One pointer, so it fits in an interface without
// an allocation.
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

// dialect is SQLite's: lists of ids are JSON text read by json_each.
var dialect = sqlstore.Dialect{
	Name: "sqlite",
	NoRows: func(err error) bool {
		return errors.Is(err, sql.ErrNoRows)
	},
	UniqueViolation:     uniqueViolation,
	ForeignKeyViolation: foreignKeyViolation,
	InList: func(expr string) string {
		return expr + " IN (SELECT value FROM json_each(?))"
	},
	ListArg: func(list []string) any {
		b, _ := json.Marshal(list) // cannot fail for strings
		return string(b)
	},
	// The unary + that SQLite's query planner documents for this.
	Unindexed: func(column string) string { return "+" + column },
	UTCDay:    "date(time / 1000000000, 'unixepoch')",
	LabelsContain: `NOT EXISTS (SELECT 1 FROM json_each(?) AS want WHERE NOT EXISTS (
		SELECT 1 FROM json_each(labels) AS have WHERE have.key = want.key AND have.value = want.value))`,
}

func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// uniqueViolation reports whether err is a UNIQUE or PRIMARY KEY violation and, if so, the
// key: SQLite names the columns ("UNIQUE constraint failed: users.email (2067)"), made
// into "users(email)".
func uniqueViolation(err error) (string, bool) {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		msg := err.Error()
		i := strings.LastIndex(msg, "failed: ")
		if i < 0 {
			return "", true
		}
		cols, _, _ := strings.Cut(msg[i+len("failed: "):], " (")
		var table string
		var b strings.Builder
		for i, col := range strings.Split(cols, ", ") {
			tab, c, _ := strings.Cut(col, ".")
			if i == 0 {
				table = tab
			} else {
				b.WriteString(", ")
			}
			b.WriteString(c)
		}
		return table + "(" + b.String() + ")", true
	}
	return "", false
}

func foreignKeyViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
