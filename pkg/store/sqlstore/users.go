package sqlstore

import (
	"database/sql"

	"github.com/forjinn/forjctl/pkg/forj"
)

const userCols = `id, email, name, status, global_role, password_hash, invite_hash,
	invite_expires_at, created_at, updated_at`

func scanUser(s scanner) (forj.User, error) {
	var u forj.User
	var invite sql.NullInt64
	var created, updated int64
	err := s.Scan(&u.ID, &u.Email, &u.Name, &u.Status, &u.GlobalRole, &u.PasswordHash, &u.InviteHash,
		&invite, &created, &updated)
	u.InviteExpiresAt = fromNullNanos(invite)
	u.CreatedAt, u.UpdatedAt = fromNanos(created), fromNanos(updated)
	return u, err
}

func (t *Tx) userConflict(err error, u *forj.User) error {
	if key, ok := t.d.UniqueViolation(err); ok {
		if key == "users(id)" {
			return forj.Errorf(forj.EConflict, "user %s already exists", u.ID)
		}
		return forj.Errorf(forj.EConflict, "a user with email %q already exists", u.Email)
	}
	return nil
}

func (t *Tx) CreateUser(u *forj.User) error {
	if u.ID == "" {
		u.ID = forj.NewID(forj.PrefixUser)
	}
	u.Email = normEmail(u.Email)
	if u.CreatedAt.IsZero() {
		u.CreatedAt = t.now
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	_, err := t.x.ExecGuarded(`INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.Name, u.Status, u.GlobalRole, u.PasswordHash, u.InviteHash,
		nullNanos(u.InviteExpiresAt), nanos(u.CreatedAt), nanos(u.UpdatedAt))
	if err != nil {
		if cerr := t.userConflict(err, u); cerr != nil {
			return cerr
		}
		return t.internal("create user", err)
	}
	return nil
}

func (t *Tx) getUser(what string, q string, arg string) (*forj.User, error) {
	u, err := scanUser(t.x.QueryRow(`SELECT `+userCols+` FROM users WHERE `+q, arg))
	if t.d.NoRows(err) {
		return nil, forj.Errorf(forj.ENotFound, "user %s not found", what)
	}
	if err != nil {
		return nil, t.internal("get user", err)
	}
	return &u, nil
}

func (t *Tx) GetUser(id string) (*forj.User, error) {
	return t.getUser(id, "id = ?", id)
}

func (t *Tx) GetUserByEmail(email string) (*forj.User, error) {
	e := normEmail(email)
	return t.getUser("with email "+quote(e), "email = ?", e)
}

func (t *Tx) ListUsers(f forj.UserFilter) ([]forj.User, string, error) {
	after, err := forj.DecodeCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := pageLimit(f.Limit)
	var w where
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if after != "" {
		w.add("email > ?", after)
	}
	users, err := scanAll(t, scanUser, `SELECT `+userCols+` FROM users`+w.String()+` ORDER BY email LIMIT ?`,
		append(w.args, limit+1)...)
	if err != nil {
		return nil, "", t.internal("list users", err)
	}
	users, next := page(users, limit, func(u forj.User) string { return u.Email })
	return users, next, nil
}

func (t *Tx) UpdateUser(u *forj.User) error {
	u.Email = normEmail(u.Email)
	now := t.now
	n, err := t.x.ExecGuarded(`UPDATE users SET email = ?, name = ?, status = ?, global_role = ?,
		password_hash = ?, invite_hash = ?, invite_expires_at = ?, updated_at = ? WHERE id = ?`,
		u.Email, u.Name, u.Status, u.GlobalRole, u.PasswordHash, u.InviteHash,
		nullNanos(u.InviteExpiresAt), nanos(now), u.ID)
	if err != nil {
		if cerr := t.userConflict(err, u); cerr != nil {
			return cerr
		}
		return t.internal("update user", err)
	}
	if n == 0 {
		return forj.Errorf(forj.ENotFound, "user %s not found", u.ID)
	}
	u.UpdatedAt = now
	return t.bumpAuth()
}

func (t *Tx) CountUsers() (int, error) {
	n, err := t.count(`SELECT count(*) FROM users`)
	if err != nil {
		return 0, t.internal("count users", err)
	}
	return n, nil
}
