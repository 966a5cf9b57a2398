package sqlite

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/forjinn/forjctl/pkg/store/sqlstore"
)

// migrations are numbered NNNN_name.sql files, applied in order, each at most once.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies the missing migrations in one transaction, so a failure leaves the
// schema as it was. Safe to run at every start; concurrent starts serialize on the
// write lock (BEGIN IMMEDIATE).
func migrate(ctx context.Context, c *conn, now time.Time) (err error) {
	ms, err := sqlstore.LoadMigrations(migrations, "migrations")
	if err != nil {
		return err
	}
	if _, err := c.c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer func() {
		if err != nil {
			c.c.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	err = sqlstore.Migrate(sqlstore.Migrator{
		Migrations: ms,
		CreateTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at INTEGER NOT NULL
		) STRICT`,
		Exec: func(q string, args ...any) error {
			_, err := c.c.ExecContext(ctx, q, args...)
			return err
		},
		QueryInt: func(q string) (n int, err error) {
			err = c.c.QueryRowContext(ctx, q).Scan(&n)
			return n, err
		},
		Now: now,
	})
	if err != nil {
		return err
	}
	if _, err := c.c.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}
