// Package client is the typed HTTP client of the forjd API (docs/api.md) that forjctl uses:
// one method per route, retries with backoff on transient failures, idempotency keys on every
// POST, cursor iterators over lists, and API errors decoded into *forj.Error values.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

// Defaults of Options.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultMaxRetries = 3
	DefaultUserAgent  = "forjctl"
)

// Options configure a Client. Only BaseURL is required.
type Options struct {
	// BaseURL is the server, e.g. http://127.0.0.1:8420 or https://forj.example.com/prefix.
	BaseURL string
	// Token is sent as "Authorization: Bearer <token>" when not empty.
	Token string
	// UserAgent, e.g. "forjctl/1.2.3"; DefaultUserAgent when empty.
	UserAgent string
	// Insecure allows plain http:// to a host that is not loopback.
	Insecure bool
	// HTTPClient sends the requests; nil means one that does not follow redirects (a redirect
	// could carry the token to another scheme or host) with dial and TLS handshake timeouts.
	HTTPClient *http.Client
	// Timeout bounds one attempt of one request, reading its response included (DefaultTimeout
	// when zero, none when negative). Retries get a fresh timeout each.
	Timeout time.Duration
	// Debug, when not nil, receives a trace of every request and response: method, URL,
	// status, duration, headers and truncated bodies, with tokens and passwords redacted.
	Debug io.Writer
	// MaxRetries is how many times a failed request is retried (DefaultMaxRetries when zero,
	// none when negative). Backoff is 200ms·2^n with full jitter, capped at 5s; a Retry-After
	// header (seconds or HTTP date) is honoured, capped at 30s.
	MaxRetries int
	// Sleep waits between retries; nil means a timer that stops when ctx is done. Tests inject
	// one that records the durations instead of sleeping.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock used to read Retry-After dates; nil means time.Now.
	Now func() time.Time
}

// Client talks to one forjd server. It is safe for concurrent use.
type Client struct {
	base       string // scheme://host[:port][/prefix], no trailing slash
	token      string
	userAgent  string
	http       *http.Client
	timeout    time.Duration
	maxRetries int
	sleep      func(ctx context.Context, d time.Duration) error
	now        func() time.Time

	debug   io.Writer
	debugMu sync.Mutex // one trace block at a time, so concurrent requests do not interleave lines
}

// New validates opts and returns a Client. A malformed URL, or plain http:// to a host that is
// not loopback without Insecure, is a *forj.Error with code EInvalid.
func New(opts Options) (*Client, error) {
	base, err := checkBaseURL(opts.BaseURL, opts.Insecure)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:       base,
		token:      opts.Token,
		userAgent:  opts.UserAgent,
		http:       opts.HTTPClient,
		timeout:    opts.Timeout,
		maxRetries: opts.MaxRetries,
		sleep:      opts.Sleep,
		now:        opts.Now,
		debug:      opts.Debug,
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.http == nil {
		c.http = defaultHTTPClient()
	}
	switch {
	case c.timeout == 0:
		c.timeout = DefaultTimeout
	case c.timeout < 0:
		c.timeout = 0
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// BaseURL returns the server's URL as normalized by New (no trailing slash).
func (c *Client) BaseURL() string { return c.base }

func checkBaseURL(raw string, insecure bool) (string, error) {
	example := "e.g. https://forj.example.com, or http://127.0.0.1:8420 for a local server"
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", forj.Errorf(forj.EInvalid, "no server URL given").
			WithHint("pass --server URL (%s)", example)
	}
	u, err := url.Parse(raw)
	if err != nil || !strings.Contains(raw, "://") || u.Host == "" || u.Opaque != "" {
		return "", forj.Errorf(forj.EInvalid, "server URL %q is not a valid http(s) URL", raw).
			WithHint("write it with its scheme, %s", example)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", forj.Errorf(forj.EInvalid, "server URL %q has scheme %q; only http and https are supported", raw, u.Scheme).
			WithHint("%s", example)
	case u.User != nil:
		return "", forj.Errorf(forj.EInvalid, "server URL must not contain credentials").
			WithHint("log in with: forjctl auth login")
	case u.RawQuery != "" || u.Fragment != "":
		return "", forj.Errorf(forj.EInvalid, "server URL %q must not have a query or fragment", raw).
			WithHint("give the scheme, host, port and path prefix only, %s", example)
	case u.Scheme == "http" && !insecure && !isLoopback(u.Hostname()):
		// The bearer token would cross the network in clear text.
		return "", forj.Errorf(forj.EInvalid, "refusing plain http:// to %s: the token would travel unencrypted", u.Host).
			WithHint("use https:// or pass --insecure")
	}
	return u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// isLoopback reports whether host is localhost or an IP of the loopback network
// (127.0.0.0/8, ::1).
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.MaxIdleConnsPerHost = 16 // bulk operations run several requests at once against one host
	return &http.Client{
		Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// RequestOption changes one request.
type RequestOption func(*requestOptions)

type requestOptions struct {
	header http.Header
}

// WithIdempotencyKey sends an Idempotency-Key header. A POST is retried only when it carries
// one; the typed POST methods add a fresh key per call, which this option replaces (to make a
// re-run of a whole command safe, for instance).
func WithIdempotencyKey(key string) RequestOption {
	return WithHeader("Idempotency-Key", key)
}

// WithHeader sets a request header.
func WithHeader(key, value string) RequestOption {
	return func(o *requestOptions) { o.header.Set(key, value) }
}

// NewIdempotencyKey returns a fresh random key.
func NewIdempotencyKey() string { return forj.RandomString(16) }

// maxResponseBody bounds what Do reads into memory; the largest page of a list is far below.
const maxResponseBody = 64 << 20

// Do sends one API request and decodes the JSON response into out (when not nil). body, when
// not nil, is encoded as JSON. A non-2xx response is an *APIError; a failure to reach the
// server after the retries is a *NetworkError; a cancelled ctx returns ctx's error.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any, opts ...RequestOption) error {
	ro := requestOptions{header: http.Header{}}
	for _, o := range opts {
		o(&ro)
	}
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("encoding the body of %s %s: %w", method, path, err)
		}
		ro.header.Set("Content-Type", "application/json")
	}
	ro.header.Set("Accept", "application/json")
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	resp, err := c.send(ctx, method, u, ro.header, payload)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return c.networkError(err)
	}
	c.traceBody("<", resp.Header.Get("Content-Type"), data)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return decodeError(resp, data)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decoding the response to %s %s (request id %s): %w",
			method, path, resp.Header.Get("X-Request-Id"), err)
	}
	return nil
}

// Raw sends a request as given, for `forjctl api`: path is relative to the server (it may
// carry a query), headers are added to the client's own (Authorization, User-Agent). Any
// status is returned as a response, not an error; the caller closes the body. body is read
// into memory first so that a retry can send it again (request bodies are at most 1 MiB).
func (c *Client) Raw(ctx context.Context, method, path string, body io.Reader, headers http.Header) (*http.Response, error) {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		// An absolute URL would send the token to whatever host it names.
		return nil, forj.Errorf(forj.EInvalid, "path %q must start with a single /", path).
			WithHint("give a path on the server, e.g. /api/v1/workspaces")
	}
	var payload []byte
	if body != nil {
		var err error
		if payload, err = io.ReadAll(body); err != nil {
			return nil, fmt.Errorf("reading the request body: %w", err)
		}
	}
	h := http.Header{}
	for k, vs := range headers {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if payload != nil && h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	return c.send(ctx, strings.ToUpper(method), c.base+path, h, payload)
}

// escape makes one path segment safe.
func escape(s string) string { return url.PathEscape(s) }
