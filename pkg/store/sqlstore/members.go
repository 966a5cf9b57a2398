package sqlstore

import (
	"github.com/forjinn/forjctl/pkg/forj"
)

const memberSelect = `SELECT m.workspace_id, m.user_id, u.email, u.name, u.status, m.role,
	m.created_at, m.updated_at FROM members m JOIN users u ON u.id = m.user_id`

func scanMember(s scanner) (forj.Member, error) {
	var m forj.Member
	var created, updated int64
	err := s.Scan(&m.WorkspaceID, &m.UserID, &m.Email, &m.Name, &m.Status, &m.Role, &created, &updated)
	m.CreatedAt, m.UpdatedAt = fromNanos(created), fromNanos(updated)
	return m, err
}

func notMember(workspaceID, userID string) error {
	return forj.Errorf(forj.ENotFound, "user %s is not a member of workspace %s", userID, workspaceID)
}

func (t *Tx) AddMember(workspaceID, userID, role string) (*forj.Member, error) {
	now := nanos(t.now)
	_, err := t.x.ExecGuarded(`INSERT INTO members (workspace_id, user_id, role, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?)`, workspaceID, userID, role, now, now)
	switch {
	case err == nil:
	case t.d.ForeignKeyViolation(err):
		// Find out which one is missing, for a message that names it.
		if ok, err := t.exists(`SELECT 1 FROM workspaces WHERE id = ?`, workspaceID); err != nil {
			return nil, t.internal("add member", err)
		} else if !ok {
			return nil, forj.Errorf(forj.ENotFound, "workspace %s not found", workspaceID)
		}
		return nil, forj.Errorf(forj.ENotFound, "user %s not found", userID)
	default:
		if _, ok := t.d.UniqueViolation(err); ok {
			return nil, forj.Errorf(forj.EConflict, "user %s is already a member of workspace %s", userID, workspaceID)
		}
		return nil, t.internal("add member", err)
	}
	if err := t.bumpAuth(); err != nil {
		return nil, err
	}
	return t.GetMember(workspaceID, userID)
}

func (t *Tx) GetMember(workspaceID, userID string) (*forj.Member, error) {
	m, err := scanMember(t.x.QueryRow(memberSelect+` WHERE m.workspace_id = ? AND m.user_id = ?`, workspaceID, userID))
	if t.d.NoRows(err) {
		return nil, notMember(workspaceID, userID)
	}
	if err != nil {
		return nil, t.internal("get member", err)
	}
	return &m, nil
}

func (t *Tx) ListMembers(f forj.MemberFilter) ([]forj.Member, string, error) {
	after, err := forj.DecodeCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	if f.WorkspaceID == "" {
		// Emails are unique only within a workspace, so the cursor needs one.
		return nil, "", forj.Errorf(forj.EInvalid, "listing members needs a workspace id")
	}
	limit := pageLimit(f.Limit)
	var w where
	w.add("m.workspace_id = ?", f.WorkspaceID)
	if after != "" {
		w.add("u.email > ?", after)
	}
	ms, err := scanAll(t, scanMember, memberSelect+w.String()+` ORDER BY u.email LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return nil, "", t.internal("list members", err)
	}
	ms, next := page(ms, limit, func(m forj.Member) string { return m.Email })
	return ms, next, nil
}

// ListMemberships returns every membership of a user, sorted by workspace name.
func (t *Tx) ListMemberships(userID string) ([]forj.Member, error) {
	ms, err := scanAll(t, scanMember, memberSelect+` JOIN workspaces w ON w.id = m.workspace_id
		WHERE m.user_id = ? ORDER BY w.name`, userID)
	if err != nil {
		return nil, t.internal("list memberships", err)
	}
	return ms, nil
}

func (t *Tx) SetMemberRole(workspaceID, userID, role string) (*forj.Member, error) {
	n, err := t.x.Exec(`UPDATE members SET role = ?, updated_at = ? WHERE workspace_id = ? AND user_id = ?`,
		role, nanos(t.now), workspaceID, userID)
	if err != nil {
		return nil, t.internal("set member role", err)
	}
	if n == 0 {
		return nil, notMember(workspaceID, userID)
	}
	if err := t.bumpAuth(); err != nil {
		return nil, err
	}
	return t.GetMember(workspaceID, userID)
}

func (t *Tx) RemoveMember(workspaceID, userID string) error {
	n, err := t.x.Exec(`DELETE FROM members WHERE workspace_id = ? AND user_id = ?`, workspaceID, userID)
	if err != nil {
		return t.internal("remove member", err)
	}
	if n == 0 {
		return notMember(workspaceID, userID)
	}
	return t.bumpAuth()
}

func (t *Tx) CountMembersWithRole(role string) (int, error) {
	n, err := t.count(`SELECT count(*) FROM members WHERE role = ?`, role)
	if err != nil {
		return 0, t.internal("count members", err)
	}
	return n, nil
}
