package sqlstore

import (
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

// Migration is one numbered schema change, a NNNN_name.sql file.
type Migration struct {
	Version int
	Name    string // the file name without .sql
	SQL     string
}

// LoadMigrations reads the *.sql files of dir in fsys, in order. Each name starts with a
// positive number, higher than the one before, and '_'; there is at least one.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.sql")) // sorted by name
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, f := range files {
		name := path.Base(f)
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_'", name)
		}
		if len(ms) > 0 && ms[len(ms)-1].Version >= v {
			return nil, fmt.Errorf("migration %s: version %d is not above the previous one", name, v)
		}
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), SQL: string(b)})
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations in %s", dir)
	}
	return ms, nil
}

// Migrator is what Migrate needs of a store: its migrations and a transaction that holds
// the store's migration lock.
type Migrator struct {
	Migrations []Migration
	// CreateTable is the store's CREATE TABLE IF NOT EXISTS schema_migrations (version,
	// name, applied_at).
	CreateTable string
	// Exec runs one statement: a whole migration file when there are no arguments, else a
	// statement with ? placeholders.
	Exec func(q string, args ...any) error
	// QueryInt runs a query that returns one integer.
	QueryInt func(q string) (int, error)
	Now      time.Time
}

// Migrate applies the migrations above the highest recorded version, each with its row in
// schema_migrations, and refuses a schema newer than the program.
func Migrate(m Migrator) error {
	if err := m.Exec(m.CreateTable); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	current, err := m.QueryInt("SELECT coalesce(max(version), 0) FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if latest := m.Migrations[len(m.Migrations)-1].Version; current > latest {
		return fmt.Errorf("database schema version %d is newer than this program's (%d): upgrade the program", current, latest)
	}
	for _, mg := range m.Migrations {
		if mg.Version <= current {
			continue
		}
		if err := m.Exec(mg.SQL); err != nil {
			return fmt.Errorf("migration %s: %w", mg.Name, err)
		}
		if err := m.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			mg.Version, mg.Name, m.Now.UnixNano()); err != nil {
			return fmt.Errorf("migration %s: %w", mg.Name, err)
		}
	}
	return nil
}
