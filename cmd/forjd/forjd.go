package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/forjinn/forjctl/pkg/daemon"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/fsutil"
	"github.com/forjinn/forjctl/pkg/server"
)

// version is set at link time (-ldflags "-X main.version=v1.2.3"); otherwise the module
// version from the build info is used.
var version = ""

// Defaults of the command line.
const (
	DefaultListen      = "127.0.0.1:8420"
	DefaultOwnerEmail  = "admin@localhost"
	DefaultLogFormat   = "text"
	DefaultShutdownTTL = 15 * time.Second
	// DefaultDBMaxConns is the PostgreSQL pool size per replica: writers queue on one
	// advisory lock anyway, so a small pool serves reads without crowding max_connections.
	DefaultDBMaxConns = 10
)

// Environment variables read by forjd.
const (
	EnvDB             = "FORJ_DB"              // default for --db (a SQLite path or a postgres:// URL)
	EnvSecret         = "FORJ_SECRET"          // server pepper (≥ 32 characters); else <db>.secret (SQLite only)
	EnvBootstrapToken = "FORJ_BOOTSTRAP_TOKEN" // the owner's first token, on first start only
)

// minSecretLen is the shortest FORJ_SECRET accepted; it matches server.MinPepperBytes.
const minSecretLen = server.MinPepperBytes

// ErrDone is returned by ParseFlags when the command line asked only for help or the
// version, which have been printed: the process should exit 0 without serving.
var ErrDone = errors.New("done")

// UsageError is an error of the command line (exit code 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// Main is the forjd program: ParseFlags, then Run, then Close. It holds every dependency
// the process needs, so tests run the real thing with their own streams and environment.
type Main struct {
	// Streams and environment; NewMain sets them to the process's own.
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string

	// Settings, filled in by ParseFlags.
	Listen             string
	DBPath             string
	OwnerEmail         string
	BootstrapTokenFile string
	LogFormat          string
	ShutdownTimeout    time.Duration
	DBMaxConns         int // PostgreSQL pool size

	logger *slog.Logger
	daemon *daemon.Daemon
}

// NewMain returns a Main bound to the process's streams and environment.
func NewMain() *Main {
	return &Main{
		Stdout:          os.Stdout,
		Stderr:          os.Stderr,
		Getenv:          os.Getenv,
		ShutdownTimeout: DefaultShutdownTTL,
	}
}

// ParseFlags reads the command line (and the environment for defaults) into m and checks
// it. It returns ErrDone after printing help or the version, and a *UsageError for a bad
// command line.
func (m *Main) ParseFlags(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("forjd", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, not printed twice; -h prints below
	fs.StringVar(&m.Listen, "listen", DefaultListen, "`address` to listen on (host:port; port 0 picks a free one)")
	fs.StringVar(&m.DBPath, "db", "", "`database`: a SQLite file path, or a postgres:// URL for PostgreSQL (default $"+EnvDB+", else $XDG_DATA_HOME/forjd/forjd.db)")
	fs.IntVar(&m.DBMaxConns, "db-max-conns", DefaultDBMaxConns, "PostgreSQL connection pool size of this replica (`n`)")
	fs.DurationVar(&m.ShutdownTimeout, "shutdown-timeout", DefaultShutdownTTL, "on SIGTERM, how long requests in flight may take to finish (`duration`)")
	fs.StringVar(&m.OwnerEmail, "owner-email", DefaultOwnerEmail, "`email` of the owner created on first start")
	fs.StringVar(&m.BootstrapTokenFile, "bootstrap-token-file", "", "write the owner's first token to this `file` (0600) instead of stderr")
	fs.StringVar(&m.LogFormat, "log-format", DefaultLogFormat, "log `format`: text or json")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: forjd [flags]\n\nServes the forjinn workspace API.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nEnvironment:\n"+
			"  %s    default for --db\n"+
			"  %s    server secret (at least %d characters); with SQLite, else a <db>.secret file is\n"+
			"                 made on first start; with PostgreSQL required, the same on every replica\n"+
			"  %s    the owner's first token (on first start only)\n"+
			"\nPostgreSQL: several forjd replicas may share one database behind a load balancer;\n"+
			"see docs/deploy.md. Example: --db 'postgres://forjd:PASSWORD@db:5432/forjd?sslmode=require'\n",
			EnvDB, EnvSecret, minSecretLen, EnvBootstrapToken)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(m.Stderr)
			fs.Usage()
			return ErrDone
		}
		return usageErrorf("%v (see forjd -h)", err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q (forjd takes flags only)", fs.Arg(0))
	}
	if *showVersion {
		fmt.Fprintf(m.Stdout, "forjd %s\n", Version())
		return ErrDone
	}

	switch m.LogFormat {
	case "text", "json":
	default:
		return usageErrorf("unknown --log-format %q: use text or json", m.LogFormat)
	}
	if _, _, err := net.SplitHostPort(m.Listen); err != nil {
		return usageErrorf("invalid --listen %q: %v", m.Listen, err)
	}
	email, err := forj.NormalizeEmail(m.OwnerEmail)
	if err != nil {
		return usageErrorf("invalid --owner-email: %v", err)
	}
	m.OwnerEmail = email

	if m.DBPath == "" {
		m.DBPath = m.Getenv(EnvDB)
	}
	if m.DBPath == "" {
		if m.DBPath, err = m.defaultDBPath(); err != nil {
			return usageErrorf("%v", err)
		}
	}
	if daemon.IsPostgres(m.DBPath) {
		if _, err := url.Parse(m.DBPath); err != nil {
			// url's error quotes the whole URL, password included: say less.
			return usageErrorf("invalid PostgreSQL URL in --db / %s", EnvDB)
		}
		if m.DBMaxConns < 1 || m.DBMaxConns > math.MaxInt32 {
			return usageErrorf("invalid --db-max-conns %d: use a positive number", m.DBMaxConns)
		}
	} else if strings.Contains(m.DBPath, "://") || strings.Contains(m.DBPath, "host=") {
		// Not echoed: a connection string may hold a password.
		return usageErrorf("--db / %s looks like a connection string but is not a postgres:// URL; give PostgreSQL as postgres://user:password@host:5432/dbname, SQLite as a file path", EnvDB)
	}
	if m.ShutdownTimeout <= 0 {
		m.ShutdownTimeout = DefaultShutdownTTL
	}
	return nil
}

