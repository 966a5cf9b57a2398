package forj

import "testing"

func TestParseToken(t *testing.T) {
	secret := NewTokenSecret()
	tok := FormatToken(TokenPAT, "tok_abc123", secret)
	kind, id, sec, ok := ParseToken(tok)
	if !ok || kind != TokenPAT || id != "tok_abc123" || sec != secret {
		t.Fatalf("ParseToken(%q) = %q %q %q %v", tok, kind, id, sec, ok)
	}
	for _, bad := range []string{"", "forj_", "forj_pat_", "forj_xxx_tok_abc_" + secret, "forj_pat_tok_abc_short", "Bearer x", "forj_pat_" + secret} {
		if _, _, _, ok := ParseToken(bad); ok {
			t.Errorf("ParseToken(%q) accepted", bad)
		}
	}
	if got := RedactTokens("auth " + tok + " end"); got != "auth forj_pat_tok_abc123_*** end" {
		t.Errorf("RedactTokens = %q", got)
	}
}

func TestValidateWorkspaceName(t *testing.T) {
	for _, ok := range []string{"prod", "Client A — staging", "x"} {
		if err := ValidateWorkspaceName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", " lead", "tab\tname", "ws_abc", string(make([]byte, 65))} {
		if err := ValidateWorkspaceName(bad); ErrorCode(err) != EInvalid {
			t.Errorf("%q accepted (err %v)", bad, err)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	if e, err := NormalizeEmail("  Ada@Example.COM "); err != nil || e != "ada@example.com" {
		t.Fatalf("got %q %v", e, err)
	}
	for _, bad := range []string{"", "nope", "a@", "Ada <ada@example.com>"} {
		if _, err := NormalizeEmail(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
