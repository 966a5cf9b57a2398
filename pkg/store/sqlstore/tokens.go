package sqlstore

import (
	"database/sql"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

const tokenCols = `id, kind, name, user_id, workspace_id, scopes, prefix, secret_hash,
	created_at, expires_at, last_used_at, revoked_at`

func scanToken(s scanner) (forj.Token, error) {
	var k forj.Token
	var ws sql.NullString
	var scopes string
	var created int64
	var expires, used, revoked sql.NullInt64
	if err := s.Scan(&k.ID, &k.Kind, &k.Name, &k.UserID, &ws, &scopes, &k.Prefix, &k.SecretHash,
		&created, &expires, &used, &revoked); err != nil {
		return k, err
	}
	k.WorkspaceID = ws.String
	k.CreatedAt = fromNanos(created)
	k.ExpiresAt, k.LastUsedAt, k.RevokedAt = fromNullNanos(expires), fromNullNanos(used), fromNullNanos(revoked)
	var err error
	k.Scopes, err = fromJSONList(scopes)
	return k, err
}

func (t *Tx) CreateToken(k *forj.Token) error {
	if k.ID == "" {
		k.ID = forj.NewID(forj.PrefixToken)
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = t.now
	}
	_, err := t.x.ExecGuarded(`INSERT INTO tokens (`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Kind, k.Name, k.UserID, nullString(k.WorkspaceID), jsonList(k.Scopes), k.Prefix, k.SecretHash,
		nanos(k.CreatedAt), nullNanos(k.ExpiresAt), nullNanos(k.LastUsedAt), nullNanos(k.RevokedAt))
	switch {
	case err == nil:
		return nil
	case t.d.ForeignKeyViolation(err):
		if k.WorkspaceID != "" {
			if ok, err := t.exists(`SELECT 1 FROM workspaces WHERE id = ?`, k.WorkspaceID); err != nil {
				return t.internal("create token", err)
			} else if !ok {
				return forj.Errorf(forj.ENotFound, "workspace %s not found", k.WorkspaceID)
			}
		}
		return forj.Errorf(forj.ENotFound, "user %s not found", k.UserID)
	}
	if _, ok := t.d.UniqueViolation(err); ok {
		return forj.Errorf(forj.EConflict, "token %s already exists", k.ID)
	}
	return t.internal("create token", err)
}

func (t *Tx) GetToken(id string) (*forj.Token, error) {
	k, err := scanToken(t.x.QueryRow(`SELECT `+tokenCols+` FROM tokens WHERE id = ?`, id))
	if t.d.NoRows(err) {
		return nil, forj.Errorf(forj.ENotFound, "token %s not found", id)
	}
	if err != nil {
		return nil, t.internal("get token", err)
	}
	return &k, nil
}

// ListTokens returns tokens newest first. Without IncludeRevoked it leaves out tokens whose
// revocation time has come; a token revoked in the future (a rotation's grace period) is
// still listed.
func (t *Tx) ListTokens(f forj.TokenFilter) ([]forj.Token, error) {
	var w where
	if f.Kind != "" {
		w.add("kind = ?", f.Kind)
	}
	if f.UserID != "" {
		w.add("user_id = ?", f.UserID)
	}
	if f.WorkspaceID != "" {
		w.add("workspace_id = ?", f.WorkspaceID)
	}
	if !f.IncludeRevoked {
		w.add("(revoked_at IS NULL OR revoked_at > ?)", nanos(t.now))
	}
	ks, err := scanAll(t, scanToken, `SELECT `+tokenCols+` FROM tokens`+w.String()+` ORDER BY created_at DESC, id DESC`, w.args...)
	if err != nil {
		return nil, t.internal("list tokens", err)
	}
	return ks, nil
}

// RevokeToken sets the revocation time; a revocation only ever moves earlier, so revoking
// a token inside its rotation grace period takes effect at once.
func (t *Tx) RevokeToken(id string, at time.Time) error {
	n, err := t.x.Exec(`UPDATE tokens SET revoked_at = CASE
		WHEN revoked_at IS NULL OR revoked_at > ? THEN ? ELSE revoked_at END WHERE id = ?`, nanos(at), nanos(at), id)
	if err != nil {
		return t.internal("revoke token", err)
	}
	if n == 0 {
		return forj.Errorf(forj.ENotFound, "token %s not found", id)
	}
	return t.bumpAuth()
}

// TouchToken records a use; lastUsedAt never moves backwards.
func (t *Tx) TouchToken(id string, at time.Time) error {
	n, err := t.x.Exec(`UPDATE tokens SET last_used_at = CASE
		WHEN last_used_at IS NULL OR last_used_at < ? THEN ? ELSE last_used_at END WHERE id = ?`, nanos(at), nanos(at), id)
	if err != nil {
		return t.internal("touch token", err)
	}
	if n == 0 {
		return forj.Errorf(forj.ENotFound, "token %s not found", id)
	}
	return nil
}
