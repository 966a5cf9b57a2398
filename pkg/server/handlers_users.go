package server

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/forjinn/forjctl/pkg/authz"
	"github.com/forjinn/forjctl/pkg/forj"
)

func (s *Server) listUsers(c *call) error {
	lq, err := pageQuery(c.r)
	if err != nil {
		return err
	}
	q := c.r.URL.Query()
	status := q.Get("status")
	switch status {
	case "", forj.UserInvited, forj.UserActive, forj.UserDisabled:
	default:
		return forj.Errorf(forj.EInvalid, "status %q is not one of invited, active, disabled", status)
	}
	resp := forj.List[forj.User]{Data: []forj.User{}}
	if q.Has("email") {
		email, err := forj.NormalizeEmail(q.Get("email"))
		if err != nil {
			return err
		}
		err = s.store.View(c.ctx(), func(tx forj.Tx) error {
			u, err := tx.GetUserByEmail(email)
			if forj.IsNotFound(err) {
				return nil
			}
			if err == nil && (status == "" || u.Status == status) {
				resp.Data = append(resp.Data, *u)
			}
			return err
		})
		if err != nil {
			return err
		}
		return c.s.writeJSON(c.w, http.StatusOK, resp)
	}
	err = s.store.View(c.ctx(), func(tx forj.Tx) error {
		us, next, err := tx.ListUsers(forj.UserFilter{Status: status, Cursor: lq.cursor, Limit: lq.limit})
		resp.Data, resp.NextCursor = nonNil(us), next
		return err
	})
	if err != nil {
		return err
	}
	return c.s.writeJSON(c.w, http.StatusOK, resp)
}

// inviteUser invites a user without a workspace (owner). Inviting an email that is still
// invited issues a fresh code (the old one stops working), for lost codes; an active or
// disabled user is a conflict.
func (s *Server) inviteUser(c *call) error {
	var req forj.InviteUserRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	email, err := forj.NormalizeEmail(req.Email)
	if err != nil {
		return err
	}
	if err := validateText("name", req.Name, 128, false); err != nil {
		return err
	}
	return c.mutate(http.StatusCreated, func(tx forj.Tx) (any, error) {
		u, err := tx.GetUserByEmail(email)
		switch {
		case forj.IsNotFound(err):
			u, code, err := s.invite(c, tx, email, req.Name)
			if err != nil {
				return nil, err
			}
			return &forj.InviteUserResponse{User: *u, InviteCode: code}, nil
		case err != nil:
			return nil, err
		case u.Status != forj.UserInvited:
			return nil, forj.Errorf(forj.EConflict, "%s is already a user (%s)", email, u.Status).
				WithHint("add them to a workspace with: forjctl user add %s --role ROLE -w WORKSPACE", email)
		}
		code := forj.RandomString(20)
		exp := s.now().Add(inviteTTL).UTC().Truncate(time.Second)
		u.InviteHash, u.InviteExpiresAt = HashSecret(s.pepper, code), &exp
		if req.Name != "" {
			u.Name = req.Name
		}
		if err := tx.UpdateUser(u); err != nil {
			return nil, err
		}
		if err := tx.AppendAudit(c.event("user.invite", "", "user", u.ID, map[string]any{"email": email, "reissued": true, "inviteExpiresAt": exp})); err != nil {
			return nil, err
		}
		return &forj.InviteUserResponse{User: *u, InviteCode: code}, nil
	})
}

func (s *Server) getUser(c *call) error {
	id := c.r.PathValue("userId")
	var u *forj.User
	err := s.store.View(c.ctx(), func(tx forj.Tx) error {
		var err error
		u, err = resolveUser(tx, id, "")
		return err
	})
	if err != nil {
		return err
	}
	return c.s.writeJSON(c.w, http.StatusOK, u)
}

// disableUser stops a user at once: authentication checks the user's status on every
// request, so its tokens and keys stop working with the next request. The owner cannot be
// disabled.
func (s *Server) disableUser(c *call) error {
	return s.setUserStatus(c, "user.disable", func(u *forj.User) (string, error) {
		if u.GlobalRole == forj.GlobalOwner {
			return "", forj.Errorf(forj.EForbidden, "the owner cannot be disabled")
		}
		return forj.UserDisabled, nil
	})
}

// enableUser re-enables a disabled user: back to invited when it never set a password and
// still has an invite pending, else active.
func (s *Server) enableUser(c *call) error {
	return s.setUserStatus(c, "user.enable", func(u *forj.User) (string, error) {
		if u.Status != forj.UserDisabled {
			return u.Status, nil
		}
		if u.PasswordHash == "" && u.InviteHash != "" {
			return forj.UserInvited, nil
		}
		return forj.UserActive, nil
	})
}

