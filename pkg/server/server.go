// Package server is forjd's HTTP API: one route table (method, pattern, permission, handler)
// read by both the router and the authorization middleware, thin handlers, and the
// middleware around them (request id, access log, panic recovery, authentication,
// authorization, idempotency). Access decisions are made by pkg/authz, never by the store.
package server

import (
	"context"
	"crypto/cipher"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

// Config holds a Server's dependencies.
type Config struct {
	Store        forj.Store
	Pepper       []byte                      // HMAC-SHA256 key for token secrets and invite codes (≥32 bytes)
	Logger       *slog.Logger                // nil → discard
	Now          func() time.Time            // nil → time.Now; used for expiry checks
	MaxBodyBytes int64                       // 0 → 1 MiB
	Ready        func(context.Context) error // readiness probe (e.g. store Ping); nil → always ready
}

// MinPepperBytes is the shortest pepper New and Bootstrap accept.
const MinPepperBytes = 32

// touchInterval bounds how often a token's lastUsedAt is written: at most once per interval
// per token, so authentication stays a read on the hot path.
const touchInterval = time.Minute

// Server is the forjd HTTP API. It is safe for concurrent use.
type Server struct {
	store   forj.Store
	pepper  []byte
	log     *slog.Logger
	now     func() time.Time
	maxBody int64
	ready   func(context.Context) error

	mux    *http.ServeMux
	routes []route

	// touched remembers when each token's lastUsedAt was last written.
	touchMu sync.Mutex
	touched map[string]time.Time

	enc encoder

	// secrets seals credentials' secret data (see secrets.go).
	secrets cipher.AEAD

	// auth caches resolved tokens per store auth generation (see authCache).
	auth *authCache

	// hashSlots bounds concurrent argon2id computations (each takes argonMemory), so a burst
	// of logins cannot exhaust memory.
	hashSlots chan struct{}
	// dummyHash is verified against when a login names no usable user, so failures take as
	// long as successes and do not reveal which emails exist.
	dummyHash string
}

// New builds a Server from cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: Config.Store is required")
	}
	if len(cfg.Pepper) < MinPepperBytes {
		return nil, fmt.Errorf("server: Config.Pepper must be at least %d bytes, got %d", MinPepperBytes, len(cfg.Pepper))
	}
	s := &Server{
		store:     cfg.Store,
		pepper:    append([]byte(nil), cfg.Pepper...),
		log:       cfg.Logger,
		now:       cfg.Now,
		maxBody:   cfg.MaxBodyBytes,
		ready:     cfg.Ready,
		touched:   make(map[string]time.Time),
		auth:      newAuthCache(),
		hashSlots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0))),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxBody <= 0 {
		s.maxBody = 1 << 20
	}
	if s.ready == nil {
		s.ready = func(context.Context) error { return nil }
	}
	aead, err := newSecretsAEAD(s.pepper)
	if err != nil {
		return nil, fmt.Errorf("server: credential key: %w", err)
	}
	s.secrets = aead
	s.dummyHash = hashPassword(forj.RandomString(16))
	s.routes = routes()
	s.mux = http.NewServeMux()
	for i := range s.routes {
		rt := &s.routes[i]
		s.mux.HandleFunc(rt.method+" "+rt.pattern, func(w http.ResponseWriter, r *http.Request) {
			s.serveRoute(rt, w, r)
		})
	}
	s.mux.HandleFunc("/", s.fallback)
	return s, nil
}

// requestState travels in the request context from the outer middleware to the route.
type requestState struct {
	id string
}

type stateKey struct{}

// ServeHTTP runs the outer middleware (request id, access log, panic recovery) and routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	st := &requestState{id: requestID(r.Header.Get("X-Request-Id"))}
	w.Header().Set("X-Request-Id", st.id)
	sw := &statusWriter{ResponseWriter: w}
	r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))

	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler { // net/http's own way to abort a response: let it through
				panic(v)
			}
			s.log.LogAttrs(r.Context(), slog.LevelError, "panic",
				slog.String("request_id", st.id),
				slog.String("panic", forj.RedactTokens(fmt.Sprint(v))),
				slog.String("stack", string(debug.Stack())))
			if !sw.wroteHeader {
				writeError(sw, forj.Errorf(forj.EInternal, "internal error"))
			}
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", redactPath(r.URL.Path)),
			slog.Int("status", sw.status()),
			slog.Duration("duration", time.Since(start)),
			slog.String("request_id", st.id))
	}()
	s.mux.ServeHTTP(sw, r)
}

