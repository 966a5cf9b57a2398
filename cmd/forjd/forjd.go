package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/server"
	"github.com/forjinn/forjctl/pkg/store/sqlite"
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
)

// Environment variables read by forjd.
const (
	EnvDB             = "FORJ_DB"              // default for --db
	EnvSecret         = "FORJ_SECRET"          // server pepper (≥ 32 characters); else <db>.secret
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

	logger *slog.Logger
	store  *sqlite.Store
	ln     net.Listener
	http   *http.Server
	errc   chan error // receives the error that stopped serving, unless Close stopped it

	closeOnce sync.Once
	closeErr  error
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
	fs.StringVar(&m.DBPath, "db", "", "SQLite database `path` (default $"+EnvDB+", else $XDG_DATA_HOME/forjd/forjd.db)")
	fs.StringVar(&m.OwnerEmail, "owner-email", DefaultOwnerEmail, "`email` of the owner created on first start")
	fs.StringVar(&m.BootstrapTokenFile, "bootstrap-token-file", "", "write the owner's first token to this `file` (0600) instead of stderr")
	fs.StringVar(&m.LogFormat, "log-format", DefaultLogFormat, "log `format`: text or json")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: forjd [flags]\n\nServes the forjinn workspace API.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nEnvironment:\n"+
			"  %s    default for --db\n"+
			"  %s    server secret (at least %d characters); else a <db>.secret file is made on first start\n"+
			"  %s    the owner's first token (on first start only)\n",
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
	if strings.HasPrefix(m.DBPath, "postgres://") || strings.HasPrefix(m.DBPath, "postgresql://") {
		return usageErrorf("PostgreSQL store is not available in this build yet; use a SQLite file path for --db")
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
// background. It returns once the listener is bound (see Addr). Call Close afterwards, also
// when Run fails.
func (m *Main) Run(ctx context.Context) error {
	if m.Getenv == nil || m.Stderr == nil {
		return errors.New("forjd: Main not initialised; use NewMain")
	}
	m.logger = newLogger(m.Stderr, m.LogFormat)

	if err := os.MkdirAll(filepath.Dir(m.DBPath), 0o700); err != nil {
		return fmt.Errorf("create database directory: %w", err)
	}
	pepper, err := m.loadPepper()
	if err != nil {
		return err
	}

	st, err := sqlite.Open(m.DBPath, sqlite.Options{Now: time.Now})
	if err != nil {
		return fmt.Errorf("open database %s: %w", m.DBPath, err)
	}
	m.store = st

	// Listen before bootstrapping, so the first-start message can show the real address.
	ln, err := net.Listen("tcp", m.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Listen, err)
	}
	m.ln = ln

	if err := m.bootstrap(ctx, pepper); err != nil {
		return err
	}

	handler, err := server.New(server.Config{
		Store:  st,
		Pepper: pepper,
		Logger: m.logger,
		Now:    time.Now,
		Ready:  st.Ping,
	})
	if err != nil {
		return err
	}

	m.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.logger.Handler(), slog.LevelWarn),
	}
	m.errc = make(chan error, 1)
	go func() {
		if err := m.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.errc <- fmt.Errorf("serve: %w", err)
		}
	}()
	m.logger.Info("forjd listening", "addr", ln.Addr().String(), "db", m.DBPath, "version", Version())
	return nil
}

// Addr is the address the server listens on ("" before Run), e.g. the real port after
// --listen 127.0.0.1:0.
func (m *Main) Addr() string {
	if m.ln == nil {
		return ""
	}
	return m.ln.Addr().String()
}

// Err delivers the error that made the server stop serving on its own (never after Close).
func (m *Main) Err() <-chan error { return m.errc }

// Close stops accepting requests, lets the ones in flight finish (up to ShutdownTimeout),
// and closes the database. It is safe to call more than once and after a failed Run.
func (m *Main) Close() error {
	m.closeOnce.Do(func() {
		var errs []error
		if m.http != nil {
			ctx, cancel := context.WithTimeout(context.Background(), m.ShutdownTimeout)
			if err := m.http.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("shutdown: %w", err))
				_ = m.http.Close() // the drain timed out: cut the remaining connections
			}
			cancel()
		} else if m.ln != nil {
			_ = m.ln.Close()
		}
		if m.store != nil {
			if err := m.store.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close database: %w", err))
			}
		}
		if m.logger != nil {
			m.logger.Info("forjd stopped")
		}
		m.closeErr = errors.Join(errs...)
	})
	return m.closeErr
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

// loadPepper returns the server secret: FORJ_SECRET when set, else the <db>.secret file,
// created (0600, 64 random hex characters) on first start. Losing it invalidates every
// token, so it is made once and never rewritten.
func (m *Main) loadPepper() ([]byte, error) {
	if s := m.Getenv(EnvSecret); s != "" {
		if len(s) < minSecretLen {
			return nil, fmt.Errorf("%s is %d characters long; it must have at least %d", EnvSecret, len(s), minSecretLen)
		}
		return []byte(s), nil
	}
	path := m.DBPath + ".secret"
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return m.createSecretFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read server secret: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if len(s) < minSecretLen {
		return nil, fmt.Errorf("server secret %s is %d characters long; it must have at least %d", path, len(s), minSecretLen)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		m.logger.Warn("server secret file is readable by others; chmod 600 it", "path", path, "mode", fi.Mode().Perm().String())
	}
	return []byte(s), nil
}

func (m *Main) createSecretFile(path string) ([]byte, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate server secret: %w", err)
	}
	secret := hex.EncodeToString(raw)
	// O_EXCL: if another forjd made the file in the meantime, use that one.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return m.loadPepper()
	}
	if err != nil {
		return nil, fmt.Errorf("create server secret: %w", err)
	}
	_, werr := f.WriteString(secret + "\n")
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("write server secret: %w", err)
	}
	m.logger.Info("created server secret; back it up with the database", "path", path)
	return []byte(secret), nil
}

// bootstrap creates the owner and its first token on first start and hands the token over:
// to --bootstrap-token-file, or framed on stderr. A token from FORJ_BOOTSTRAP_TOKEN is the
// operator's own and is not repeated anywhere. The token is never logged.
func (m *Main) bootstrap(ctx context.Context, pepper []byte) error {
	token := m.Getenv(EnvBootstrapToken)
	created, secret, err := server.Bootstrap(ctx, m.store, pepper, m.OwnerEmail, token)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if !created {
		return nil
	}
	switch {
	case token != "":
		m.logger.Info("created the owner with the token from "+EnvBootstrapToken, "email", m.OwnerEmail)
	case m.BootstrapTokenFile != "":
		if err := writeFileAtomic(m.BootstrapTokenFile, []byte(secret+"\n"), 0o600); err != nil {
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

// writeFileAtomic writes data to a temporary file beside path with mode perm, then renames
// it into place, so a reader never sees a partial token file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() { _ = os.Remove(tmp) }() // no-op after a successful rename
	if err := f.Chmod(perm); err != nil {
		_ = f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
