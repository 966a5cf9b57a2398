package sqlstore

import (
	"strconv"

	"github.com/forjinn/forjctl/pkg/forj"
)

func quote(s string) string { return strconv.Quote(s) }

const workspaceCols = `id, name, description, color, icon, environment, version,
	created_by, updated_by, created_at, updated_at`

func scanWorkspace(s scanner) (forj.Workspace, error) {
	var w forj.Workspace
	var created, updated int64
	err := s.Scan(&w.ID, &w.Name, &w.Description, &w.Color, &w.Icon, &w.Environment, &w.Version,
		&w.CreatedBy, &w.UpdatedBy, &created, &updated)
	w.CreatedAt, w.UpdatedAt = fromNanos(created), fromNanos(updated)
	return w, err
}

// scanWorkspaces reads up to limit+1 workspaces. Unlike scanAll it reuses one set of scan
// destinations for every row, which saves three allocations a row on the hottest list.
func (t *Tx) scanWorkspaces(q string, limit int, args ...any) ([]forj.Workspace, error) {
	rows, err := t.x.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var w forj.Workspace
	var created, updated int64
	dest := []any{&w.ID, &w.Name, &w.Description, &w.Color, &w.Icon, &w.Environment, &w.Version,
		&w.CreatedBy, &w.UpdatedBy, &created, &updated}
	out := make([]forj.Workspace, 0, min(limit+1, 64))
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		w.CreatedAt, w.UpdatedAt = fromNanos(created), fromNanos(updated)
		out = append(out, w)
	}
	return out, rows.Err()
}

func (t *Tx) workspaceConflict(err error, w *forj.Workspace) error {
	if key, ok := t.d.UniqueViolation(err); ok {
		if key == "workspaces(id)" {
			return forj.Errorf(forj.EConflict, "workspace %s already exists", w.ID)
		}
		return forj.Errorf(forj.EConflict, "workspace named %q already exists", w.Name).
			WithHint("choose another name")
	}
	return nil
}

func (t *Tx) CreateWorkspace(w *forj.Workspace) error {
	if w.ID == "" {
		w.ID = forj.NewID(forj.PrefixWorkspace)
	}
	w.Version = 1
	if w.CreatedAt.IsZero() {
		w.CreatedAt = t.now
	}
	if w.UpdatedAt.IsZero() {
		w.UpdatedAt = w.CreatedAt
	}
	_, err := t.x.ExecGuarded(`INSERT INTO workspaces (`+workspaceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		w.ID, w.Name, w.Description, w.Color, w.Icon, w.Environment, w.Version,
		w.CreatedBy, w.UpdatedBy, nanos(w.CreatedAt), nanos(w.UpdatedAt))
	if err != nil {
		if cerr := t.workspaceConflict(err, w); cerr != nil {
			return cerr
		}
		return t.internal("create workspace", err)
	}
	return nil
}

func (t *Tx) getWorkspace(what, q, arg string) (*forj.Workspace, error) {
	w, err := scanWorkspace(t.x.QueryRow(`SELECT `+workspaceCols+` FROM workspaces WHERE `+q, arg))
	if t.d.NoRows(err) {
		return nil, forj.Errorf(forj.ENotFound, "workspace %s not found", what)
	}
	if err != nil {
		return nil, t.internal("get workspace", err)
	}
	return &w, nil
}

func (t *Tx) GetWorkspace(id string) (*forj.Workspace, error) {
	return t.getWorkspace(id, "id = ?", id)
}

func (t *Tx) GetWorkspaceByName(name string) (*forj.Workspace, error) {
	return t.getWorkspace("named "+quote(name), "name = ?", name)
}

func (t *Tx) ListWorkspaces(f forj.WorkspaceFilter) ([]forj.Workspace, string, error) {
	after, err := forj.DecodeCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	if f.IDs != nil && len(f.IDs) == 0 {
		return []forj.Workspace{}, "", nil // restricted to no workspace at all
	}
	limit := pageLimit(f.Limit)
	var w where
	if f.MemberID != "" {
		w.add("id IN (SELECT workspace_id FROM members WHERE user_id = ?)", f.MemberID)
	}
	if f.IDs != nil {
		t.in(&w, "id", f.IDs)
	}
	if after != "" {
		w.add("name > ?", after)
	}
	ws, err := t.scanWorkspaces(`SELECT `+workspaceCols+` FROM workspaces`+w.String()+` ORDER BY name LIMIT ?`,
		limit, append(w.args, limit+1)...)
	if err != nil {
		return nil, "", t.internal("list workspaces", err)
	}
	ws, next := page(ws, limit, func(w forj.Workspace) string { return w.Name })
	return ws, next, nil
}

func (t *Tx) UpdateWorkspace(w *forj.Workspace) error {
	now := t.now
	n, err := t.x.ExecGuarded(`UPDATE workspaces SET name = ?, description = ?, color = ?, icon = ?,
		environment = ?, updated_by = ?, version = version + 1, updated_at = ?
		WHERE id = ? AND version = ?`,
		w.Name, w.Description, w.Color, w.Icon, w.Environment, w.UpdatedBy, nanos(now), w.ID, w.Version)
	if err != nil {
		if cerr := t.workspaceConflict(err, w); cerr != nil {
			return cerr
		}
		return t.internal("update workspace", err)
	}
	if n == 0 {
		var current int64
		err := t.x.QueryRow(`SELECT version FROM workspaces WHERE id = ?`, w.ID).Scan(&current)
		if t.d.NoRows(err) {
			return forj.Errorf(forj.ENotFound, "workspace %s not found", w.ID)
		}
		if err != nil {
			return t.internal("update workspace", err)
		}
		return forj.Errorf(forj.EConflict, "workspace %s was changed by someone else (version %d, not %d)",
			w.ID, current, w.Version).WithHint("get the workspace again and retry")
	}
	w.Version++
	w.UpdatedAt = now
	return nil
}

// DeleteWorkspace removes the workspace; its memberships and workspace tokens go with it
// (ON DELETE CASCADE). Audit rows keep the id as plain text and stay.
func (t *Tx) DeleteWorkspace(id string) error {
	n, err := t.x.Exec(`DELETE FROM workspaces WHERE id = ?`, id)
	if err != nil {
		return t.internal("delete workspace", err)
	}
	if n == 0 {
		return forj.Errorf(forj.ENotFound, "workspace %s not found", id)
	}
	return t.bumpAuth()
}
