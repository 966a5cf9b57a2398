package forj

import (
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Name rules shared by server and CLI, so both reject the same input with the same words.

// ValidateWorkspaceName: 1–64 characters, no control characters, no leading/trailing space.
func ValidateWorkspaceName(name string) error {
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return Errorf(EInvalid, "workspace name is required")
	case n > 64:
		return Errorf(EInvalid, "workspace name is %d characters long; the maximum is 64", n)
	case strings.TrimSpace(name) != name:
		return Errorf(EInvalid, "workspace name %q has leading or trailing spaces", name)
	case strings.ContainsFunc(name, isControl):
		return Errorf(EInvalid, "workspace name %q contains a control character", name)
	case HasPrefix(name, PrefixWorkspace):
		return Errorf(EInvalid, "workspace name %q looks like a workspace id", name).
			WithHint("choose a name that does not start with %q", PrefixWorkspace+"_")
	}
	return nil
}

var roleNameRE = lazyRegexp(`^[a-z][a-z0-9-]{0,31}$`)

// ValidateRoleName: lower-case letters, digits and dashes, starting with a letter, ≤ 32.
func ValidateRoleName(name string) error {
	if !roleNameRE().MatchString(name) {
		return Errorf(EInvalid, "role name %q is invalid", name).
			WithHint("use 1–32 lower-case letters, digits and dashes, starting with a letter")
	}
	return nil
}

// NormalizeEmail trims and lower-cases an email and checks its form.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return "", Errorf(EInvalid, "email is required")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || !strings.Contains(e, "@") {
		return "", Errorf(EInvalid, "%q is not a valid email address", email)
	}
	return e, nil
}

// ValidateTokenName: 1–64 printable characters.
func ValidateTokenName(name string) error {
	n := utf8.RuneCountInString(name)
	if n == 0 || n > 64 || strings.ContainsFunc(name, isControl) || strings.TrimSpace(name) != name {
		return Errorf(EInvalid, "token name %q is invalid", name).
			WithHint("use 1–64 printable characters without leading or trailing spaces")
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