// fallback answers requests no route matches: 405 with Allow when the path exists under
// another method, else 404; both in the JSON error envelope.
func (s *Server) fallback(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		r2 := r.WithContext(r.Context())
		r2.Method = m
		if _, p := s.mux.Handler(r2); p != "" && p != "/" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeErrorStatus(w, http.StatusMethodNotAllowed, forj.Errorf(forj.EInvalid, "method %s is not allowed on %s", r.Method, r.URL.Path).
			WithHint("allowed: %s", strings.Join(allowed, ", ")))
		return
	}
	writeError(w, forj.Errorf(forj.ENotFound, "no such route: %s %s", r.Method, forj.RedactTokens(r.URL.Path)).
		WithHint("see docs/api.md for the routes"))
}

// redactPath is forj.RedactTokens for the access log, skipping the regular expression (and
// its allocations) for the usual path that holds no token.
func redactPath(p string) string {
	if !strings.Contains(p, "forj_") {
		return p
	}
	return forj.RedactTokens(p)
}

// requestID keeps a caller's X-Request-Id when it is a sane token (so logs correlate across
// services) and makes a fresh one otherwise.
func requestID(in string) string {
	if n := len(in); n > 0 && n <= 64 {
		ok := true
		for i := 0; i < n; i++ {
			c := in[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				ok = false
				break
			}
		}
		if ok {
			return in
		}
	}
	return "req_" + forj.RandomString(10)
}

// statusWriter records the status for the access log and whether headers went out.
type statusWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int {
	if !w.wroteHeader {
		return http.StatusOK
	}
	return w.code
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// statusError carries an HTTP status that differs from its code's usual one (412 for a
// failed If-Match, which keeps the code "conflict").
type statusError struct {
	status int
	err    *forj.Error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// codeStatus is the one table from error codes to HTTP statuses.
var codeStatus = map[string]int{
	forj.EInvalid:         http.StatusBadRequest,
	forj.EUnauthenticated: http.StatusUnauthorized,
	forj.EForbidden:       http.StatusForbidden,
	forj.ENotFound:        http.StatusNotFound,
	forj.EConflict:        http.StatusConflict,
	forj.ETooLarge:        http.StatusRequestEntityTooLarge,
	forj.ERateLimited:     http.StatusTooManyRequests,
	forj.EInternal:        http.StatusInternalServerError,
}

// errorResponse turns any error into a status and the body safe to show: *forj.Error values
// keep their code, message and hint; anything else becomes a generic internal error.
func errorResponse(err error) (int, *forj.Error) {
	var se *statusError
	if errors.As(err, &se) {
		return se.status, se.err
	}
	var fe *forj.Error
	if errors.As(err, &fe) {
		st, ok := codeStatus[fe.Code]
		if !ok {
			st = http.StatusInternalServerError
		}
		if fe.Code == forj.EInternal {
			return st, &forj.Error{Code: forj.EInternal, Message: "internal error"}
		}
		return st, fe
	}
	return http.StatusInternalServerError, &forj.Error{Code: forj.EInternal, Message: "internal error"}
}

func writeError(w http.ResponseWriter, err error) {
	st, fe := errorResponse(err)
	writeErrorStatus(w, st, fe)
}

func writeErrorStatus(w http.ResponseWriter, status int, fe *forj.Error) {
	b, _ := json.Marshal(forj.ErrorBody{Error: fe})
	writeRaw(w, status, b)
}

// writeJSON encodes v as the response. A method, because it reuses the server's buffers.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) error {
	return s.enc.write(w, status, v)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	writeBody(w, status, append(body, '\n'))
}

// writeBody sends body, which already ends in a newline.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// remoteHost is the caller's address without the port, for audit events.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// discard drains what is left of a body so keep-alive connections can be reused.
func discard(r io.Reader) { _, _ = io.Copy(io.Discard, io.LimitReader(r, 64<<10)) }
