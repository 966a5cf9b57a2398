package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/forjinn/forjctl/pkg/forj"
)

// readBody reads the whole request body once, bounded by MaxBodyBytes (→ 413 too_large).
func (c *call) readBody() ([]byte, error) {
	if c.bodyRead {
		return c.body, nil
	}
	c.bodyRead = true
	if c.r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, c.s.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, forj.Errorf(forj.ETooLarge, "request body is larger than %d bytes", c.s.maxBody)
		}
		return nil, forj.Errorf(forj.EInvalid, "reading request body: %v", err)
	}
	c.body = b
	return b, nil
}

// decode reads the body and decodes it strictly into v (see decodeStrict).
func (c *call) decode(v any) error {
	b, err := c.readBody()
	if err != nil {
		return err
	}
	return decodeStrict(b, v)
}

// decodeEmpty accepts an empty body or an empty JSON object, for POST routes without input.
func (c *call) decodeEmpty() error {
	b, err := c.readBody()
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	return decodeStrict(b, &struct{}{})
}

// decodeStrict decodes exactly one JSON object into v: unknown fields, trailing data, a
// non-object top level and wrong types are EInvalid errors that name the problem.
func decodeStrict(data []byte, v any) error {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return forj.Errorf(forj.EInvalid, "request body is required").WithHint("send a JSON object")
	}
	if trimmed[0] != '{' {
		return forj.Errorf(forj.EInvalid, "request body must be a JSON object")
	}
	if !utf8.Valid(data) {
		return forj.Errorf(forj.EInvalid, "request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return forj.Errorf(forj.EInvalid, "request body must hold exactly one JSON value")
	}
	return nil
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return forj.Errorf(forj.EInvalid, "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return forj.Errorf(forj.EInvalid, "field %q must be %s, not %s", field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return forj.Errorf(forj.EInvalid, "request body ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return forj.Errorf(forj.EInvalid, "unknown field %s", name).
			WithHint("see docs/openapi.yaml for the request fields")
	}
	return forj.Errorf(forj.EInvalid, "invalid request body: %v", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "bool":
		return "a boolean"
	case "ptr":
		return "a value"
	}
	return "a number"
}

// listQuery is the paging part of a list request.
type listQuery struct {
	limit  int
	cursor string
}

// pageQuery reads ?limit (default forj.DefaultLimit, clamped to forj.MaxLimit) and ?cursor
// (opaque, passed to the store).
func pageQuery(r *http.Request) (listQuery, error) {
	q := r.URL.Query()
	lq := listQuery{limit: forj.DefaultLimit, cursor: q.Get("cursor")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return lq, forj.Errorf(forj.EInvalid, "limit %q is not a non-negative integer", s)
		}
		switch {
		case n == 0:
			n = forj.DefaultLimit
		case n > forj.MaxLimit:
			n = forj.MaxLimit
		}
		lq.limit = n
	}
	return lq, nil
}

// timeQuery parses an optional RFC 3339 query parameter.
func timeQuery(r *http.Request, name string) (time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, forj.Errorf(forj.EInvalid, "%s %q is not an RFC 3339 time", name, s).
			WithHint("for example %s", time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC).Format(time.RFC3339))
	}
	return t, nil
}

// parseExpiresIn reads "90d" or a Go duration ("12h"); "" means never.
func parseExpiresIn(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	bad := forj.Errorf(forj.EInvalid, "expiresIn %q is not a duration", s).WithHint("use days like 90d or a duration like 12h")
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, bad
		}
		if n > 3650 {
			return 0, forj.Errorf(forj.EInvalid, "expiresIn %q is longer than 3650 days", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, bad
		}
	}
	if d <= 0 {
		return 0, forj.Errorf(forj.EInvalid, "expiresIn %q must be positive", s)
	}
	if d > 3650*24*time.Hour {
		return 0, forj.Errorf(forj.EInvalid, "expiresIn %q is longer than 3650 days", s)
	}
	return d, nil
}

// validateText checks a free-text field: at most max characters, no control characters
// (newlines and tabs allowed when multiline).
func validateText(field, v string, maxLen int, multiline bool) error {
	if n := utf8.RuneCountInString(v); n > maxLen {
		return forj.Errorf(forj.EInvalid, "%s is %d characters long; the maximum is %d", field, n, maxLen)
	}
	for _, r := range v {
		if (r < 0x20 || r == 0x7f) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			return forj.Errorf(forj.EInvalid, "%s contains a control character", field)
		}
	}
	if !multiline && strings.TrimSpace(v) != v {
		return forj.Errorf(forj.EInvalid, "%s %q has leading or trailing spaces", field, v)
	}
	return nil
}

// etag is a workspace's version as an HTTP entity tag.
func etag(version int64) string { return fmt.Sprintf("%q", strconv.FormatInt(version, 10)) }

// ifMatch reports whether an If-Match header matches version; an absent header matches.
func ifMatch(header string, version int64) (bool, error) {
	if header == "" {
		return true, nil
	}
	for _, part := range strings.Split(header, ",") {
		tag := strings.TrimSpace(part)
		if tag == "*" {
			return true, nil
		}
		tag = strings.TrimPrefix(tag, "W/")
		tag = strings.Trim(tag, `"`)
		n, err := strconv.ParseInt(tag, 10, 64)
		if err != nil {
			return false, forj.Errorf(forj.EInvalid, "If-Match %q is not a workspace version", header).
				WithHint(`send the ETag of GET /api/v1/workspace/{id}, e.g. If-Match: "3"`)
		}
		if n == version {
			return true, nil
		}
	}
	return false, nil
}
