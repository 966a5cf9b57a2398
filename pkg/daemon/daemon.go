// Package daemon runs forjd: it opens the store (a SQLite file, or PostgreSQL when DBPath
// is a postgres:// URL), loads the server secret (for SQLite, created beside the database
// on first start; for PostgreSQL, always from Config.Secret), creates the owner on first
// start and serves the API. cmd/forjd wraps it in a command line; 'forjctl dev' embeds it
// in-process.
package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/server"
	"github.com/forjinn/forjctl/pkg/store/postgres"
	"github.com/forjinn/forjctl/pkg/store/sqlite"
)

// DefaultShutdownTimeout bounds how long Close waits for requests in flight.
const DefaultShutdownTimeout = 15 * time.Second

// Config says how to run a daemon.
type Config struct {
	Listen string // host:port; port 0 picks a free one
	// DBPath is the SQLite database file, or a postgres:// (postgresql://) URL for
	// PostgreSQL (see IsPostgres).
	DBPath     string
	OwnerEmail string // the owner created on first start
	// BootstrapToken is the owner's first token on first start ("" = generate one).
	BootstrapToken string
	// Secret is the server pepper (≥ server.MinPepperBytes characters); "" = the <db>.secret
	// file beside the database, created on first start. Required for PostgreSQL, where
	// every replica must be given the same one.
	Secret string
	// MaxConns bounds the PostgreSQL connection pool (0 = pgxpool's default); unused on SQLite.
	MaxConns        int32
	Logger          *slog.Logger // nil → discard
	ShutdownTimeout time.Duration
}

// Daemon is a running forjd.
type Daemon struct {
	cfg    Config
	log    *slog.Logger
	store  forj.Store
	ping   func(context.Context) error
	close  func() error
	pepper []byte
	ln     net.Listener
	http   *http.Server
	errc   chan error

	created bool
	secret  string

	closeOnce sync.Once
	closeErr  error
}

// Start opens the database, creates the owner on first start, and serves in the background.
// It returns once the listener is bound. Call Close afterwards, also when Start fails.
func Start(ctx context.Context, cfg Config) (*Daemon, error) {
	d := &Daemon{cfg: cfg, log: cfg.Logger, errc: make(chan error, 1)}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.cfg.ShutdownTimeout <= 0 {
		d.cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if err := d.start(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func (d *Daemon) start(ctx context.Context) error {
	if IsPostgres(d.cfg.DBPath) {
		if err := d.openPostgres(ctx); err != nil {
			return err
		}
	} else if err := d.openSQLite(); err != nil {
		return err
	}
	st := d.store
	pepper := d.pepper

	// Listen before bootstrapping, so a first-start message can show the real address.
	ln, err := net.Listen("tcp", d.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", d.cfg.Listen, err)
	}
	d.ln = ln

	d.created, d.secret, err = server.Bootstrap(ctx, st, pepper, d.cfg.OwnerEmail, d.cfg.BootstrapToken)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	handler, err := server.New(server.Config{Store: st, Pepper: pepper, Logger: d.log, Now: time.Now, Ready: d.ping})
	if err != nil {
		return err
	}
	d.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := d.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.errc <- fmt.Errorf("serve: %w", err)
		}
	}()
	return nil
}

// Addr is the address the daemon listens on, e.g. the real port after Listen "…:0".
func (d *Daemon) Addr() string { return d.ln.Addr().String() }

// URL is the base URL of the API.
func (d *Daemon) URL() string { return "http://" + d.Addr() }

// Store is the daemon's store, for callers that run it in-process (forjctl dev).
func (d *Daemon) Store() forj.Store { return d.store }

// Pepper is the server secret tokens are hashed with.
func (d *Daemon) Pepper() []byte { return d.pepper }

// Bootstrapped reports whether this start created the owner, and the owner's first token.
func (d *Daemon) Bootstrapped() (created bool, token string) { return d.created, d.secret }

// Err delivers the error that made the server stop serving on its own (never after Close).
func (d *Daemon) Err() <-chan error { return d.errc }

// Close stops accepting requests, lets the ones in flight finish (up to ShutdownTimeout),
// and closes the database. It is safe to call more than once.
func (d *Daemon) Close() error {
	d.closeOnce.Do(func() {
		var errs []error
		if d.http != nil {
			ctx, cancel := context.WithTimeout(context.Background(), d.cfg.ShutdownTimeout)
			if err := d.http.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("shutdown: %w", err))
				_ = d.http.Close() // the drain timed out: cut the remaining connections
			}
			cancel()
		} else if d.ln != nil {
			_ = d.ln.Close()
		}
		if d.close != nil {
			if err := d.close(); err != nil {
				errs = append(errs, fmt.Errorf("close database: %w", err))
			}
		}
		d.closeErr = errors.Join(errs...)
	})
	return d.closeErr
}

