package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/forjinn/forjctl/pkg/authz"
	"github.com/forjinn/forjctl/pkg/forj"
)

// call is one request on its way through a route: what the middleware resolved (the
// caller's token, user and authz.Subject) and the request body once read.
type call struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request
	route *route
	reqID string

	// Set by authentication; nil on public routes.
	token   *forj.Token
	user    *forj.User
	subj    *authz.Subject
	members []forj.Member // the user's memberships (role names by workspace)

	body     []byte
	bodyRead bool
	denied   bool // an access.denied event was written
}

func (c *call) ctx() context.Context { return c.r.Context() }

// serveRoute is the inner middleware: authentication and authorization from the route's
// declared access, then the handler; any error becomes the JSON error envelope.
func (s *Server) serveRoute(rt *route, w http.ResponseWriter, r *http.Request) {
	c := &call{s: s, w: w, r: r, route: rt}
	if st, ok := r.Context().Value(stateKey{}).(*requestState); ok {
		c.reqID = st.id
	}
	defer discard(r.Body)
	if err := s.authorizeRoute(c); err != nil {
		writeError(w, err)
		return
	}
	if err := rt.handle(s, c); err != nil {
		switch forj.ErrorCode(err) {
		case forj.EForbidden:
			if c.denied {
				break // authorization already audited it
			}
			// A rule of the handler refused (e.g. changing one's own role): audited like
			// any other denial.
			ev := c.event("access.denied", "", "route", rt.method+" "+rt.pattern, map[string]string{"reason": forj.ErrorMessage(err)})
			ev.Result = forj.ResultDenied
			if rt.access == workspace {
				ev.WorkspaceID = r.PathValue("id")
			}
			s.appendAudit(r.Context(), ev)
		case forj.EInternal:
			s.log.LogAttrs(r.Context(), slog.LevelError, "handler failed",
				slog.String("request_id", c.reqID), slog.String("route", rt.method+" "+rt.pattern),
				slog.String("error", forj.RedactTokens(err.Error())))
		}
		writeError(w, err)
	}
}

// authorizeRoute applies the route's declared access.
func (s *Server) authorizeRoute(c *call) error {
	rt := c.route
	if rt.access == public {
		return nil
	}
	if err := s.authenticate(c); err != nil {
		return err
	}
	switch rt.access {
	case authenticated, bodyWorkspace:
		// bodyWorkspace: the handler checks once it has decoded the workspace id.
		return nil
	case userOnly:
		if c.token.Kind != forj.TokenPAT {
			return c.deny(authz.Forbidden, "", forj.Errorf(forj.EForbidden, "API keys cannot use %s", rt.pattern).
				WithHint("use a personal access token (forjctl auth login)"))
		}
		return nil
	case global:
		if d := c.subj.DecideGlobal(rt.perm); d != authz.Allow {
			return c.deny(d, "", forj.Errorf(forj.EForbidden, "permission %s is required", rt.perm).
				WithHint("only the platform owner holds global permissions"))
		}
		return nil
	case workspace:
		return c.authorizeWorkspace(c.r.PathValue("id"))
	case apiKey:
		if c.token.Kind != forj.TokenKey {
			return c.deny(authz.Forbidden, "", forj.Errorf(forj.EUnauthenticated, "the token is not a workspace API key").
				WithHint("API keys start with forj_key_; create one with: forjctl key create NAME"))
		}
		return nil
	case keyWorkspace:
		if c.token.Kind != forj.TokenKey {
			return c.deny(authz.Forbidden, "", forj.Errorf(forj.EForbidden, "usage is reported with a workspace API key").
				WithHint("create one with: forjctl key create NAME, and send it as the bearer token"))
		}
		return c.authorizeWorkspace(c.token.WorkspaceID)
	}
	return forj.Errorf(forj.EInternal, "route %s has no access rule", rt.pattern)
}

