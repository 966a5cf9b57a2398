package forj

import (
	"regexp"
	"strings"
	"sync"
)

// A token as handed to a user is forj_<kind>_<id>_<secret>: the id locates the stored token,
// the secret is compared (in constant time) against its stored HMAC. The secret is the part
// after the last underscore, so ids may contain underscores (tok_…).

const tokenPrefix = "forj_"

// The patterns are compiled on first use, not at start-up: every forjctl invocation, even
// 'forjctl version', would otherwise pay for them (design §11's start-up budget).
var (
	tokenIDRE     = lazyRegexp(`^[a-z0-9][a-z0-9_]{2,63}$`)
	tokenSecretRE = lazyRegexp(`^[A-Za-z0-9]{20,128}$`)
)

func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// FormatToken joins the parts of a token.
func FormatToken(kind, id, secret string) string {
	return tokenPrefix + kind + "_" + id + "_" + secret
}

// ParseToken splits a token into kind, id and secret; ok is false when s is not a token.
func ParseToken(s string) (kind, id, secret string, ok bool) {
	rest, found := strings.CutPrefix(s, tokenPrefix)
	if !found {
		return "", "", "", false
	}
	kind, rest, found = strings.Cut(rest, "_")
	if !found || (kind != TokenPAT && kind != TokenKey) {
		return "", "", "", false
	}
	i := strings.LastIndexByte(rest, '_')
	if i < 0 {
		return "", "", "", false
	}
	id, secret = rest[:i], rest[i+1:]
	if !tokenIDRE().MatchString(id) || !tokenSecretRE().MatchString(secret) {
		return "", "", "", false
	}
	return kind, id, secret, true
}

// NewTokenSecret returns a fresh random secret (256 bits).
func NewTokenSecret() string { return RandomString(32) }

// TokenDisplayPrefix is how much of a token is safe to display to identify it (kind and id).
func TokenDisplayPrefix(kind, id string) string { return tokenPrefix + kind + "_" + id }

// tokenInTextRE finds token-shaped text, for redaction in logs and debug output.
var tokenInTextRE = lazyRegexp(`forj_(?:pat|key)_[a-z0-9_]+_[A-Za-z0-9]{20,128}`)

// RedactTokens replaces every token-shaped substring of s with its display prefix + "_***".
func RedactTokens(s string) string {
	return tokenInTextRE().ReplaceAllStringFunc(s, func(t string) string {
		i := strings.LastIndexByte(t, '_')
		return t[:i] + "_***"
	})
}
