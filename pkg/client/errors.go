package client

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/forjinn/forjctl/pkg/forj"
)

// APIError is a non-2xx answer of the server: the *forj.Error it sent (or one made from the
// status when the body was not an error document), the HTTP status and the request id.
// errors.As(err, **forj.Error) finds Err, so forj.ErrorCode and the CLI's exit codes work on it.
type APIError struct {
	Status    int
	RequestID string
	Err       *forj.Error
}

func (e *APIError) Error() string { return e.Err.Error() }
func (e *APIError) Unwrap() error { return e.Err }

// CodeForStatus maps a status back to a code when the body did not carry one (a proxy's
// error page, an empty 502), the inverse of the server's table.
func CodeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return forj.EInvalid
	case http.StatusUnauthorized:
		return forj.EUnauthenticated
	case http.StatusForbidden:
		return forj.EForbidden
	case http.StatusNotFound, http.StatusGone:
		return forj.ENotFound
	case http.StatusConflict, http.StatusPreconditionFailed:
		return forj.EConflict
	case http.StatusRequestEntityTooLarge:
		return forj.ETooLarge
	case http.StatusTooManyRequests:
		return forj.ERateLimited
	}
	return forj.EInternal
}

// defaultHint gives the next step when the server did not.
func defaultHint(code string) string {
	switch code {
	case forj.EUnauthenticated:
		return "log in with: forjctl auth login"
	case forj.ERateLimited:
		return "the server is busy; wait a moment and try again"
	}
	return ""
}

func decodeError(resp *http.Response, body []byte) *APIError {
	e := &APIError{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id")}
	var doc forj.ErrorBody
	if json.Unmarshal(body, &doc) == nil && doc.Error != nil && doc.Error.Code != "" {
		e.Err = doc.Error
	} else {
		e.Err = &forj.Error{Code: CodeForStatus(resp.StatusCode), Message: "the server answered " + statusText(resp)}
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			// The default client does not follow redirects, so that the token stays put.
			e.Err.Code = forj.EInvalid
			e.Err.Hint = "point --server at the address it redirects to: " + forj.RedactTokens(resp.Header.Get("Location"))
		}
	}
	if e.Err.Message == "" {
		e.Err.Message = "the server answered " + statusText(resp)
	}
	if e.Err.Hint == "" {
		e.Err.Hint = defaultHint(e.Err.Code)
	}
	if e.Err.Hint == "" && resp.StatusCode >= 500 && e.RequestID != "" {
		e.Err.Hint = "the server's log has the details under request id " + e.RequestID
	}
	return e
}

func statusText(resp *http.Response) string {
	if resp.Status != "" {
		return resp.Status
	}
	return strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode)
}

// NetworkError means the server could not be reached or did not answer.
type NetworkError struct {
	Server string // the base URL
	Err    error  // the transport's error
}

func (e *NetworkError) Error() string {
	return "cannot reach the server at " + e.Server + ": " + e.Cause() + " (hint: " + e.Hint() + ")"
}

func (e *NetworkError) Unwrap() error { return e.Err }

// Cause is the transport's error without the request's method and URL.
func (e *NetworkError) Cause() string {
	if ue, ok := e.Err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return e.Err.Error()
}

// Hint is the next step to suggest.
func (e *NetworkError) Hint() string {
	if !retryableError(e.Err) {
		var header tls.RecordHeaderError
		if errors.As(e.Err, &header) {
			return "the server does not speak TLS there; check the scheme of --server"
		}
		var unknown x509.UnknownAuthorityError
		if errors.As(e.Err, &unknown) {
			return "the server's certificate is not signed by an authority this system trusts"
		}
		return "the server's certificate does not match " + e.Server + "; check --server"
	}
	if u, err := url.Parse(e.Server); err == nil && isLoopback(u.Hostname()) {
		return "is forjd running? Start a local one with: forjctl dev (or check --server)"
	}
	return "check --server and your network; for a local server run: forjctl dev"
}

func (c *Client) networkError(err error) *NetworkError {
	var ne *NetworkError
	if errors.As(err, &ne) {
		return ne
	}
	return &NetworkError{Server: c.base, Err: err}
}

// notFound is the error of a name the caller gave that matched nothing it can see.
func notFound(what, name, hint string) *forj.Error {
	return forj.Errorf(forj.ENotFound, "%s %q not found", what, strings.TrimSpace(name)).WithHint("%s", hint)
}
