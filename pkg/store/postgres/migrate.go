package postgres

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/forjinn/forjctl/pkg/store/sqlstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are numbered NNNN_name.sql files, applied in order, each at most once. They
// are the PostgreSQL forms of pkg/store/sqlite/migrations, number for number.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies the missing migrations in one transaction, so a failure leaves the
// schema as it was (PostgreSQL's DDL is transactional). The transaction first takes an
// advisory lock, so replicas starting together migrate one after the other: the first
// applies the migrations, the others then find them applied (READ COMMITTED: each
// statement after the lock sees what the first committed).
func migrate(ctx context.Context, pool *pgxpool.Pool, now time.Time) (err error) {
	ms, err := sqlstore.LoadMigrations(migrations, "migrations")
	if err != nil {
		return err
	}
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockMigrate); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		return sqlstore.Migrate(sqlstore.Migrator{
			Migrations: ms,
			CreateTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
				version    INTEGER PRIMARY KEY,
				name       TEXT NOT NULL,
				applied_at BIGINT NOT NULL
			)`,
			Exec: func(q string, args ...any) error {
				if len(args) > 0 {
					q = rebind(q)
				}
				// Without arguments pgx uses the simple protocol, which runs a file of
				// several statements.
				_, err := tx.Exec(ctx, q, args...)
				return err
			},
			QueryInt: func(q string) (n int, err error) {
				err = tx.QueryRow(ctx, q).Scan(&n)
				return n, err
			},
			Now: now,
		})
	})
}
