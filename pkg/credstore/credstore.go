// Package credstore keeps API tokens: in the OS keyring when there is a usable one, else in a
// 0600 file beside the config, never silently. FORJ_TOKEN overrides both and is never
// written anywhere. Every keyring call is bounded by a timeout, because a Secret Service
// waiting on an unlock prompt (or a half-dead D-Bus) can otherwise block a command forever.
package credstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/zalando/go-keyring"
)

// Service is the keyring service name tokens are stored under.
const Service = "forjctl"

// EnvToken overrides every store.
const EnvToken = "FORJ_TOKEN"

// DefaultTimeout bounds each keyring call when Options.Timeout is zero.
const DefaultTimeout = 3 * time.Second

// Modes (the credential-store setting).
const (
	ModeAuto    = "auto"
	ModeKeyring = "keyring"
	ModeFile    = "file"
)

// Source kinds.
const (
	KindEnv     = "env"
	KindKeyring = "keyring"
	KindFile    = "file"
)

// ErrNotFound is returned (possibly wrapped) when no token is stored for a key. It is a
// *forj.Error with code unauthenticated, so the CLI maps it to exit code 4.
var ErrNotFound = &forj.Error{
	Code:    forj.EUnauthenticated,
	Message: "not logged in",
	Hint:    "run 'forjctl auth login', or set " + EnvToken,
}

// errTimeout marks a keyring call abandoned after the timeout.
var errTimeout = errors.New("keyring did not answer")