// authorizeWorkspace checks the route's permission in a workspace: a workspace the caller
// cannot see is 404 whether or not it exists; a visible one without the permission is 403.
func (c *call) authorizeWorkspace(workspaceID string) error {
	switch c.subj.Decide(c.route.perm, workspaceID) {
	case authz.Allow:
		if _, member := c.subj.Workspaces[workspaceID]; member || !c.subj.Owner {
			return nil // a membership or an API key implies the workspace exists
		}
		// The owner is allowed in every workspace id, even one that does not exist: look.
		err := c.s.store.View(c.ctx(), func(tx forj.Tx) error {
			_, err := tx.GetWorkspace(workspaceID)
			return err
		})
		if forj.IsNotFound(err) {
			return errWorkspaceNotFound(workspaceID)
		}
		return err
	case authz.NotFound:
		return c.deny(authz.NotFound, workspaceID, errWorkspaceNotFound(workspaceID))
	default:
		return c.deny(authz.Forbidden, workspaceID, forj.Errorf(forj.EForbidden, "permission %s is required in workspace %s", c.route.perm, workspaceID).
			WithHint("ask a workspace admin for a role that includes %s", c.route.perm))
	}
}

func errWorkspaceNotFound(id string) *forj.Error {
	return forj.Errorf(forj.ENotFound, "workspace %q not found", id).
		WithHint("list the workspaces you can see with: forjctl workspace list")
}

// deny audits an authorization denial (access.denied) and returns err for the response.
// The workspace id goes into the event's workspace only when the caller can see the
// workspace (a 403), so the workspace's admins see it; a 404 keeps it as the target only,
// which never writes into a workspace that may not exist.
func (c *call) deny(d authz.Decision, workspaceID string, err error) error {
	ev := c.event("access.denied", "", "route", c.route.method+" "+c.route.pattern, map[string]any{
		"permission": c.route.perm,
		"access":     c.route.access.String(),
	})
	ev.Result = forj.ResultDenied
	if workspaceID != "" {
		ev.TargetType, ev.TargetID = "workspace", workspaceID
		if d == authz.Forbidden {
			ev.WorkspaceID = workspaceID
		}
	}
	c.s.appendAudit(c.ctx(), ev)
	c.denied = true
	return err
}

// appendAudit writes an event in its own transaction (denials and failed logins, which
// have no other change to ride along with). A failure is logged, not shown to the caller.
func (s *Server) appendAudit(ctx context.Context, ev *forj.AuditEvent) {
	err := s.store.Update(context.WithoutCancel(ctx), func(tx forj.Tx) error { return tx.AppendAudit(ev) })
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "audit write failed", slog.String("request_id", ev.RequestID),
			slog.String("action", ev.Action), slog.String("error", err.Error()))
	}
}

// event starts an audit event by the caller (anonymous before authentication).
func (c *call) event(action, workspaceID, targetType, targetID string, changes any) *forj.AuditEvent {
	ev := &forj.AuditEvent{
		ActorType:   forj.ActorAnonymous,
		WorkspaceID: workspaceID,
		Action:      action,
		TargetType:  targetType,
		TargetID:    targetID,
		Result:      forj.ResultSuccess,
		RequestID:   c.reqID,
		RemoteAddr:  remoteHost(c.r),
	}
	if c.user != nil {
		ev.ActorType, ev.ActorID, ev.ActorEmail = forj.ActorUser, c.user.ID, c.user.Email
		if c.token != nil && c.token.Kind == forj.TokenKey {
			ev.ActorType, ev.ActorID = forj.ActorKey, c.token.ID
		}
	}
	if changes != nil {
		if b, err := json.Marshal(changes); err == nil {
			ev.Changes = b
		}
	}
	return ev
}

// errBadToken is the one answer to every presented-but-unusable token: the reason goes to
// the audit trail, not to the caller.
var errBadToken = forj.Errorf(forj.EUnauthenticated, "the token is invalid, expired or revoked").
	WithHint("log in again with: forjctl auth login")

