package forj

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"strings"
)

// ID prefixes. An id is PREFIX_ + 26 lower-case base32 characters (128 random bits).
const (
	PrefixUser      = "usr"
	PrefixWorkspace = "ws"
	PrefixToken     = "tok"
	PrefixEvent     = "evt"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a fresh random id with the given prefix.
func NewID(prefix string) string {
	return prefix + "_" + RandomString(16)
}

// RandomString returns n random bytes encoded in lower-case base32 (no padding).
func RandomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("forj: crypto/rand failed: " + err.Error()) // never happens on supported systems
	}
	return idEncoding.EncodeToString(b)
}

// HasPrefix reports whether s looks like an id of the given prefix.
func HasPrefix(s, prefix string) bool {
	return strings.HasPrefix(s, prefix+"_") && len(s) > len(prefix)+1
}

// EncodeCursor makes an opaque list cursor out of a store's sort key.
func EncodeCursor(key string) string {
	if key == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(key))
}

// DecodeCursor reverses EncodeCursor; a malformed cursor is an EInvalid error.
func DecodeCursor(cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(b) == 0 {
		return "", Errorf(EInvalid, "malformed cursor %q", cursor)
	}
	return string(b), nil
}
