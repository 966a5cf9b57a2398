package server

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"

	"github.com/forjinn/forjctl/pkg/forj"
)

// Credentials' secret data is sealed with AES-256-GCM under a key derived from the server
// secret (the pepper), so the database alone never reveals it. The asset id is the
// additional data: a sealed value copied into another row does not open there. A move keeps
// the id; a copy opens and seals again under the new id.

// newSecretsAEAD derives the credential key from the pepper.
func newSecretsAEAD(pepper []byte) (cipher.AEAD, error) {
	m := hmac.New(sha256.New, pepper)
	m.Write([]byte("forj credential key v1"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealSecret returns nonce ‖ ciphertext of data for asset id.
func (s *Server) sealSecret(assetID string, data []byte) []byte {
	nonce := make([]byte, s.secrets.NonceSize(), s.secrets.NonceSize()+len(data)+s.secrets.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("server: crypto/rand failed: " + err.Error())
	}
	return s.secrets.Seal(nonce, nonce, data, []byte(assetID))
}

// openSecret reverses sealSecret; a failure means the server secret changed or the row was
// tampered with.
func (s *Server) openSecret(assetID string, sealed []byte) ([]byte, error) {
	n := s.secrets.NonceSize()
	if len(sealed) < n {
		return nil, forj.Errorf(forj.EInternal, "secret of asset %s is damaged", assetID)
	}
	data, err := s.secrets.Open(nil, sealed[:n], sealed[n:], []byte(assetID))
	if err != nil {
		return nil, fmt.Errorf("opening the secret of asset %s (was FORJ_SECRET changed?): %w", assetID, err)
	}
	return data, nil
}