// authenticate resolves the bearer token into c.token, c.user, c.members and c.subj.
// Missing → 401; malformed, unknown, wrong secret, revoked, expired, or a user that is not
// active → 401 and an auth.token_rejected audit event.
func (s *Server) authenticate(c *call) error {
	h := c.r.Header.Get("Authorization")
	if h == "" {
		return forj.Errorf(forj.EUnauthenticated, "authentication required").
			WithHint("log in with: forjctl auth login, or set FORJ_TOKEN")
	}
	scheme, raw, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return s.rejectToken(c, "", "not a bearer token")
	}
	kind, id, secret, ok := forj.ParseToken(strings.TrimSpace(raw))
	if !ok {
		return s.rejectToken(c, "", "malformed token")
	}
	now := s.now()
	var reason string
	var e *authEntry
	err := s.store.View(c.ctx(), func(tx forj.Tx) error {
		gen, err := tx.AuthGeneration()
		if err != nil {
			return err
		}
		if e = s.auth.get(id, gen); e != nil {
			return nil
		}
		tok, err := tx.GetToken(id)
		if forj.IsNotFound(err) {
			reason = "unknown token"
			return nil
		}
		if err != nil {
			return err
		}
		// Only a token whose secret was shown is cached, so guessed ids fill nothing.
		if tok.Kind != kind || !secretMatches(s.pepper, secret, tok.SecretHash) {
			reason = "wrong secret"
			return nil
		}
		u, err := tx.GetUser(tok.UserID)
		if forj.IsNotFound(err) {
			reason = "user not found"
			return nil
		}
		if err != nil {
			return err
		}
		members, err := tx.ListMemberships(u.ID)
		if err != nil {
			return err
		}
		subj, err := buildSubject(tx, u, tok, members)
		if err != nil {
			return err
		}
		e = &authEntry{gen: gen, tok: tok, user: u, members: members, subj: subj}
		s.auth.put(e)
		return nil
	})
	if err != nil {
		return err
	}
	if reason == "" {
		reason = e.refusal(kind, secret, s.pepper, now)
	}
	if reason == "expired" && e.tok.Kind == forj.TokenKey {
		return s.rejectExpiredKey(c, e.tok)
	}
	if reason != "" {
		return s.rejectToken(c, id, reason)
	}
	c.token, c.user, c.members, c.subj = e.tok, e.user, e.members, e.subj
	s.touch(c.ctx(), c.token.ID, now)
	return nil
}

// refusal is why the presented token cannot be used now ("" when it can). Checked on every
// request, cached or not: the secret (constant time), and the revocation and expiry times
// against now, since a rotation grace period ends at a time, not at a change.
func (e *authEntry) refusal(kind, secret string, pepper []byte, now time.Time) string {
	tok := e.tok
	switch {
	case tok.Kind != kind || !secretMatches(pepper, secret, tok.SecretHash):
		return "wrong secret"
	case tok.RevokedAt != nil && !now.Before(*tok.RevokedAt):
		// A revocation time in the future is a rotation grace period.
		return "revoked"
	case tok.ExpiresAt != nil && !now.Before(*tok.ExpiresAt):
		return "expired"
	case tok.Kind == forj.TokenKey && tok.WorkspaceID == "":
		return "API key without a workspace"
	case e.user.Status != forj.UserActive:
		return "user is " + e.user.Status
	}
	return ""
}

// buildSubject resolves the user's memberships into permissions: built-in roles from
// pkg/authz, custom roles from the store. An API key narrows the subject to its workspace
// and scopes (intersected with the creator's permissions by authz.Subject).
func buildSubject(tx forj.Tx, u *forj.User, tok *forj.Token, members []forj.Member) (*authz.Subject, error) {
	subj := &authz.Subject{
		UserID:     u.ID,
		Owner:      u.GlobalRole == forj.GlobalOwner,
		Workspaces: make(map[string][]string, len(members)),
	}
	var custom map[string][]string
	for _, m := range members {
		if r, ok := authz.Builtin(m.Role); ok {
			subj.Workspaces[m.WorkspaceID] = r.Permissions
			continue
		}
		perms, ok := custom[m.Role]
		if !ok {
			r, err := tx.GetRole(m.Role)
			switch {
			case forj.IsNotFound(err):
				perms = []string{} // a vanished role grants nothing, but the member still sees the workspace
			case err != nil:
				return nil, err
			default:
				perms = r.Permissions
			}
			if custom == nil {
				custom = make(map[string][]string)
			}
			custom[m.Role] = perms
		}
		subj.Workspaces[m.WorkspaceID] = perms
	}
	if tok.Kind == forj.TokenKey {
		subj.Key = &authz.KeyLimit{WorkspaceID: tok.WorkspaceID, Scopes: slices.Clone(tok.Scopes)}
	}
	return subj, nil
}