// Keyring is the OS keyring's interface (zalando/go-keyring's). Get must return an error
// matching keyring.ErrNotFound for a missing entry.
type Keyring interface {
	Set(service, user, password string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

// Source says where a token came from or went, and why, for 'auth status'.
type Source struct {
	Kind   string // KindEnv, KindKeyring or KindFile
	Detail string // e.g. "FORJ_TOKEN is set", "Secret Service"
}

func (s Source) String() string {
	if s.Detail == "" {
		return s.Kind
	}
	return s.Kind + " (" + s.Detail + ")"
}

// Options configure a Store.
type Options struct {
	Mode     string              // ModeAuto (default), ModeKeyring or ModeFile
	FilePath string              // the 0600 fallback file, credentials.yaml beside config.yaml
	Timeout  time.Duration       // bound on each keyring call; DefaultTimeout if zero
	Keyring  Keyring             // nil: the OS keyring through zalando/go-keyring
	Env      func(string) string // reads FORJ_TOKEN; nil: os.Getenv
	Warn     io.Writer           // one-line warnings (stderr); nil: discarded
}

// Store reads and writes tokens. It is safe for concurrent use.
type Store struct {
	mode     string
	file     string
	timeout  time.Duration
	kr       Keyring
	krName   string
	env      func(string) string
	warnOut  io.Writer
	mu       sync.Mutex
	warned   bool
	krBroken error // a keyring call timed out: skip the keyring for the rest of this Store's life
}

// New returns a Store. An invalid mode is reported by the first call that needs it.
func New(opts Options) *Store {
	s := &Store{
		mode:    opts.Mode,
		file:    opts.FilePath,
		timeout: opts.Timeout,
		kr:      opts.Keyring,
		krName:  "OS keyring",
		env:     opts.Env,
		warnOut: opts.Warn,
	}
	if s.mode == "" {
		s.mode = ModeAuto
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.kr == nil {
		s.kr = osKeyring{}
		s.krName = osKeyringName()
	}
	if s.env == nil {
		s.env = os.Getenv
	}
	if s.warnOut == nil {
		s.warnOut = io.Discard
	}
	return s
}

// Key names the token of one context: the keyring account under Service, and the key in the
// file. Server and user are part of it so that re-pointing a context at another server or
// user never reuses the old token.
func Key(contextName, server, user string) string {
	k := contextName + ":" + server
	if user != "" {
		k += "|" + user
	}
	return k
}

// Get returns the token for key and where it came from. FORJ_TOKEN, when set, wins and the
// keyring is not touched at all. In auto mode a missing or unusable keyring entry falls
// through to the file; only when no token is found anywhere is the result ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (string, Source, error) {
	if tok := s.env(EnvToken); tok != "" {
		return tok, Source{KindEnv, EnvToken + " is set"}, nil
	}
	if err := s.check(key); err != nil {
		return "", Source{}, err
	}
	switch s.mode {
	case ModeFile:
		tok, ok, err := s.fileGet(key)
		if err != nil {
			return "", Source{}, err
		}
		if !ok {
			return "", Source{}, ErrNotFound
		}
		return tok, s.fileModeSource(), nil

	case ModeKeyring:
		tok, err := s.krGet(ctx, key)
		if errors.Is(err, keyring.ErrNotFound) {
			return "", Source{}, ErrNotFound
		}
		if err != nil {
			return "", Source{}, s.failClosed("read the token from", err)
		}
		return tok, Source{KindKeyring, s.krName}, nil
	}

	tok, kerr := s.krGet(ctx, key)
	if kerr == nil {
		return tok, Source{KindKeyring, s.krName}, nil
	}
	if err := ctx.Err(); err != nil {
		return "", Source{}, err
	}
	missing := errors.Is(kerr, keyring.ErrNotFound)
	tok, ok, ferr := s.fileGet(key)
	switch {
	case ferr != nil:
		return "", Source{}, ferr
	case ok && missing:
		return tok, Source{KindFile, "not in the keyring; found in " + s.file + " (0600)"}, nil
	case ok:
		return tok, s.fallbackSource(kerr), nil
	case missing:
		return "", Source{}, ErrNotFound
	default:
		return "", Source{}, fmt.Errorf("%w (no usable keyring: %s)", ErrNotFound, s.reason(kerr))
	}
}

// Set stores token for key and says where it went. In auto mode, when the keyring is
// unusable, the token goes to the file and one warning line is written.
func (s *Store) Set(ctx context.Context, key, token string) (Source, error) {
	if err := s.check(key); err != nil {
		return Source{}, err
	}
	if token == "" {
		return Source{}, forj.Errorf(forj.EInvalid, "refusing to store an empty token")
	}
	switch s.mode {
	case ModeFile:
		if err := s.fileSet(key, token); err != nil {
			return Source{}, err
		}
		s.warnOnce("Warning: token stored in plain text in %s (0600), as credential-store is file.", s.file)
		return s.fileModeSource(), nil

	case ModeKeyring:
		if err := s.krSet(ctx, key, token); err != nil {
			return Source{}, s.failClosed("store the token in", err)
		}
		s.dropStaleFileEntry(key)
		return Source{KindKeyring, s.krName}, nil
	}

	kerr := s.krSet(ctx, key, token)
	if kerr == nil {
		s.dropStaleFileEntry(key)
		return Source{KindKeyring, s.krName}, nil
	}
	if err := ctx.Err(); err != nil {
		return Source{}, err
	}
	if err := s.fileSet(key, token); err != nil {
		return Source{}, fmt.Errorf("no usable keyring (%s), and %w", s.reason(kerr), err)
	}
	s.warnOnce("Warning: no usable keyring (%s); token stored in %s (0600). Use --credential-store keyring to refuse this.",
		s.reason(kerr), s.file)
	return s.fallbackSource(kerr), nil
}

// Delete removes the token for key from every store the mode allows. A missing token is
// not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.check(key); err != nil {
		return err
	}
	if s.mode != ModeFile {
		err := s.krDelete(ctx, key)
		if err != nil && !errors.Is(err, keyring.ErrNotFound) {
			if s.mode == ModeKeyring {
				return s.failClosed("remove the token from", err)
			}
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			s.warnOnce("Warning: could not remove the token from the keyring (%s).", s.reason(err))
		}
	}
	if s.file == "" {
		return nil
	}
	return s.fileDelete(key)
}