// defaultDBPath is $XDG_DATA_HOME/forjd/forjd.db, else ~/.local/share/forjd/forjd.db.
func (m *Main) defaultDBPath() (string, error) {
	if d := m.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "forjd", "forjd.db"), nil
	}
	home := m.Getenv("HOME")
	if home == "" {
		return "", errors.New("cannot choose a database path: neither XDG_DATA_HOME nor HOME is set; pass --db")
	}
	return filepath.Join(home, ".local", "share", "forjd", "forjd.db"), nil
}

// Run opens the database, creates the owner on first start, and starts serving in the
// background (pkg/daemon). It returns once the listener is bound (see Addr). Call Close
// afterwards, also when Run fails.
func (m *Main) Run(ctx context.Context) error {
	if m.Getenv == nil || m.Stderr == nil {
		return errors.New("forjd: Main not initialised; use NewMain")
	}
	m.logger = newLogger(m.Stderr, m.LogFormat)
	if s := m.Getenv(EnvSecret); s != "" && len(s) < minSecretLen {
		return fmt.Errorf("%s is %d characters long; it must have at least %d", EnvSecret, len(s), minSecretLen)
	}
	token := m.Getenv(EnvBootstrapToken)
	d, err := daemon.Start(ctx, daemon.Config{
		Listen:          m.Listen,
		DBPath:          m.DBPath,
		OwnerEmail:      m.OwnerEmail,
		BootstrapToken:  token,
		Secret:          m.Getenv(EnvSecret),
		MaxConns:        int32(m.DBMaxConns),
		Logger:          m.logger,
		ShutdownTimeout: m.ShutdownTimeout,
	})
	if err != nil {
		return err
	}
	m.daemon = d
	if err := m.handOver(token); err != nil {
		return err
	}
	db := m.DBPath
	if daemon.IsPostgres(db) {
		db = daemon.RedactDSN(db)
	}
	m.logger.Info("forjd listening", "addr", d.Addr(), "db", db, "version", Version())
	return nil
}

// Addr is the address the server listens on ("" before Run), e.g. the real port after
// --listen 127.0.0.1:0.
func (m *Main) Addr() string {
	if m.daemon == nil {
		return ""
	}
	return m.daemon.Addr()
}

// Err delivers the error that made the server stop serving on its own (never after Close).
func (m *Main) Err() <-chan error {
	if m.daemon == nil {
		return nil
	}
	return m.daemon.Err()
}

// Close stops accepting requests, lets the ones in flight finish (up to ShutdownTimeout),
// and closes the database. It is safe to call more than once and after a failed Run.
func (m *Main) Close() error {
	if m.daemon == nil {
		return nil
	}
	err := m.daemon.Close()
	if m.logger != nil {
		m.logger.Info("forjd stopped")
	}
	return err
}

// Version is the version forjd reports.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func newLogger(w io.Writer, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// handOver gives the owner's first token, made on first start, to the operator: to
// --bootstrap-token-file, or framed on stderr. A token from FORJ_BOOTSTRAP_TOKEN is the
// operator's own and is not repeated anywhere. The token is never logged.
func (m *Main) handOver(token string) error {
	created, secret := m.daemon.Bootstrapped()
	if !created {
		return nil
	}
	switch {
	case token != "":
		m.logger.Info("created the owner with the token from "+EnvBootstrapToken, "email", m.OwnerEmail)
	case m.BootstrapTokenFile != "":
		if err := fsutil.WriteFileAtomic(m.BootstrapTokenFile, []byte(secret+"\n"), 0o600); err != nil {
			return fmt.Errorf("write bootstrap token: %w", err)
		}
		m.logger.Info("created the owner; its first token is in the bootstrap token file",
			"email", m.OwnerEmail, "path", m.BootstrapTokenFile)
	default:
		m.logger.Info("created the owner; its first token follows on stderr, shown once", "email", m.OwnerEmail)
		fmt.Fprintf(m.Stderr, "\n"+
			"==================== forjd: owner token (shown once) ====================\n"+
			"Owner: %s\n"+
			"Token: %s\n"+
			"Log in with:  forjctl auth login --server http://%s --with-token\n"+
			"Keep it secret. It is not stored anywhere in clear and will not be shown again.\n"+
			"==========================================================================\n\n",
			m.OwnerEmail, secret, m.Addr())
	}
	return nil
}
