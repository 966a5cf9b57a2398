package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

func documentsPath(workspaceID, assetID string) string {
	return assetPath(workspaceID, assetID) + "/documents"
}

func documentPath(workspaceID, assetID, name string) string {
	return documentsPath(workspaceID, assetID) + "/" + escape(name)
}

// ListDocuments returns every document of a dataset, sorted by name.
func (c *Client) ListDocuments(ctx context.Context, workspaceID, assetID string) ([]forj.Document, error) {
	out := []forj.Document{}
	for d, err := range Iterate[forj.Document](ctx, c, documentsPath(workspaceID, assetID), nil) {
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// UploadOptions are the optional parts of an upload.
type UploadOptions struct {
	// SHA256 is the content's hex SHA-256 when known: the server refuses content that does
	// not match it, so a corrupted transfer never becomes a document.
	SHA256 string
}

// UploadDocument stores r as the document name of a dataset (a new one, or a replacement),
// streaming it: r is never read into memory whole. size is its length in bytes (-1 when
// unknown: the body is then sent chunked). When r is an io.Seeker (a file) a failed attempt
// is retried from r's current offset; any other reader is sent once.
func (c *Client) UploadDocument(ctx context.Context, workspaceID, assetID, name string, r io.Reader, size int64, opts UploadOptions) (*forj.Document, error) {
	h := http.Header{}
	h.Set("Content-Type", "application/octet-stream")
	if opts.SHA256 != "" {
		h.Set("X-Content-SHA256", opts.SHA256)
	}
	body, err := newStreamBody(r, size)
	if err != nil {
		return nil, err
	}
	var out forj.Document
	if err := c.doStreamJSON(ctx, http.MethodPut, documentPath(workspaceID, assetID, name), nil, h, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Download is a document's content being received.
type Download struct {
	io.ReadCloser        // the content; reading it to EOF checks its size and SHA-256
	Size          int64  // from Content-Length; -1 when the server did not say
	SHA256        string // hex, from X-Content-SHA256; "" when the server did not say
}

// DownloadDocument streams a document of a dataset. The caller must close the result.
// Reading to the end checks the content against the size and SHA-256 the server announced:
// a mismatch is an error from Read, never a silent short or corrupt file. Once the headers
// have arrived the transfer has no deadline (a GiB takes what it takes); cancel ctx to stop.
func (c *Client) DownloadDocument(ctx context.Context, workspaceID, assetID, name string) (*Download, error) {
	h := http.Header{}
	h.Set("Accept", "application/octet-stream")
	resp, err := c.doStream(ctx, http.MethodGet, documentPath(workspaceID, assetID, name), nil, h, nil)
	if err != nil {
		return nil, err
	}
	d := &Download{Size: resp.ContentLength, SHA256: strings.ToLower(resp.Header.Get("X-Content-SHA256"))}
	d.ReadCloser = &verifyingReader{rc: resp.Body, name: name, size: d.Size, want: d.SHA256, h: sha256.New()}
	return d, nil
}

// DeleteDocument deletes a document of a dataset.
func (c *Client) DeleteDocument(ctx context.Context, workspaceID, assetID, name string) error {
	return c.Do(ctx, http.MethodDelete, documentPath(workspaceID, assetID, name), nil, nil, nil)
}

// verifyingReader checks a download against its announced size and digest at EOF.
type verifyingReader struct {
	rc   io.ReadCloser
	name string
	size int64
	want string
	h    hash.Hash
	n    int64
	err  error // sticky: the verdict at EOF
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.rc.Read(p)
	v.n += int64(n)
	v.h.Write(p[:n])
	if errors.Is(err, io.EOF) {
		switch got := hex.EncodeToString(v.h.Sum(nil)); {
		case v.size >= 0 && v.n != v.size:
			err = forj.Errorf(forj.EInternal, "document %q: received %d bytes, the server announced %d", v.name, v.n, v.size)
		case v.want != "" && got != v.want:
			err = forj.Errorf(forj.EInternal, "document %q: the content's SHA-256 is %s, the server announced %s", v.name, got, v.want)
		}
	}
	if err != nil {
		v.err = err
	}
	return n, err
}

func (v *verifyingReader) Close() error { return v.rc.Close() }

// A streamBody is a request body sent as it is read. It is rewindable when its reader is an
// io.Seeker: each attempt then starts from the offset the reader had at first.
type streamBody struct {
	r     io.Reader
	size  int64 // -1: unknown, sent chunked
	seek  io.Seeker
	start int64
}

func newStreamBody(r io.Reader, size int64) (*streamBody, error) {
	b := &streamBody{r: r, size: size}
	if size < 0 {
		b.size = -1
	}
	if s, ok := r.(io.Seeker); ok {
		// A pipe or a terminal is an *os.File too, but it cannot seek: that fails here.
		if off, err := s.Seek(0, io.SeekCurrent); err == nil {
			b.seek, b.start = s, off
		}
	}
	return b, nil
}

func (b *streamBody) rewind() error {
	if b.seek == nil {
		return errors.New("the request body cannot be sent again")
	}
	_, err := b.seek.Seek(b.start, io.SeekStart)
	return err
}

// doStreamJSON sends a streamed request and decodes its JSON answer into out.
func (c *Client) doStreamJSON(ctx context.Context, method, path string, query url.Values, header http.Header, body *streamBody, out any) error {
	header.Set("Accept", "application/json")
	resp, err := c.doStream(ctx, method, path, query, header, body)
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
	if out == nil || len(strings.TrimSpace(string(data))) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decoding the response to %s %s (request id %s): %w",
			method, path, resp.Header.Get("X-Request-Id"), err)
	}
	return nil
}

// doStream sends a request whose body (request or response, or both) is a stream, and
// returns a 2xx response for the caller to read and close; any other status is an
// *APIError. Unlike Do, the per-attempt timeout (Options.Timeout) is not a deadline for the
// whole exchange — a 1 GiB upload or download must not be cut after 30 s — but a watchdog:
// it runs while the client waits on the network (connecting, the transport writing the
// request body, the server preparing its answer) and stops once the response headers have
// arrived. Time spent producing the request body (reading a slow pipe) does not count.
func (c *Client) doStream(ctx context.Context, method, path string, query url.Values, header http.Header, body *streamBody) (*http.Response, error) {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	resp, err := c.sendStream(ctx, method, u, header, body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return resp, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	c.traceBody("<", resp.Header.Get("Content-Type"), data)
	return nil, decodeError(resp, data)
}

// sendStream is send for streamed bodies: the same retries, but only when the body can be
// rewound (or there is none), and a watchdog instead of a deadline.
func (c *Client) sendStream(ctx context.Context, method, rawURL string, header http.Header, body *streamBody) (*http.Response, error) {
	retryable := (method != http.MethodPost || header.Get("Idempotency-Key") != "") &&
		(body == nil || body.seek != nil)
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if attempt > 0 && body != nil {
			if err := body.rewind(); err != nil {
				return nil, fmt.Errorf("rewinding the request body: %w", err)
			}
		}
		last := !retryable || attempt >= c.maxRetries
		resp, err := c.attemptStream(ctx, method, rawURL, header, body)
		var wait time.Duration
		var why string
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if last || !retryableError(err) {
				return nil, c.networkError(err)
			}
			wait, why = c.backoff(attempt), c.networkError(err).Cause()
		case retryableStatus(resp.StatusCode) && !last:
			wait, why = c.backoff(attempt), resp.Status
			if d, ok := c.retryAfter(resp.Header.Get("Retry-After")); ok {
				wait = d
			}
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		default:
			return resp, nil
		}
		c.tracef("* retrying in %s after %s (retry %d of %d)\n", wait.Round(time.Millisecond), why, attempt+1, c.maxRetries)
		if err := c.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// attemptStream sends a streamed request once.
func (c *Client) attemptStream(ctx context.Context, method, rawURL string, header http.Header, body *streamBody) (*http.Response, error) {
	actx, cancel := context.WithCancel(ctx)
	wd := newWatchdog(c.timeout, cancel)
	var rd io.Reader
	if body != nil {
		rd = &watchedReader{r: body.r, wd: wd}
	}
	req, err := http.NewRequestWithContext(actx, method, rawURL, rd)
	if err != nil {
		wd.stop()
		cancel()
		return nil, err
	}
	if body != nil {
		// Never let the transport close the caller's reader (a file it will rewind).
		req.Body = io.NopCloser(rd)
		req.ContentLength = body.size
		if body.size == 0 {
			req.Body = http.NoBody
		}
	}
	for k, vs := range header {
		req.Header[k] = append([]string(nil), vs...)
	}
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	c.traceRequest(req, nil)
	if body != nil {
		if body.size >= 0 {
			c.tracef("> (%d bytes streamed)\n", body.size)
		} else {
			c.tracef("> (streamed, length unknown)\n")
		}
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	fired := wd.stop()
	if err != nil {
		if fired && ctx.Err() == nil {
			err = &timeoutError{after: c.timeout, err: err}
		}
		cancel()
		c.tracef("* %s %s failed after %s: %v\n", method, redactURL(rawURL), time.Since(start).Round(time.Millisecond), err)
		return nil, err
	}
	c.traceResponse(resp, time.Since(start))
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// watchdog cancels an attempt when the network makes no progress for d. It is paused while
// the request body's reader is producing data and stopped for good by stop.
type watchdog struct {
	mu     sync.Mutex
	d      time.Duration
	timer  *time.Timer
	fired  bool
	done   bool
	cancel context.CancelFunc
}

func newWatchdog(d time.Duration, cancel context.CancelFunc) *watchdog {
	w := &watchdog{d: d, cancel: cancel}
	if d > 0 {
		w.timer = time.AfterFunc(d, w.fire)
	}
	return w
}

func (w *watchdog) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return
	}
	w.fired = true
	w.cancel()
}

// pause stops the clock while the body's reader works.
func (w *watchdog) pause() {
	if w.timer == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer.Stop()
}

// resume restarts the clock for a full period: the transport now has data to send.
func (w *watchdog) resume() {
	if w.timer == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done && !w.fired {
		w.timer.Reset(w.d)
	}
}

// stop ends the watchdog and reports whether it had fired.
func (w *watchdog) stop() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	if w.timer != nil {
		w.timer.Stop()
	}
	return w.fired
}

// watchedReader pauses a watchdog while the underlying reader produces data.
type watchedReader struct {
	r  io.Reader
	wd *watchdog
}

func (r *watchedReader) Read(p []byte) (int, error) {
	r.wd.pause()
	defer r.wd.resume()
	return r.r.Read(p)
}
