package server

import (
	"bytes"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/forjinn/forjctl/pkg/authz"
	"github.com/forjinn/forjctl/pkg/forj"
)

// Workspace API key rules (the access matrix covers who may call; these cover what a key
// may become):
//   - A key's scopes are at most its creator's effective permissions in the workspace at
//     creation (default: all of them); at every request the key acts with its scopes ∩ the
//     creator's current permissions (authz.Subject), so demoting the creator narrows it.
//   - A key holding key.write may manage keys, but by the same rule it can never mint a key
//     (or rotate one into its hands) with a scope beyond its own effective permissions.
//   - Rotation issues a new secret to the caller, who becomes the new key's creator; the
//     old key stops at now + grace (at most maxRotateGrace). Revocation is immediate.
//   - Every key action is audited (key.create, key.rotate, key.revoke, key.expired_use)
//     naming the key by id and display prefix, never its secret.

// maxRotateGrace bounds how long a rotated key's old secret may stay valid.
const maxRotateGrace = 30 * 24 * time.Hour

func errKeyNotFound(id string) *forj.Error {
	return forj.Errorf(forj.ENotFound, "API key %q not found", id).
		WithHint("list the workspace's keys with: forjctl key list")
}

// keyScopes checks requested scopes against the catalog and the caller's effective
// permissions in the workspace (held); none requested means all of held. Unknown or global
// scopes are invalid; a scope the caller does not hold is forbidden, named.
func keyScopes(requested, held []string) ([]string, error) {
	if len(requested) == 0 {
		return slices.Clone(held), nil
	}
	out := make([]string, 0, len(requested))
	for _, p := range requested {
		c, ok := authz.Lookup(p)
		if !ok {
			return nil, forj.Errorf(forj.EInvalid, "unknown scope %q", p).
				WithHint("scopes are workspace permissions: forjctl role list --permissions")
		}
		if c.Scope != authz.ScopeWorkspace {
			return nil, forj.Errorf(forj.EInvalid, "scope %q is a global permission; API keys hold workspace permissions only", p)
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	for _, p := range out {
		if !slices.Contains(held, p) {
			return nil, forj.Errorf(forj.EForbidden, "you cannot give a key the scope %s: you do not hold it in this workspace", p).
				WithHint("a key has at most its creator's permissions")
		}
	}
	return out, nil
}

// workspaceKey reads a key of the workspace; a personal token, or a key of another
// workspace, is not found.
func workspaceKey(tx forj.Tx, wsID, id string) (*forj.Token, error) {
	tok, err := tx.GetToken(id)
	if forj.IsNotFound(err) || err == nil && (tok.Kind != forj.TokenKey || tok.WorkspaceID != wsID) {
		return nil, errKeyNotFound(id)
	}
	return tok, err
}

// newKey creates a workspace API key and returns it with the whole token string.
func (s *Server) newKey(tx forj.Tx, userID, wsID, name string, scopes []string, expires *time.Time) (*forj.Token, string, error) {
	id, secret := forj.NewID(forj.PrefixToken), forj.NewTokenSecret()
	t := &forj.Token{
		ID: id, Kind: forj.TokenKey, Name: name, UserID: userID, WorkspaceID: wsID, Scopes: scopes,
		Prefix: forj.TokenDisplayPrefix(forj.TokenKey, id), ExpiresAt: expires,
		SecretHash: HashSecret(s.pepper, secret),
	}
	if err := tx.CreateToken(t); err != nil {
		return nil, "", err
	}
	return t, forj.FormatToken(forj.TokenKey, id, secret), nil
}

// listKeys lists the workspace's API keys, newest first; ?all=true includes revoked ones.
func (s *Server) listKeys(c *call) error {
	wsID := c.r.PathValue("id")
	all := false
	if v := c.r.URL.Query().Get("all"); v != "" {
		var err error
		if all, err = strconv.ParseBool(v); err != nil {
			return forj.Errorf(forj.EInvalid, "all %q is not a boolean", v)
		}
	}
	var toks []forj.Token
	err := s.store.View(c.ctx(), func(tx forj.Tx) error {
		var err error
		toks, err = tx.ListTokens(forj.TokenFilter{Kind: forj.TokenKey, WorkspaceID: wsID, IncludeRevoked: all})
		return err
	})
	if err != nil {
		return err
	}
	return c.s.writeJSON(c.w, http.StatusOK, forj.List[forj.Token]{Data: nonNil(toks)})
}

func (s *Server) createKey(c *call) error {
	wsID := c.r.PathValue("id")
	var req forj.CreateKeyRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	if err := forj.ValidateTokenName(req.Name); err != nil {
		return err
	}
	d, err := parseExpiresIn(req.ExpiresIn)
	if err != nil {
		return err
	}
	scopes, err := keyScopes(req.Scopes, c.subj.Permissions(wsID))
	if err != nil {
		return err
	}
	var expires *time.Time
	if d > 0 {
		t := s.now().Add(d).UTC().Truncate(time.Second)
		expires = &t
	}
	return c.mutate(http.StatusCreated, func(tx forj.Tx) (any, error) {
		tok, secret, err := s.newKey(tx, c.user.ID, wsID, req.Name, scopes, expires)
		if err != nil {
			return nil, err
		}
		changes := map[string]any{"name": tok.Name, "key": tok.Prefix, "scopes": tok.Scopes}
		if expires != nil {
			changes["expiresAt"] = expires
		}
		if err := tx.AppendAudit(c.event("key.create", wsID, "key", tok.ID, changes)); err != nil {
			return nil, err
		}
		return &forj.TokenResponse{Token: *tok, Secret: secret}, nil
	})
}

// revokeKey revokes a key at once (also one inside a rotation grace period); revoking a
// revoked key changes nothing.
func (s *Server) revokeKey(c *call) error {
	wsID, id := c.r.PathValue("id"), c.r.PathValue("keyId")
	reason := c.r.URL.Query().Get("reason")
	if err := validateText("reason", reason, 256, false); err != nil {
		return err
	}
	err := c.mutate(http.StatusNoContent, func(tx forj.Tx) (any, error) {
		tok, err := workspaceKey(tx, wsID, id)
		if err != nil {
			return nil, err
		}
		now := tx.Now()
		if tok.RevokedAt != nil && !now.Before(*tok.RevokedAt) {
			return nil, nil
		}
		if err := tx.RevokeToken(id, now); err != nil {
			return nil, err
		}
		changes := map[string]string{"name": tok.Name, "key": tok.Prefix}
		if reason != "" {
			changes["reason"] = reason
		}
		return nil, tx.AppendAudit(c.event("key.revoke", wsID, "key", id, changes))
	})
	if err == nil {
		s.forget(id)
	}
	return err
}

// parseGrace reads a rotation grace period: "" or "0" = none, "Nd" or a Go duration, at
// most maxRotateGrace.
func parseGrace(s string) (time.Duration, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	bad := forj.Errorf(forj.EInvalid, "grace %q is not a duration", s).WithHint("use a duration like 24h or days like 7d; 0 revokes the old key at once")
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n > 3650 {
			return 0, bad
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, bad
		}
	}
	if d < 0 {
		return 0, forj.Errorf(forj.EInvalid, "grace %q is negative", s)
	}
	if d > maxRotateGrace {
		return 0, forj.Errorf(forj.EInvalid, "grace %q is longer than the maximum of 30 days", s)
	}
	return d, nil
}

// rotateKey replaces a key with a new one of the same name, scopes and expiry length; the
// old key stays valid for the grace period. Both changes and the audit event are one
// transaction.
func (s *Server) rotateKey(c *call) error {
	wsID, id := c.r.PathValue("id"), c.r.PathValue("keyId")
	var req forj.RotateKeyRequest
	b, err := c.readBody()
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) > 0 {
		if err := decodeStrict(b, &req); err != nil {
			return err
		}
	}
	grace, err := parseGrace(req.Grace)
	if err != nil {
		return err
	}
	held := c.subj.Permissions(wsID)
	return c.mutate(http.StatusCreated, func(tx forj.Tx) (any, error) {
		old, err := workspaceKey(tx, wsID, id)
		if err != nil {
			return nil, err
		}
		now := tx.Now()
		if old.RevokedAt != nil && !now.Before(*old.RevokedAt) {
			return nil, forj.Errorf(forj.EConflict, "API key %q is revoked", id).
				WithHint("create a new key with: forjctl key create NAME")
		}
		// The caller receives the new secret, so it may not exceed the caller's own
		// permissions (a key with key.write cannot rotate a broader key into its hands).
		scopes, err := keyScopes(old.Scopes, held)
		if err != nil {
			return nil, err
		}
		var expires *time.Time
		if old.ExpiresAt != nil {
			t := now.Add(old.ExpiresAt.Sub(old.CreatedAt)).UTC().Truncate(time.Second)
			expires = &t
		}
		tok, secret, err := s.newKey(tx, c.user.ID, wsID, old.Name, scopes, expires)
		if err != nil {
			return nil, err
		}
		until := now.Add(grace).UTC()
		if old.RevokedAt != nil && old.RevokedAt.Before(until) {
			until = *old.RevokedAt // already ending sooner (an earlier rotation's grace)
		}
		if err := tx.RevokeToken(old.ID, until); err != nil {
			return nil, err
		}
		if err := tx.AppendAudit(c.event("key.rotate", wsID, "key", old.ID, map[string]any{
			"name": old.Name, "key": old.Prefix, "newKeyId": tok.ID, "newKey": tok.Prefix,
			"grace": grace.String(), "oldValidUntil": until,
		})); err != nil {
			return nil, err
		}
		return &forj.RotateKeyResponse{TokenResponse: forj.TokenResponse{Token: *tok, Secret: secret}, Replaced: old.ID, OldValidUntil: until}, nil
	})
}

// verifyKey answers who the calling API key is: its workspace and effective scopes (its
// scopes ∩ its creator's current permissions).
func (s *Server) verifyKey(c *call) error {
	t := c.token
	return c.s.writeJSON(c.w, http.StatusOK, &forj.KeyVerifyResponse{
		KeyID: t.ID, Name: t.Name, WorkspaceID: t.WorkspaceID,
		Scopes: nonNil(c.subj.Permissions(t.WorkspaceID)), ExpiresAt: t.ExpiresAt,
	})
}