func (s *Server) setUserStatus(c *call, action string, next func(*forj.User) (string, error)) error {
	id := c.r.PathValue("userId")
	if err := c.decodeEmpty(); err != nil {
		return err
	}
	return c.mutate(http.StatusOK, func(tx forj.Tx) (any, error) {
		u, err := resolveUser(tx, id, "")
		if err != nil {
			return nil, err
		}
		to, err := next(u)
		if err != nil || to == u.Status {
			return u, err
		}
		from := u.Status
		u.Status = to
		if err := tx.UpdateUser(u); err != nil {
			return nil, err
		}
		if err := tx.AppendAudit(c.event(action, "", "user", u.ID, map[string]any{
			"email": u.Email, "status": map[string]string{"from": from, "to": to},
		})); err != nil {
			return nil, err
		}
		return u, nil
	})
}

func (s *Server) listRoles(c *call) error {
	roles := authz.BuiltinRoles()
	err := s.store.View(c.ctx(), func(tx forj.Tx) error {
		custom, err := tx.ListRoles()
		for _, r := range custom {
			r.BuiltIn = false
			roles = append(roles, r)
		}
		return err
	})
	if err != nil {
		return err
	}
	return c.s.writeJSON(c.w, http.StatusOK, forj.List[forj.Role]{Data: roles})
}

func (s *Server) getRole(c *call) error {
	name := c.r.PathValue("name")
	if r, ok := authz.Builtin(name); ok {
		return c.s.writeJSON(c.w, http.StatusOK, r)
	}
	var r *forj.Role
	err := s.store.View(c.ctx(), func(tx forj.Tx) error {
		var err error
		r, err = tx.GetRole(name)
		return err
	})
	if forj.IsNotFound(err) {
		return errRoleNotFound(name)
	}
	if err != nil {
		return err
	}
	return c.s.writeJSON(c.w, http.StatusOK, r)
}

func errRoleNotFound(name string) *forj.Error {
	return forj.Errorf(forj.ENotFound, "role %q not found", name).WithHint("list the roles with: forjctl role list")
}

func (s *Server) createRole(c *call) error {
	var req forj.CreateRoleRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	if err := forj.ValidateRoleName(req.Name); err != nil {
		return err
	}
	if _, ok := authz.Builtin(req.Name); ok {
		return forj.Errorf(forj.EConflict, "role %q is built in", req.Name).WithHint("choose another name")
	}
	if err := validateText("description", req.Description, maxDescription, false); err != nil {
		return err
	}
	if err := authz.ValidateCustomPermissions(req.Permissions); err != nil {
		return err
	}
	perms := slices.Clone(req.Permissions)
	sort.Strings(perms)
	perms = slices.Compact(perms)
	return c.mutate(http.StatusCreated, func(tx forj.Tx) (any, error) {
		r := &forj.Role{Name: req.Name, Description: req.Description, Permissions: perms}
		if err := tx.CreateRole(r); err != nil {
			if forj.IsConflict(err) {
				return nil, forj.Errorf(forj.EConflict, "role %q already exists", req.Name).WithHint("choose another name")
			}
			return nil, err
		}
		if err := tx.AppendAudit(c.event("role.create", "", "role", r.Name, map[string]any{"name": r.Name, "permissions": perms})); err != nil {
			return nil, err
		}
		return r, nil
	})
}

func (s *Server) deleteRole(c *call) error {
	name := c.r.PathValue("name")
	if _, ok := authz.Builtin(name); ok {
		return forj.Errorf(forj.EInvalid, "built-in role %q cannot be deleted", name)
	}
	return c.mutate(http.StatusNoContent, func(tx forj.Tx) (any, error) {
		if _, err := tx.GetRole(name); forj.IsNotFound(err) {
			return nil, errRoleNotFound(name)
		} else if err != nil {
			return nil, err
		}
		if err := tx.DeleteRole(name); err != nil {
			if forj.IsConflict(err) {
				n, _ := tx.CountMembersWithRole(name)
				return nil, forj.Errorf(forj.EConflict, "role %q is in use by %s", name, plural(n, "membership")).
					WithHint("give those members another role first (forjctl user set-role)")
			}
			return nil, err
		}
		return nil, tx.AppendAudit(c.event("role.delete", "", "role", name, map[string]string{"name": name}))
	})
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
