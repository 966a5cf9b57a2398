package client

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/forjinn/forjctl/pkg/forj"
)

// The --debug trace. Nothing secret may reach it: Authorization, cookies and a bundle's
// passphrase header are masked, token-shaped text anywhere is cut to its display prefix
// (forj.RedactTokens), and JSON string fields that hold passwords, secrets or invite codes
// are replaced whole.

const traceBodyLimit = 2048

// secretFieldRE matches a JSON member whose name says it holds a secret, with its string value.
var secretFieldRE = regexp.MustCompile(`"([A-Za-z_]*(?i:password|secret|passphrase|invitecode|apikey|privatekey)[A-Za-z_]*)"(\s*:\s*)"(?:[^"\\]|\\.)*"`)

// redactedTokenRE matches a secret field whose value forj.RedactTokens already masked.
var redactedTokenRE = regexp.MustCompile(`:\s*"forj_(?:pat|key)_[a-z0-9_]+_\*\*\*"$`)

func (c *Client) tracef(format string, args ...any) {
	if c.debug == nil {
		return
	}
	c.writeTrace(fmt.Sprintf(format, args...))
}

func (c *Client) writeTrace(s string) {
	c.debugMu.Lock()
	defer c.debugMu.Unlock()
	fmt.Fprint(c.debug, s)
}

func (c *Client) traceRequest(req *http.Request, body []byte) {
	if c.debug == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "> %s %s\n", req.Method, redactURL(req.URL.String()))
	writeHeaders(&b, ">", req.Header)
	writeBody(&b, ">", req.Header.Get("Content-Type"), body)
	c.writeTrace(b.String())
}

func (c *Client) traceResponse(resp *http.Response, took time.Duration) {
	if c.debug == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "< %s %s (%s)\n", resp.Proto, statusText(resp), took.Round(time.Microsecond))
	writeHeaders(&b, "<", resp.Header)
	c.writeTrace(b.String())
}

func (c *Client) traceBody(dir, contentType string, body []byte) {
	if c.debug == nil {
		return
	}
	var b strings.Builder
	writeBody(&b, dir, contentType, body)
	c.writeTrace(b.String())
}

func writeHeaders(b *strings.Builder, dir string, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s %s: %s\n", dir, k, redactHeader(k, v))
		}
	}
}

func writeBody(b *strings.Builder, dir, contentType string, body []byte) {
	if len(body) == 0 {
		return
	}
	if !isText(contentType, body) {
		fmt.Fprintf(b, "%s (%d bytes of %s)\n", dir, len(body), contentType)
		return
	}
	// Redact before truncating: a token cut in half would no longer be recognised.
	s := RedactSecrets(string(body))
	more := 0
	if len(s) > traceBodyLimit {
		cut := traceBodyLimit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		more = len(s) - cut
		s = s[:cut]
	}
	for line := range strings.Lines(strings.TrimRight(s, "\n")) {
		fmt.Fprintf(b, "%s %s\n", dir, strings.TrimRight(line, "\n"))
	}
	if more > 0 {
		fmt.Fprintf(b, "%s … (%d more bytes)\n", dir, more)
	}
}

func isText(contentType string, body []byte) bool {
	ct := strings.ToLower(contentType)
	if strings.Contains(ct, "json") || strings.HasPrefix(ct, "text/") || strings.Contains(ct, "x-www-form-urlencoded") {
		return true
	}
	return ct == "" && utf8.Valid(body)
}

// RedactSecrets masks what must never be shown from text bound for a trace or a log:
// tokens (forj.RedactTokens) and the values of JSON fields named like passwords, secrets and
// invite codes.
func RedactSecrets(s string) string {
	s = forj.RedactTokens(s)
	return secretFieldRE.ReplaceAllStringFunc(s, func(m string) string {
		if redactedTokenRE.MatchString(m) {
			return m // keep the display prefix of a token: it says which one it was
		}
		return secretFieldRE.ReplaceAllString(m, `"$1"$2"***"`)
	})
}

func redactHeader(name, value string) string {
	switch http.CanonicalHeaderKey(name) {
	case "Authorization", "Proxy-Authorization":
		scheme, cred, ok := strings.Cut(value, " ")
		if !ok {
			return "***"
		}
		if kind, id, _, ok := forj.ParseToken(strings.TrimSpace(cred)); ok {
			return scheme + " " + forj.TokenDisplayPrefix(kind, id) + "_***"
		}
		return scheme + " ***"
	case "Cookie", "Set-Cookie", forj.BundlePassphraseHeader:
		return "***"
	}
	return forj.RedactTokens(value)
}

func redactURL(u string) string { return forj.RedactTokens(u) }