func (s *Store) check(key string) error {
	switch s.mode {
	case ModeAuto, ModeKeyring, ModeFile:
	default:
		return forj.Errorf(forj.EInvalid, "unknown credential store %q", s.mode).
			WithHint("use one of: auto, keyring, file")
	}
	if key == "" {
		return forj.Errorf(forj.EInvalid, "empty credential key")
	}
	if s.mode != ModeKeyring && s.file == "" {
		return forj.Errorf(forj.EInternal, "credstore: no credentials file configured")
	}
	return nil
}

func (s *Store) fileModeSource() Source {
	return Source{KindFile, "credential-store is file; stored in " + s.file + " (0600)"}
}

func (s *Store) fallbackSource(kerr error) Source {
	return Source{KindFile, "no usable keyring: " + s.reason(kerr) + "; stored in " + s.file + " (0600)"}
}

func (s *Store) failClosed(what string, err error) error {
	return forj.Errorf(forj.EInternal, "could not %s the keyring (%s), and credential-store is keyring", what, s.reason(err)).
		WithHint("unlock or start your keyring (%s), or allow a 0600 file with --insecure-storage or credential-store: file", s.krName)
}

// dropStaleFileEntry removes a plaintext copy left by an earlier fallback once the keyring
// holds the token. Best effort: the keyring already has the current token.
func (s *Store) dropStaleFileEntry(key string) {
	if s.file == "" {
		return
	}
	if _, ok, err := s.fileGet(key); err == nil && ok {
		_ = s.fileDelete(key)
	}
}

func (s *Store) warnOnce(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.warned {
		return
	}
	s.warned = true
	fmt.Fprintf(s.warnOut, format+"\n", args...)
}

// reason is the short, one-line account of a keyring failure used in warnings and Sources.
func (s *Store) reason(err error) string {
	if errors.Is(err, errTimeout) {
		return fmt.Sprintf("%s did not answer within %s", s.krName, s.timeout)
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	// godbus's raw messages for the two commonest headless cases say little to a user.
	switch {
	case strings.Contains(msg, "dbus-launch"):
		msg = "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
	case strings.Contains(msg, "org.freedesktop.secrets was not provided"):
		msg = "no Secret Service provider on the D-Bus session bus"
	}
	if r := []rune(msg); len(r) > 120 {
		msg = string(r[:119]) + "…"
	}
	return s.krName + ": " + msg
}

func (s *Store) krGet(ctx context.Context, key string) (string, error) {
	return s.bounded(ctx, func() (string, error) { return s.kr.Get(Service, key) })
}

func (s *Store) krSet(ctx context.Context, key, token string) error {
	_, err := s.bounded(ctx, func() (string, error) { return "", s.kr.Set(Service, key, token) })
	return err
}

func (s *Store) krDelete(ctx context.Context, key string) error {
	_, err := s.bounded(ctx, func() (string, error) { return "", s.kr.Delete(Service, key) })
	return err
}

// bounded runs one keyring call and abandons it after the timeout: the call may never
// return (an unlock prompt nobody answers), so it runs in its own goroutine, which is left
// to finish or leak. After one timeout the Store stops asking the keyring, so a command
// pays the timeout once, not once per call.
func (s *Store) bounded(ctx context.Context, call func() (string, error)) (string, error) {
	s.mu.Lock()
	broken := s.krBroken
	s.mu.Unlock()
	if broken != nil {
		return "", broken
	}
	tctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	type result struct {
		val string
		err error
	}
	done := make(chan result, 1) // buffered: an abandoned call must not block forever on send
	go func() {
		v, err := call()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.val, r.err
	case <-tctx.Done():
		if err := ctx.Err(); err != nil {
			return "", err
		}
		err := fmt.Errorf("%w within %s", errTimeout, s.timeout)
		s.mu.Lock()
		s.krBroken = err
		s.mu.Unlock()
		return "", err
	}
}

// osKeyring is the real OS keyring.
type osKeyring struct{}

func (osKeyring) Set(service, user, password string) error {
	return keyring.Set(service, user, password)
}
func (osKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (osKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

func osKeyringName() string {
	switch runtime.GOOS {
	case "darwin":
		return "macOS Keychain"
	case "windows":
		return "Windows Credential Manager"
	default:
		return "Secret Service"
	}
}