// rejectToken audits a presented token that cannot be used and returns the generic 401.
func (s *Server) rejectToken(c *call, tokenID, reason string) error {
	ev := c.event("auth.token_rejected", "", "", "", map[string]string{"reason": reason})
	if tokenID != "" {
		ev.TargetType, ev.TargetID = "token", tokenID
	}
	ev.Result = forj.ResultDenied
	s.appendAudit(c.ctx(), ev)
	return errBadToken
}

// rejectExpiredKey audits the use of an expired API key (key.expired_use, in the key's
// workspace so its admins see it; the presenter held the right secret, so it is named as
// the actor) and returns the generic 401.
func (s *Server) rejectExpiredKey(c *call, tok *forj.Token) error {
	ev := c.event("key.expired_use", tok.WorkspaceID, "key", tok.ID, map[string]any{
		"name": tok.Name, "key": tok.Prefix, "expiresAt": tok.ExpiresAt,
	})
	ev.ActorType, ev.ActorID, ev.Result = forj.ActorKey, tok.ID, forj.ResultDenied
	s.appendAudit(c.ctx(), ev)
	return errBadToken
}

// touch records a token's use at most once per touchInterval, so authentication is a pure
// read for almost every request.
func (s *Server) touch(ctx context.Context, tokenID string, now time.Time) {
	s.touchMu.Lock()
	last, ok := s.touched[tokenID]
	if ok && now.Sub(last) < touchInterval && !now.Before(last) {
		s.touchMu.Unlock()
		return
	}
	s.touched[tokenID] = now
	if len(s.touched) > 10000 {
		for id, t := range s.touched {
			if now.Sub(t) >= touchInterval {
				delete(s.touched, id)
			}
		}
	}
	s.touchMu.Unlock()
	err := s.store.Update(context.WithoutCancel(ctx), func(tx forj.Tx) error { return tx.TouchToken(tokenID, now) })
	// The cached token still has the old lastUsedAt (shown by /auth/me and token lists):
	// reload it once.
	s.auth.drop(tokenID)
	if err != nil && !forj.IsNotFound(err) {
		s.log.LogAttrs(ctx, slog.LevelWarn, "token touch failed", slog.String("error", err.Error()))
	}
}

// forget drops a token from the touch cache (after revocation).
func (s *Server) forget(tokenID string) {
	s.touchMu.Lock()
	delete(s.touched, tokenID)
	s.touchMu.Unlock()
}

// HashSecret is hex(HMAC-SHA256(pepper, secret)) — the stored form of token secrets and
// invite codes.
func HashSecret(pepper []byte, secret string) string {
	m := hmac.New(sha256.New, pepper)
	m.Write([]byte(secret))
	return hex.EncodeToString(m.Sum(nil))
}

// secretMatches compares a presented secret with its stored hash in constant time.
func secretMatches(pepper []byte, secret, storedHash string) bool {
	return subtle.ConstantTimeCompare([]byte(HashSecret(pepper, secret)), []byte(storedHash)) == 1
}

// visibleWorkspaces lists the workspace ids where the caller holds perm, sorted; all is
// true for the owner acting with a personal token (every workspace, no list needed).
func (c *call) visibleWorkspaces(perm string) (ids []string, all bool) {
	if c.subj.Owner && c.subj.Key == nil {
		return nil, true
	}
	cand := make([]string, 0, len(c.subj.Workspaces)+1)
	for id := range c.subj.Workspaces {
		cand = append(cand, id)
	}
	if c.subj.Key != nil && !slices.Contains(cand, c.subj.Key.WorkspaceID) {
		cand = append(cand, c.subj.Key.WorkspaceID)
	}
	ids = []string{}
	for _, id := range cand {
		if c.subj.Decide(perm, id) == authz.Allow {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, false
}

// roleIn is the caller's role name in a workspace: its membership's role, "owner" for the
// owner without a membership, "" when none.
func (c *call) roleIn(workspaceID string) string {
	for _, m := range c.members {
		if m.WorkspaceID == workspaceID {
			return m.Role
		}
	}
	if c.subj.Owner {
		return forj.GlobalOwner
	}
	return ""
}
