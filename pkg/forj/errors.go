package forj

import (
	"errors"
	"fmt"
)

// Error codes shared by the server (mapped to HTTP statuses), the client (mapped back from
// them) and the CLI (mapped to exit codes). See docs/openapi.yaml.
const (
	EInvalid         = "invalid"
	EUnauthenticated = "unauthenticated"
	EForbidden       = "forbidden"
	ENotFound        = "not_found"
	EConflict        = "conflict"
	ETooLarge        = "too_large"
	ERateLimited     = "rate_limited"
	EInternal        = "internal"
)

// Error is the one application error type. Its JSON form is the body of every error
// response: {"error": {"code", "message", "hint"}}.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	// Details lists every problem when there are several (an import's bundle problems, one
	// "entry: problem" line each), so that one answer reports them all.
	Details []string `json:"details,omitempty"`
}

func (e *Error) Error() string {
	if e.Hint != "" {
		return e.Message + " (hint: " + e.Hint + ")"
	}
	return e.Message
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithHint returns a copy of e carrying a hint for the next step.
func (e *Error) WithHint(format string, args ...any) *Error {
	c := *e
	c.Hint = fmt.Sprintf(format, args...)
	return &c
}

// ErrorCode returns the code of an *Error in err's chain, EInternal for any other error,
// and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the message safe to show to a caller: an *Error's own message, and a
// generic one for anything else (internal details stay in the server log).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// IsNotFound and friends read the code of err's chain.
func IsNotFound(err error) bool { return ErrorCode(err) == ENotFound }
func IsConflict(err error) bool { return ErrorCode(err) == EConflict }