// IsPostgres reports whether dsn selects the PostgreSQL store: a postgres:// or
// postgresql:// URL. Anything else is a SQLite file path.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func (d *Daemon) openSQLite() error {
	if err := os.MkdirAll(filepath.Dir(d.cfg.DBPath), 0o700); err != nil {
		return fmt.Errorf("create database directory: %w", err)
	}
	pepper, err := LoadPepper(d.cfg.DBPath, d.cfg.Secret, d.log)
	if err != nil {
		return err
	}
	d.pepper = pepper
	st, err := sqlite.Open(d.cfg.DBPath, sqlite.Options{Now: time.Now})
	if err != nil {
		return fmt.Errorf("open database %s: %w", d.cfg.DBPath, err)
	}
	d.store, d.ping, d.close = st, st.Ping, st.Close
	return nil
}

// ErrNoSecret is returned for PostgreSQL without Config.Secret: there is no local file to
// keep a generated one in, and every replica must hash tokens with the same secret.
var ErrNoSecret = errors.New("PostgreSQL needs the server secret from FORJ_SECRET (at least " +
	fmt.Sprint(server.MinPepperBytes) + " characters, e.g. from 'openssl rand -hex 32'); " +
	"set it to the same value on every replica")

func (d *Daemon) openPostgres(ctx context.Context) error {
	if d.cfg.Secret == "" {
		return ErrNoSecret
	}
	pepper, err := LoadPepper("", d.cfg.Secret, d.log)
	if err != nil {
		return err
	}
	d.pepper = pepper
	st, err := postgres.Open(ctx, d.cfg.DBPath, postgres.Options{Now: time.Now, MaxConns: d.cfg.MaxConns})
	if err != nil {
		// The error never repeats the DSN, which may hold a password.
		return fmt.Errorf("open PostgreSQL database %s: %w", RedactDSN(d.cfg.DBPath), err)
	}
	d.store, d.ping, d.close = st, st.Ping, st.Close
	return nil
}

// RedactDSN returns a postgres:// URL with its password replaced by "xxxxx", for logs.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// LoadPepper returns the server secret: secret when set, else the <db>.secret file,
// created (0600, 64 random hex characters) on first start. Losing it invalidates every
// token, so it is made once and never rewritten.
func LoadPepper(dbPath, secret string, log *slog.Logger) ([]byte, error) {
	if secret != "" {
		if len(secret) < server.MinPepperBytes {
			return nil, fmt.Errorf("the server secret is %d characters long; it must have at least %d", len(secret), server.MinPepperBytes)
		}
		return []byte(secret), nil
	}
	path := dbPath + ".secret"
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return createSecretFile(path, dbPath, log)
	}
	if err != nil {
		return nil, fmt.Errorf("read server secret: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if len(s) < server.MinPepperBytes {
		return nil, fmt.Errorf("server secret %s is %d characters long; it must have at least %d", path, len(s), server.MinPepperBytes)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("server secret file is readable by others; chmod 600 it", "path", path, "mode", fi.Mode().Perm().String())
	}
	return []byte(s), nil
}

func createSecretFile(path, dbPath string, log *slog.Logger) ([]byte, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate server secret: %w", err)
	}
	secret := hex.EncodeToString(raw)
	// O_EXCL: if another forjd made the file in the meantime, use that one.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadPepper(dbPath, "", log)
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
	log.Info("created server secret; back it up with the database", "path", path)
	return []byte(secret), nil
}
