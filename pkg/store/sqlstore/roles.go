package sqlstore

import (
	"github.com/forjinn/forjctl/pkg/forj"
)

const roleCols = `name, description, permissions, created_at`

func scanRole(s scanner) (forj.Role, error) {
	var r forj.Role
	var perms string
	var created int64
	if err := s.Scan(&r.Name, &r.Description, &perms, &created); err != nil {
		return r, err
	}
	c := fromNanos(created)
	r.CreatedAt = &c
	var err error
	r.Permissions, err = fromJSONList(perms)
	return r, err
}

// CreateRole stores a custom role; built-in roles are pkg/authz's, never stored.
func (t *Tx) CreateRole(r *forj.Role) error {
	if r.CreatedAt == nil {
		now := t.now
		r.CreatedAt = &now
	}
	r.BuiltIn = false
	_, err := t.x.ExecGuarded(`INSERT INTO roles (`+roleCols+`) VALUES (?, ?, ?, ?)`,
		r.Name, r.Description, jsonList(r.Permissions), nanos(*r.CreatedAt))
	if err != nil {
		if _, ok := t.d.UniqueViolation(err); ok {
			return forj.Errorf(forj.EConflict, "role %q already exists", r.Name)
		}
		return t.internal("create role", err)
	}
	return t.bumpAuth()
}

func (t *Tx) GetRole(name string) (*forj.Role, error) {
	r, err := scanRole(t.x.QueryRow(`SELECT `+roleCols+` FROM roles WHERE name = ?`, name))
	if t.d.NoRows(err) {
		return nil, forj.Errorf(forj.ENotFound, "role %q not found", name)
	}
	if err != nil {
		return nil, t.internal("get role", err)
	}
	return &r, nil
}

func (t *Tx) ListRoles() ([]forj.Role, error) {
	rs, err := scanAll(t, scanRole, `SELECT `+roleCols+` FROM roles ORDER BY name`)
	if err != nil {
		return nil, t.internal("list roles", err)
	}
	return rs, nil
}

func (t *Tx) DeleteRole(name string) error {
	if ok, err := t.exists(`SELECT 1 FROM roles WHERE name = ?`, name); err != nil {
		return t.internal("delete role", err)
	} else if !ok {
		return forj.Errorf(forj.ENotFound, "role %q not found", name)
	}
	n, err := t.CountMembersWithRole(name)
	if err != nil {
		return err
	}
	if n > 0 {
		return forj.Errorf(forj.EConflict, "role %q is in use by %d membership(s)", name, n).
			WithHint("give those members another role first")
	}
	if _, err := t.x.Exec(`DELETE FROM roles WHERE name = ?`, name); err != nil {
		return t.internal("delete role", err)
	}
	return t.bumpAuth()
}
