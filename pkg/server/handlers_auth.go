package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/forjinn/forjctl/pkg/authz"
	"github.com/forjinn/forjctl/pkg/forj"
)

// inviteTTL is how long an invite code stays valid.
const inviteTTL = 7 * 24 * time.Hour

func (s *Server) healthz(c *call) error {
	return c.s.writeJSON(c.w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c *call) error {
	ctx, cancel := context.WithTimeout(c.ctx(), 2*time.Second)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		s.log.LogAttrs(c.ctx(), slog.LevelWarn, "not ready", slog.String("request_id", c.reqID), slog.String("error", err.Error()))
		return c.s.writeJSON(c.w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
	}
	return c.s.writeJSON(c.w, http.StatusOK, map[string]string{"status": "ready"})
}

// errLoginFailed is the one answer to every failed login, whatever the reason (unknown
// email, wrong password, disabled user, bad or expired invite code): the reason goes to
// the audit trail only, so the API does not reveal which emails exist.
var errLoginFailed = forj.Errorf(forj.EUnauthenticated, "login failed: wrong email, password or invite code").
	WithHint("check your credentials; an invited user logs in with the invite code and a new password")

// login exchanges email + password (or, for an invited user, email + invite code + a new
// password) for a new personal access token. Public, and exempt from Idempotency-Key.
func (s *Server) login(c *call) error {
	var req forj.LoginRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	email, err := forj.NormalizeEmail(req.Email)
	if err != nil {
		return err
	}
	if req.Password == "" {
		return forj.Errorf(forj.EInvalid, "password is required")
	}
	if len(req.Password) > maxPasswordBytes {
		return forj.Errorf(forj.EInvalid, "the password is too long; use at most %d bytes", maxPasswordBytes)
	}
	tokenName := req.TokenName
	if tokenName == "" {
		tokenName = "login"
	}
	if err := forj.ValidateTokenName(tokenName); err != nil {
		return err
	}
	if req.InviteCode != "" {
		if err := validatePassword(req.Password); err != nil {
			return err
		}
	}

	var u *forj.User
	if err := s.store.View(c.ctx(), func(tx forj.Tx) error {
		var err error
		u, err = tx.GetUserByEmail(email)
		if forj.IsNotFound(err) {
			u, err = nil, nil
		}
		return err
	}); err != nil {
		return err
	}

	now := s.now()
	reason := ""
	var newHash string
	if req.InviteCode != "" {
		switch {
		case u == nil:
			reason = "unknown email"
		case u.Status != forj.UserInvited:
			reason = "invite code for a user who is " + u.Status
		case u.InviteHash == "" || !secretMatches(s.pepper, req.InviteCode, u.InviteHash):
			reason = "wrong invite code"
		case u.InviteExpiresAt == nil || !now.Before(*u.InviteExpiresAt):
			reason = "invite code expired"
		}
		if reason == "" {
			if err := s.withHashSlot(c.ctx(), func() { newHash = hashPassword(req.Password) }); err != nil {
				return err
			}
		}
	} else {
		stored := s.dummyHash
		switch {
		case u == nil:
			reason = "unknown email"
		case u.Status != forj.UserActive:
			reason = "user is " + u.Status
		case u.PasswordHash == "":
			reason = "no password set"
		default:
			stored = u.PasswordHash
		}
		// Always verify, against a dummy hash when there is nothing to check, so a failure
		// takes as long as a success.
		var ok bool
		if err := s.withHashSlot(c.ctx(), func() { ok = verifyPassword(stored, req.Password) }); err != nil {
			return err
		}
		if reason == "" && !ok {
			reason = "wrong password"
		}
	}
	if reason != "" {
		return s.loginFailed(c, email, u, reason)
	}

	var resp *forj.TokenResponse
	err = s.store.Update(c.ctx(), func(tx forj.Tx) error {
		// Re-read: the user may have changed between the check and now.
		cur, err := tx.GetUser(u.ID)
		if err != nil {
			return err
		}
		changes := map[string]any{"token": "", "tokenName": tokenName}
		if req.InviteCode != "" {
			if cur.Status != forj.UserInvited || cur.InviteHash != u.InviteHash {
				return errLoginFailed
			}
			cur.PasswordHash, cur.Status, cur.InviteHash, cur.InviteExpiresAt = newHash, forj.UserActive, "", nil
			if err := tx.UpdateUser(cur); err != nil {
				return err
			}
			changes["inviteAccepted"] = true
			changes["status"] = map[string]string{"from": forj.UserInvited, "to": forj.UserActive}
		} else if cur.Status != forj.UserActive || cur.PasswordHash != u.PasswordHash {
			return errLoginFailed
		}
		tok, secret, err := s.newPAT(tx, cur.ID, tokenName, nil)
		if err != nil {
			return err
		}
		changes["token"] = tok.Prefix
		c.user = cur
		ev := c.event("auth.login", "", "token", tok.ID, changes)
		if err := tx.AppendAudit(ev); err != nil {
			return err
		}
		resp = &forj.TokenResponse{Token: *tok, Secret: secret, User: cur}
		return nil
	})
	if errors.Is(err, errLoginFailed) {
		return s.loginFailed(c, email, u, "user changed during login")
	}
	if err != nil {
		return err
	}
	return c.s.writeJSON(c.w, http.StatusCreated, resp)
}

// loginFailed audits a failed login with the email tried (never the password or code).
func (s *Server) loginFailed(c *call, email string, u *forj.User, reason string) error {
	ev := c.event("auth.login_failed", "", "", "", map[string]string{"reason": reason})
	ev.ActorEmail = email
	ev.Result = forj.ResultFailure
	if u != nil {
		ev.TargetType, ev.TargetID = "user", u.ID
	}
	s.appendAudit(c.ctx(), ev)
	return errLoginFailed
}

// newPAT creates a personal access token and returns it with the whole token string.
func (s *Server) newPAT(tx forj.Tx, userID, name string, expires *time.Time) (*forj.Token, string, error) {
	id, secret := forj.NewID(forj.PrefixToken), forj.NewTokenSecret()
	t := &forj.Token{
		ID: id, Kind: forj.TokenPAT, Name: name, UserID: userID, Scopes: []string{},
		Prefix: forj.TokenDisplayPrefix(forj.TokenPAT, id), ExpiresAt: expires,
		SecretHash: HashSecret(s.pepper, secret),
	}
	if err := tx.CreateToken(t); err != nil {
		return nil, "", err
	}
	return t, forj.FormatToken(forj.TokenPAT, id, secret), nil
}

// me answers who the caller is, its token, and what it may do in each of its workspaces.
// The owner's global permissions cover every workspace; its memberships list only the
// workspaces it was added to (normally none). An API key sees only its own workspace.
func (s *Server) me(c *call) error {
	resp := forj.MeResponse{User: *c.user, Token: *c.token, Memberships: []forj.MeMembership{}, Global: c.subj.GlobalPermissions()}
	var ids []string
	for _, m := range c.members {
		if c.subj.CanSee(m.WorkspaceID) {
			ids = append(ids, m.WorkspaceID)
		}
	}
	if k := c.subj.Key; k != nil && len(ids) == 0 && c.subj.CanSee(k.WorkspaceID) {
		ids = append(ids, k.WorkspaceID) // an owner's key: no membership, but the workspace is its
	}
	if len(ids) > 0 {
		err := s.store.View(c.ctx(), func(tx forj.Tx) error {
			cursor := ""
			for {
				ws, next, err := tx.ListWorkspaces(forj.WorkspaceFilter{IDs: ids, Cursor: cursor, Limit: forj.MaxLimit})
				if err != nil {
					return err
				}
				for _, w := range ws {
					resp.Memberships = append(resp.Memberships, forj.MeMembership{
						WorkspaceID: w.ID, WorkspaceName: w.Name, Role: c.roleIn(w.ID), Permissions: nonNil(c.subj.Permissions(w.ID)),
					})
				}
				if next == "" {
					return nil
				}
				cursor = next
			}
		})
		if err != nil {
			return err
		}
	}
	return c.s.writeJSON(c.w, http.StatusOK, resp)
}

// switchWorkspace answers the workspace and the caller's role and permissions in it; it
// changes nothing on the server (the CLI keeps the active workspace).
func (s *Server) switchWorkspace(c *call) error {
	var req forj.SwitchWorkspaceRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	if req.WorkspaceID == "" {
		return forj.Errorf(forj.EInvalid, "workspaceId is required")
	}
	if err := c.authorizeWorkspace(req.WorkspaceID); err != nil {
		return err
	}
	return c.mutate(http.StatusOK, func(tx forj.Tx) (any, error) {
		w, err := tx.GetWorkspace(req.WorkspaceID)
		if forj.IsNotFound(err) {
			return nil, errWorkspaceNotFound(req.WorkspaceID)
		}
		if err != nil {
			return nil, err
		}
		return &forj.SwitchWorkspaceResponse{Workspace: *w, Role: c.roleIn(w.ID), Permissions: nonNil(c.subj.Permissions(w.ID))}, nil
	})
}

func (s *Server) listTokens(c *call) error {
	var toks []forj.Token
	err := s.store.View(c.ctx(), func(tx forj.Tx) error {
		var err error
		toks, err = tx.ListTokens(forj.TokenFilter{Kind: forj.TokenPAT, UserID: c.user.ID})
		return err
	})
	if err != nil {
		return err
	}
	return c.s.writeJSON(c.w, http.StatusOK, forj.List[forj.Token]{Data: nonNil(toks)})
}

func (s *Server) createToken(c *call) error {
	var req forj.CreateTokenRequest
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
	var expires *time.Time
	if d > 0 {
		t := s.now().Add(d).UTC().Truncate(time.Second)
		expires = &t
	}
	return c.mutate(http.StatusCreated, func(tx forj.Tx) (any, error) {
		tok, secret, err := s.newPAT(tx, c.user.ID, req.Name, expires)
		if err != nil {
			return nil, err
		}
		changes := map[string]any{"name": tok.Name, "kind": tok.Kind, "token": tok.Prefix}
		if expires != nil {
			changes["expiresAt"] = expires
		}
		if err := tx.AppendAudit(c.event("token.create", "", "token", tok.ID, changes)); err != nil {
			return nil, err
		}
		return &forj.TokenResponse{Token: *tok, Secret: secret}, nil
	})
}

// revokeToken revokes one of the caller's own personal access tokens; "current" is the
// calling token (logout). Someone else's token, or an API key, is not found.
func (s *Server) revokeToken(c *call) error {
	id := c.r.PathValue("tokenId")
	if id == "current" {
		id = c.token.ID
	}
	err := c.mutate(http.StatusNoContent, func(tx forj.Tx) (any, error) {
		tok, err := tx.GetToken(id)
		if forj.IsNotFound(err) || err == nil && (tok.UserID != c.user.ID || tok.Kind != forj.TokenPAT) {
			return nil, forj.Errorf(forj.ENotFound, "token %q not found", id).WithHint("list your tokens with: forjctl auth token list")
		}
		if err != nil {
			return nil, err
		}
		now := tx.Now()
		if tok.RevokedAt != nil && !now.Before(*tok.RevokedAt) {
			return nil, nil // already revoked: nothing to do
		}
		if err := tx.RevokeToken(id, now); err != nil {
			return nil, err
		}
		return nil, tx.AppendAudit(c.event("token.revoke", "", "token", id, map[string]string{"token": tok.Prefix, "name": tok.Name}))
	})
	if err == nil {
		s.forget(id)
	}
	return err
}

func (s *Server) listPermissions(c *call) error {
	return c.s.writeJSON(c.w, http.StatusOK, forj.List[forj.Permission]{Data: authz.Catalog()})
}

// nonNil makes a nil slice encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
