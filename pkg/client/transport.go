package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Retry timing.
const (
	backoffBase     = 200 * time.Millisecond
	backoffCap      = 5 * time.Second
	retryAfterLimit = 30 * time.Second
)

// send runs one request with its retries. It returns the final response (any status) with a
// body whose Close also ends the attempt's timeout, or an error: ctx's own when ctx is done, a
// *NetworkError when the server could not be reached.
func (c *Client) send(ctx context.Context, method, rawURL string, header http.Header, body []byte) (*http.Response, error) {
	// A POST may create something: resend it only when the server can recognise the resend.
	// The other methods of this API are idempotent (GET, DELETE, PATCH that sets values).
	retryable := method != http.MethodPost || header.Get("Idempotency-Key") != ""
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		last := !retryable || attempt >= c.maxRetries
		resp, err := c.attempt(ctx, method, rawURL, header, body)
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
			// Drain a little so the connection can be reused, then let it go.
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

// attempt sends the request once, under its own timeout.
func (c *Client) attempt(ctx context.Context, method, rawURL string, header http.Header, body []byte) (*http.Response, error) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, rawURL, rd)
	if err != nil {
		cancel()
		return nil, err
	}
	for k, vs := range header {
		req.Header[k] = append([]string(nil), vs...)
	}
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	c.traceRequest(req, body)
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		// Only the attempt's own deadline is a timeout; look before cancel() ends actx.
		if errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
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

// timeoutError is an attempt that ran out of its own time (not the caller's).
type timeoutError struct {
	after time.Duration
	err   error
}

func (e *timeoutError) Error() string { return fmt.Sprintf("no answer within %s", e.after) }
func (e *timeoutError) Unwrap() error { return e.err }

// cancelBody ends an attempt's timeout context once its body has been consumed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableError reports whether a transport error may pass: everything but a certificate
// or protocol mismatch, which a retry cannot fix.
func retryableError(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		header   tls.RecordHeaderError
	)
	return !errors.As(err, &verify) && !errors.As(err, &unknown) && !errors.As(err, &hostname) &&
		!errors.As(err, &invalid) && !errors.As(err, &header)
}

// backoff is the wait before retry n+1: full jitter over 200ms·2^n, capped.
func (c *Client) backoff(n int) time.Duration {
	d := backoffCap
	if n < 8 {
		d = min(backoffBase<<n, backoffCap)
	}
	return rand.N(d + 1)
}

// retryAfter reads a Retry-After header: delay seconds or an HTTP date, capped.
func (c *Client) retryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0, false
		}
		d = time.Duration(min(s, int(retryAfterLimit/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(c.now()), 0)
	} else {
		return 0, false
	}
	return min(d, retryAfterLimit), true
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
