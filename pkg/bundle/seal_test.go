package bundle_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/forjinn/forjctl/pkg/bundle"
	"github.com/forjinn/forjctl/pkg/bundle/bundletest"
	"github.com/forjinn/forjctl/pkg/forj"
)

func TestSealer(t *testing.T) {
	s, enc, err := bundle.NewSealer([]byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	if enc.KDF != "scrypt" || enc.N != 32768 || enc.R != 8 || enc.P != 1 || len(enc.Salt) != 32 || enc.Cipher != "aes-256-gcm" {
		t.Errorf("encryption block %+v", enc)
	}
	aad := bundle.SecretAAD("credential", "openai")
	sealed := s.Seal([]byte(`{"apiKey":"sk-123"}`), aad)
	if bytes.Contains(sealed, []byte("sk-123")) {
		t.Fatal("plaintext visible in the sealed secret")
	}

	// The same passphrase opens it, through the manifest's block.
	o, err := bundle.OpenSealer([]byte("correct horse"), enc)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := o.Open(sealed, aad)
	if err != nil || string(pt) != `{"apiKey":"sk-123"}` {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	// A wrong passphrase is reported as such.
	if _, err := bundle.OpenSealer([]byte("Correct horse"), enc); !errors.Is(err, bundle.ErrWrongPassphrase) || forj.ErrorCode(err) != forj.EInvalid {
		t.Errorf("wrong passphrase: %v", err)
	}
	if _, err := bundle.OpenSealer(nil, enc); !errors.Is(err, bundle.ErrNoPassphrase) {
		t.Errorf("empty passphrase: %v", err)
	}
	// A corrupt or moved secret is not a wrong passphrase.
	bad := bytes.Clone(sealed)
	bad[len(bad)-1] ^= 1
	if _, err := o.Open(bad, aad); err == nil || errors.Is(err, bundle.ErrWrongPassphrase) || !strings.Contains(err.Error(), "credential/openai") {
		t.Errorf("corrupt secret: %v", err)
	}
	if _, err := o.Open(sealed, bundle.SecretAAD("credential", "other")); err == nil {
		t.Error("a secret moved to another credential opened")
	}
	// Hostile parameters are refused before any key derivation.
	for name, edit := range map[string]func(e *bundle.Encryption){
		"huge n":     func(e *bundle.Encryption) { e.N = 1 << 30 },
		"n not pow2": func(e *bundle.Encryption) { e.N = 30000 },
		"huge p":     func(e *bundle.Encryption) { e.P = 1 << 20 },
		"kdf":        func(e *bundle.Encryption) { e.KDF = "pbkdf2" },
		"cipher":     func(e *bundle.Encryption) { e.Cipher = "rot13" },
		"short salt": func(e *bundle.Encryption) { e.Salt = e.Salt[:4] },
	} {
		e := *enc
		edit(&e)
		if _, err := bundle.OpenSealer([]byte("correct horse"), &e); err == nil || errors.Is(err, bundle.ErrWrongPassphrase) {
			t.Errorf("%s: OpenSealer = %v", name, err)
		}
	}
}

func TestSealedBundle(t *testing.T) {
	s, enc, err := bundle.NewSealer([]byte("pass"))
	if err != nil {
		t.Fatal(err)
	}
	c := bundletest.Sample()
	for i := range c.Assets {
		if a := &c.Assets[i]; a.Kind == forj.KindCredential && a.Name == "openai" {
			a.Secret = &bundle.SecretField{Sealed: s.Seal([]byte(`{"apiKey":"sk-1"}`), bundle.SecretAAD(a.Kind, a.Name))}
		}
	}
	e := c.Export()
	e.Encryption = enc
	b := write(t, e)
	got := read(t, b)
	if got.m.Encryption == nil || !bytes.Equal(got.m.Encryption.Salt, enc.Salt) {
		t.Fatalf("encryption block lost: %+v", got.m.Encryption)
	}
	o, err := bundle.OpenSealer([]byte("pass"), got.m.Encryption)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range got.assets {
		if a.Name == "openai" {
			pt, err := o.Open(a.Secret.Sealed, bundle.SecretAAD(a.Kind, a.Name))
			if err != nil || string(pt) != `{"apiKey":"sk-1"}` {
				t.Fatalf("Open = %q, %v", pt, err)
			}
		}
	}
	// The manifest shows the block with base64 fields.
	m := bundletest.Files(b)[0].Data
	var raw map[string]json.RawMessage
	json.Unmarshal(m, &raw)
	if !strings.Contains(string(raw["encryption"]), `"kdf": "scrypt"`) {
		t.Errorf("manifest encryption block:\n%s", raw["encryption"])
	}
	// Sealed secrets without the block are refused by Write.
	e.Encryption = nil
	if err := bundle.Write(&bytes.Buffer{}, e); err == nil {
		t.Error("Write accepted sealed secrets without an encryption block")
	}
}
