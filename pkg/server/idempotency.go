package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/forjinn/forjctl/pkg/forj"
)

// replayErr carries a stored idempotent response out of a rolled-back transaction.
type replayErr struct{ rec *forj.IdempotencyRecord }

func (e *replayErr) Error() string { return "idempotent replay" }

// errTwin: a concurrent request with the same Idempotency-Key stored its record first.
var errTwin = errors.New("idempotency key taken by a concurrent request")

// mutate runs fn — the change and its audit event — in ONE store transaction together
// with the Idempotency-Key record (POST only; the key is scoped to the calling token), then
// writes fn's result with the given status. A stored record for the same key replays the
// first response with Idempotent-Replayed: true; the same key with another request (method,
// path or body) is a conflict.
//
// Secrets are never stored: a response carrying a token secret or an invite code is
// recorded with that field empty, so a replay returns the same object without the secret
// (it was shown once, to the first response).
func (c *call) mutate(status int, fn func(tx forj.Tx) (any, error)) error {
	key := ""
	if c.r.Method == http.MethodPost && c.token != nil {
		key = c.r.Header.Get("Idempotency-Key")
		if key != "" {
			if err := validateText("Idempotency-Key", key, 255, false); err != nil {
				return err
			}
		}
	}
	body, err := c.readBody()
	if err != nil {
		return err
	}
	hash := requestHash(c.r.Method, c.r.URL.Path, body)

	var out []byte
	err = c.s.store.Update(c.ctx(), func(tx forj.Tx) error {
		if key != "" {
			rec, err := tx.GetIdempotency(c.token.ID, key)
			if err == nil {
				return &replayErr{rec}
			}
			if !forj.IsNotFound(err) {
				return err
			}
		}
		v, err := fn(tx)
		if err != nil {
			return err
		}
		if status != http.StatusNoContent {
			if out, err = json.Marshal(v); err != nil {
				return err
			}
		}
		if key == "" {
			return nil
		}
		stored := out
		if r, ok := withoutSecrets(v); ok {
			if stored, err = json.Marshal(r); err != nil {
				return err
			}
		}
		err = tx.PutIdempotency(&forj.IdempotencyRecord{
			Scope: c.token.ID, Key: key, Request: hash, Status: status, Body: stored, CreatedAt: tx.Now(),
		})
		if forj.IsConflict(err) {
			return errTwin
		}
		return err
	})
	var rp *replayErr
	switch {
	case errors.As(err, &rp):
		return c.replay(rp.rec, hash)
	case errors.Is(err, errTwin):
		// Our transaction rolled back; answer with what the twin stored.
		rec, gerr := c.storedResponse(key)
		if gerr != nil {
			return gerr
		}
		return c.replay(rec, hash)
	case err != nil && key != "":
		// A concurrent twin may have committed the same change first, so ours failed on
		// its effect (e.g. a unique name) before reaching the record: replay it if so.
		if rec, gerr := c.storedResponse(key); gerr == nil {
			return c.replay(rec, hash)
		}
		return err
	case err != nil:
		return err
	}
	writeRaw(c.w, status, out)
	return nil
}

// storedResponse reads the idempotency record of key outside the failed transaction.
func (c *call) storedResponse(key string) (*forj.IdempotencyRecord, error) {
	var rec *forj.IdempotencyRecord
	err := c.s.store.View(c.ctx(), func(tx forj.Tx) error {
		var err error
		rec, err = tx.GetIdempotency(c.token.ID, key)
		return err
	})
	return rec, err
}

func (c *call) replay(rec *forj.IdempotencyRecord, hash string) error {
	if rec.Request != hash {
		return forj.Errorf(forj.EConflict, "Idempotency-Key was already used for a different request").
			WithHint("use a new Idempotency-Key for a new request")
	}
	c.w.Header().Set("Idempotent-Replayed", "true")
	writeRaw(c.w, rec.Status, rec.Body)
	return nil
}

// requestHash identifies a request for idempotency: method, path and body.
func requestHash(method, path string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(method))
	h.Write([]byte{0})
	h.Write([]byte(path))
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// withoutSecrets returns a copy of a response without its one-time secret, for storage.
func withoutSecrets(v any) (any, bool) {
	switch r := v.(type) {
	case *forj.TokenResponse:
		c := *r
		c.Secret = ""
		return &c, true
	case *forj.RotateKeyResponse:
		c := *r
		c.Secret = ""
		return &c, true
	case *forj.AddUserResponse:
		c := *r
		c.InviteCode = ""
		return &c, true
	case *forj.InviteUserResponse:
		c := *r
		c.InviteCode = ""
		return &c, true
	}
	return nil, false
}
