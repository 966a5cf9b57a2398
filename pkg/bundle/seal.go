package bundle

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"math/bits"

	"golang.org/x/crypto/scrypt"

	"github.com/forjinn/forjctl/pkg/forj"
)

// Encryption is the manifest's description of how credential secrets are sealed: a key
// derived from the passphrase with scrypt(N, R, P, Salt), AES-256-GCM with a random 12-byte
// nonce per secret. Check is a fixed plaintext sealed with that key, so that a wrong
// passphrase is told apart from a corrupt secret.
type Encryption struct {
	KDF    string `json:"kdf"`    // "scrypt"
	N      int    `json:"n"`      // CPU/memory cost, a power of two
	R      int    `json:"r"`      // block size
	P      int    `json:"p"`      // parallelism
	Salt   []byte `json:"salt"`   // base64 in JSON
	Cipher string `json:"cipher"` // "aes-256-gcm"
	Check  []byte `json:"check"`  // base64 in JSON
}

// Sealing parameters of NewSealer.
const (
	KDFScrypt    = "scrypt"
	CipherAESGCM = "aes-256-gcm"
	ScryptN      = 32768
	ScryptR      = 8
	ScryptP      = 1
	SaltBytes    = 32
)

const (
	nonceBytes = 12
	tagBytes   = 16
	// The fixed plaintext of Encryption.Check and its additional data.
	checkPlaintext = "forj-bundle passphrase check v1"
	checkAAD       = "forj-bundle/check"
	// Bounds on scrypt parameters read from a bundle, so a hostile manifest cannot make the
	// reader spend gigabytes or minutes: memory 128·N·r ≤ 64 MiB, work N·r·p ≤ 2²².
	maxScryptMemory = 64 << 20
	maxScryptWork   = 1 << 22
	// MaxSealedBytes bounds one sealed secret: the largest secret data plus nonce and tag.
	MaxSealedBytes = forj.MaxSecretDataBytes + nonceBytes + tagBytes
)

// ErrWrongPassphrase is OpenSealer's answer to a passphrase that is not the bundle's.
var ErrWrongPassphrase = &forj.Error{
	Code:    forj.EInvalid,
	Message: "wrong passphrase: the bundle's secrets were sealed with another one",
}

// ErrNoPassphrase is OpenSealer's and NewSealer's answer to an empty passphrase.
var ErrNoPassphrase = &forj.Error{Code: forj.EInvalid, Message: "the bundle passphrase is empty"}

// Sealer seals and opens credential secrets with a key derived from a passphrase.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer derives a key from passphrase with a fresh random salt and returns the sealer
// and the manifest's encryption block.
func NewSealer(passphrase []byte) (*Sealer, *Encryption, error) {
	if len(passphrase) == 0 {
		return nil, nil, ErrNoPassphrase
	}
	e := &Encryption{KDF: KDFScrypt, N: ScryptN, R: ScryptR, P: ScryptP, Cipher: CipherAESGCM,
		Salt: make([]byte, SaltBytes)}
	if _, err := rand.Read(e.Salt); err != nil {
		return nil, nil, err
	}
	s, err := deriveSealer(passphrase, e)
	if err != nil {
		return nil, nil, err
	}
	e.Check = s.Seal([]byte(checkPlaintext), []byte(checkAAD))
	return s, e, nil
}

// OpenSealer derives the key of a bundle's encryption block from passphrase and checks it
// against the block's Check: ErrWrongPassphrase when it does not open.
func OpenSealer(passphrase []byte, e *Encryption) (*Sealer, error) {
	if e == nil {
		return nil, errors.New("bundle: the bundle has no encryption block (its secrets are not sealed)")
	}
	if len(passphrase) == 0 {
		return nil, ErrNoPassphrase
	}
	if problem := checkEncryption(e); problem != "" {
		return nil, &Error{Entry: ManifestPath, Problem: problem}
	}
	s, err := deriveSealer(passphrase, e)
	if err != nil {
		return nil, err
	}
	pt, err := s.Open(e.Check, []byte(checkAAD))
	if err != nil || string(pt) != checkPlaintext {
		return nil, ErrWrongPassphrase
	}
	return s, nil
}

func deriveSealer(passphrase []byte, e *Encryption) (*Sealer, error) {
	key, err := scrypt.Key(passphrase, e.Salt, e.N, e.R, e.P, 32)
	if err != nil {
		return nil, fmt.Errorf("bundle: scrypt: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext with a random nonce: nonce ‖ ciphertext ‖ tag. aad binds the result
// to its place, for secrets SecretAAD(kind, name).
func (s *Sealer) Seal(plaintext, aad []byte) []byte {
	out := make([]byte, nonceBytes, nonceBytes+len(plaintext)+tagBytes)
	if _, err := rand.Read(out); err != nil {
		panic("bundle: crypto/rand: " + err.Error()) // crypto/rand does not fail on supported systems
	}
	return s.aead.Seal(out, out, plaintext, aad)
}

// Open decrypts what Seal sealed with the same aad. Since OpenSealer checked the passphrase,
// an error means the secret is corrupt, altered or moved to another asset.
func (s *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < nonceBytes+tagBytes {
		return nil, errors.New("sealed secret is too short")
	}
	pt, err := s.aead.Open(nil, sealed[:nonceBytes], sealed[nonceBytes:], aad)
	if err != nil {
		return nil, fmt.Errorf("sealed secret of %s does not open: corrupt, altered or moved", aad)
	}
	return pt, nil
}

// checkEncryption validates an encryption block read from a manifest.
func checkEncryption(e *Encryption) string {
	switch {
	case e.KDF != KDFScrypt:
		return fmt.Sprintf("encryption: kdf %q is not supported (want %q)", e.KDF, KDFScrypt)
	case e.Cipher != CipherAESGCM:
		return fmt.Sprintf("encryption: cipher %q is not supported (want %q)", e.Cipher, CipherAESGCM)
	case e.N < 2 || bits.OnesCount(uint(e.N)) != 1:
		return fmt.Sprintf("encryption: scrypt n=%d is not a power of two above 1", e.N)
	case e.R < 1 || e.P < 1:
		return fmt.Sprintf("encryption: scrypt r=%d p=%d must be positive", e.R, e.P)
	case int64(e.N) > maxScryptMemory/128 || int64(e.R) > maxScryptMemory/128 ||
		128*int64(e.N)*int64(e.R) > maxScryptMemory ||
		int64(e.P) > maxScryptWork || int64(e.N)*int64(e.R) > maxScryptWork/int64(e.P):
		return fmt.Sprintf("encryption: scrypt n=%d r=%d p=%d exceed this reader's bounds (memory 128·n·r ≤ %d MiB, work n·r·p ≤ %d)",
			e.N, e.R, e.P, maxScryptMemory>>20, maxScryptWork)
	case len(e.Salt) < 16 || len(e.Salt) > 64:
		return fmt.Sprintf("encryption: salt of %d bytes (want 16–64)", len(e.Salt))
	case len(e.Check) != nonceBytes+len(checkPlaintext)+tagBytes:
		return fmt.Sprintf("encryption: check of %d bytes (want %d)", len(e.Check), nonceBytes+len(checkPlaintext)+tagBytes)
	}
	return ""
}
