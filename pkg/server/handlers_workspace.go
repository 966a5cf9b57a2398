package server

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/forjinn/forjctl/pkg/authz"
	"github.com/forjinn/forjctl/pkg/forj"
)

// Membership rules (the access matrix covers who may call; these cover what they may do):
//   - The owner is never a member: it already holds every permission in every workspace,
//     so adding it is invalid, and no membership route can remove, demote or disable it.
//     Creating a workspace does not add the owner either.
//   - Nobody changes their own membership (remove-user or set-role on themselves is
//     forbidden): another admin or the owner does it, so an admin cannot lock a workspace
//     out of its last admin by accident.
//   - add-user of an existing member is a conflict (use set-role); remove-user or set-role
//     of a non-member is not found.
//   - A role must be built-in or an existing custom role.

const (
	maxDescription = 1024
	maxLabel       = 64
)

func validateWorkspaceFields(description, color, icon, environment *string) error {
	checks := []struct {
		field     string
		v         *string
		max       int
		multiline bool
	}{
		{"description", description, maxDescription, true},
		{"color", color, maxLabel, false},
		{"icon", icon, maxLabel, false},
		{"environment", environment, maxLabel, false},
	}
	for _, ch := range checks {
		if ch.v == nil {
			continue
		}
		if err := validateText(ch.field, *ch.v, ch.max, ch.multiline); err != nil {
			return err
		}
	}
	return nil
}

func nameTaken(err error, name string) error {
	if forj.IsConflict(err) {
		return forj.Errorf(forj.EConflict, "a workspace named %q already exists", name).
			WithHint("choose another name")
	}
	return err
}

func (s *Server) createWorkspace(c *call) error {
	var req forj.CreateWorkspaceRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	if err := forj.ValidateWorkspaceName(req.Name); err != nil {
		return err
	}
	if err := validateWorkspaceFields(&req.Description, &req.Color, &req.Icon, &req.Environment); err != nil {
		return err
	}
	return c.mutate(http.StatusCreated, func(tx forj.Tx) (any, error) {
		w := &forj.Workspace{
			Name: req.Name, Description: req.Description, Color: req.Color, Icon: req.Icon,
			Environment: req.Environment, CreatedBy: c.user.ID, UpdatedBy: c.user.ID,
		}
		if err := tx.CreateWorkspace(w); err != nil {
			return nil, nameTaken(err, req.Name)
		}
		changes := map[string]string{"name": w.Name, "description": w.Description, "color": w.Color, "icon": w.Icon, "environment": w.Environment}
		if err := tx.AppendAudit(c.event("workspace.create", w.ID, "workspace", w.ID, changes)); err != nil {
			return nil, err
		}
		c.w.Header().Set("ETag", etag(w.Version))
		c.w.Header().Set("Location", "/api/v1/workspace/"+w.ID)
		return w, nil
	})
}

// listWorkspaces lists what the caller may read (workspace.read): every workspace for the
// owner, its memberships for anyone else, its one workspace for an API key. ?name= is an
// exact match used by the CLI to resolve names (zero or one result).
func (s *Server) listWorkspaces(c *call) error {
	lq, err := pageQuery(c.r)
	if err != nil {
		return err
	}
	ids, all := c.visibleWorkspaces(authz.WorkspaceRead)
	resp := forj.List[forj.Workspace]{Data: []forj.Workspace{}}
	q := c.r.URL.Query()
	if q.Has("name") {
		name := q.Get("name")
		err := s.store.View(c.ctx(), func(tx forj.Tx) error {
			w, err := tx.GetWorkspaceByName(name)
			if forj.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			if all || slices.Contains(ids, w.ID) {
				resp.Data = append(resp.Data, *w)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return c.s.writeJSON(c.w, http.StatusOK, resp)
	}
	if !all && len(ids) == 0 {
		return c.s.writeJSON(c.w, http.StatusOK, resp)
	}
	var ws []forj.Workspace
	var next string
	err = s.store.View(c.ctx(), func(tx forj.Tx) error {
		ws, next, err = tx.ListWorkspaces(forj.WorkspaceFilter{IDs: ids, Cursor: lq.cursor, Limit: lq.limit})
		return err
	})
	if err != nil {
		return err
	}
	c.s.enc.writeWorkspaces(c.w, ws, next)
	return nil
}

func (s *Server) getWorkspace(c *call) error {
	id := c.r.PathValue("id")
	var w *forj.Workspace
	err := s.store.View(c.ctx(), func(tx forj.Tx) error {
		var err error
		w, err = tx.GetWorkspace(id)
		return err
	})
	if forj.IsNotFound(err) {
		return errWorkspaceNotFound(id)
	}
	if err != nil {
		return err
	}
	c.w.Header().Set("ETag", etag(w.Version))
	return c.s.writeJSON(c.w, http.StatusOK, w)
}

// updateWorkspace applies the fields present in the body. If-Match (the ETag of GET)
// guards against lost updates: a mismatch is 412 with code conflict.
func (s *Server) updateWorkspace(c *call) error {
	id := c.r.PathValue("id")
	var req forj.UpdateWorkspaceRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	if req.Name != nil {
		if err := forj.ValidateWorkspaceName(*req.Name); err != nil {
			return err
		}
	}
	if err := validateWorkspaceFields(req.Description, req.Color, req.Icon, req.Environment); err != nil {
		return err
	}
	if _, err := ifMatch(c.r.Header.Get("If-Match"), 0); err != nil {
		return err // malformed header: reject before touching the store
	}
	return c.mutate(http.StatusOK, func(tx forj.Tx) (any, error) {
		w, err := tx.GetWorkspace(id)
		if forj.IsNotFound(err) {
			return nil, errWorkspaceNotFound(id)
		}
		if err != nil {
			return nil, err
		}
		if ok, _ := ifMatch(c.r.Header.Get("If-Match"), w.Version); !ok {
			return nil, &statusError{status: http.StatusPreconditionFailed, err: forj.Errorf(forj.EConflict,
				"workspace %q changed since you read it (version is now %d)", w.Name, w.Version).
				WithHint("get the workspace again and retry with its ETag")}
		}
		changes := map[string]map[string]string{}
		set := func(field string, dst *string, v *string) {
			if v != nil && *v != *dst {
				changes[field] = map[string]string{"from": *dst, "to": *v}
				*dst = *v
			}
		}
		set("name", &w.Name, req.Name)
		set("description", &w.Description, req.Description)
		set("color", &w.Color, req.Color)
		set("icon", &w.Icon, req.Icon)
		set("environment", &w.Environment, req.Environment)
		if len(changes) > 0 {
			w.UpdatedBy = c.user.ID
			if err := tx.UpdateWorkspace(w); err != nil {
				if forj.IsConflict(err) && req.Name != nil {
					if other, gerr := tx.GetWorkspaceByName(*req.Name); gerr == nil && other.ID != w.ID {
						return nil, nameTaken(err, *req.Name)
					}
				}
				return nil, err
			}
			if err := tx.AppendAudit(c.event("workspace.update", w.ID, "workspace", w.ID, changes)); err != nil {
				return nil, err
			}
		}
		c.w.Header().Set("ETag", etag(w.Version))
		return w, nil
	})
}

func (s *Server) deleteWorkspace(c *call) error {
	id := c.r.PathValue("id")
	return c.mutate(http.StatusNoContent, func(tx forj.Tx) (any, error) {
		w, err := tx.GetWorkspace(id)
		if forj.IsNotFound(err) {
			return nil, errWorkspaceNotFound(id)
		}
		if err != nil {
			return nil, err
		}
		if err := tx.DeleteWorkspace(id); err != nil {
			return nil, err
		}
		return nil, tx.AppendAudit(c.event("workspace.delete", id, "workspace", id, map[string]string{"name": w.Name}))
	})
}

// checkRole accepts a built-in role or an existing custom role; anything else is invalid,
// with the roles that exist in the hint.
func checkRole(tx forj.Tx, name string) error {
	if name == "" {
		return forj.Errorf(forj.EInvalid, "role is required").WithHint("roles: %s", strings.Join(roleNames(tx), ", "))
	}
	if _, ok := authz.Builtin(name); ok {
		return nil
	}
	_, err := tx.GetRole(name)
	if forj.IsNotFound(err) {
		return forj.Errorf(forj.EInvalid, "unknown role %q", name).WithHint("roles: %s", strings.Join(roleNames(tx), ", "))
	}
	return err
}

func roleNames(tx forj.Tx) []string {
	var names []string
	for _, r := range authz.BuiltinRoles() {
		names = append(names, r.Name)
	}
	if custom, err := tx.ListRoles(); err == nil {
		for _, r := range custom {
			names = append(names, r.Name)
		}
	}
	return names
}

// resolveUser finds the user a membership request names by userId or email (exactly one).
func resolveUser(tx forj.Tx, userID, email string) (*forj.User, error) {
	switch {
	case userID != "" && email != "":
		return nil, forj.Errorf(forj.EInvalid, "give userId or email, not both")
	case userID != "":
		u, err := tx.GetUser(userID)
		if forj.IsNotFound(err) {
			return nil, forj.Errorf(forj.ENotFound, "user %q not found", userID)
		}
		return u, err
	case email != "":
		e, err := forj.NormalizeEmail(email)
		if err != nil {
			return nil, err
		}
		u, err := tx.GetUserByEmail(e)
		if forj.IsNotFound(err) {
			return nil, forj.Errorf(forj.ENotFound, "user %q not found", e)
		}
		return u, err
	}
	return nil, forj.Errorf(forj.EInvalid, "userId or email is required")
}

// addUser adds a member; an unknown email creates an invited user with a one-time invite
// code (returned once, stored only as an HMAC, valid for 7 days).
func (s *Server) addUser(c *call) error {
	wsID := c.r.PathValue("id")
	var req forj.AddUserRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	if req.UserID == "" && req.Email == "" {
		return forj.Errorf(forj.EInvalid, "userId or email is required")
	}
	if req.UserID != "" && req.Email != "" {
		return forj.Errorf(forj.EInvalid, "give userId or email, not both")
	}
	if req.Email != "" {
		if _, err := forj.NormalizeEmail(req.Email); err != nil {
			return err
		}
	}
	return c.mutate(http.StatusCreated, func(tx forj.Tx) (any, error) {
		if err := checkRole(tx, req.Role); err != nil {
			return nil, err
		}
		resp := &forj.AddUserResponse{}
		u, err := resolveUser(tx, req.UserID, req.Email)
		if forj.IsNotFound(err) && req.Email != "" {
			u, resp.InviteCode, err = s.invite(c, tx, req.Email, "")
			resp.Invited = err == nil
		}
		if err != nil {
			return nil, err
		}
		if u.GlobalRole == forj.GlobalOwner {
			return nil, forj.Errorf(forj.EInvalid, "%s is the owner and already holds every permission in every workspace", u.Email)
		}
		m, err := tx.AddMember(wsID, u.ID, req.Role)
		if forj.IsConflict(err) {
			return nil, forj.Errorf(forj.EConflict, "%s is already a member of this workspace", u.Email).
				WithHint("change the role with: forjctl user set-role %s %s", u.Email, req.Role)
		}
		if err != nil {
			return nil, err
		}
		if err := tx.AppendAudit(c.event("member.add", wsID, "user", u.ID, map[string]string{"email": u.Email, "role": m.Role})); err != nil {
			return nil, err
		}
		resp.Member = *m
		return resp, nil
	})
}

// invite creates an invited user with a fresh invite code, audited as user.invite.
func (s *Server) invite(c *call, tx forj.Tx, email, name string) (*forj.User, string, error) {
	e, err := forj.NormalizeEmail(email)
	if err != nil {
		return nil, "", err
	}
	code := forj.RandomString(20)
	exp := s.now().Add(inviteTTL).UTC().Truncate(time.Second)
	u := &forj.User{
		Email: e, Name: name, Status: forj.UserInvited, GlobalRole: forj.GlobalMember,
		InviteHash: HashSecret(s.pepper, code), InviteExpiresAt: &exp,
	}
	if err := tx.CreateUser(u); err != nil {
		return nil, "", err
	}
	if err := tx.AppendAudit(c.event("user.invite", c.r.PathValue("id"), "user", u.ID, map[string]any{"email": e, "inviteExpiresAt": exp})); err != nil {
		return nil, "", err
	}
	return u, code, nil
}

func (s *Server) removeUser(c *call) error {
	wsID := c.r.PathValue("id")
	var req forj.RemoveUserRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	return c.mutate(http.StatusOK, func(tx forj.Tx) (any, error) {
		u, err := resolveUser(tx, req.UserID, req.Email)
		if err != nil {
			return nil, err
		}
		m, err := memberOf(tx, wsID, u)
		if err != nil {
			return nil, err
		}
		if u.ID == c.user.ID {
			return nil, forj.Errorf(forj.EForbidden, "you cannot remove yourself from a workspace").
				WithHint("ask another workspace admin or the owner")
		}
		if err := tx.RemoveMember(wsID, u.ID); err != nil {
			return nil, err
		}
		if err := tx.AppendAudit(c.event("member.remove", wsID, "user", u.ID, map[string]string{"email": u.Email, "role": m.Role})); err != nil {
			return nil, err
		}
		return m, nil
	})
}

func memberOf(tx forj.Tx, wsID string, u *forj.User) (*forj.Member, error) {
	m, err := tx.GetMember(wsID, u.ID)
	if forj.IsNotFound(err) {
		return nil, forj.Errorf(forj.ENotFound, "%s is not a member of this workspace", u.Email).
			WithHint("list the members with: forjctl user list")
	}
	return m, err
}

func (s *Server) listMembers(c *call) error {
	wsID := c.r.PathValue("id")
	lq, err := pageQuery(c.r)
	if err != nil {
		return err
	}
	resp := forj.List[forj.Member]{Data: []forj.Member{}}
	q := c.r.URL.Query()
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
			if err != nil {
				return err
			}
			m, err := tx.GetMember(wsID, u.ID)
			if forj.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			resp.Data = append(resp.Data, *m)
			return nil
		})
		if err != nil {
			return err
		}
		return c.s.writeJSON(c.w, http.StatusOK, resp)
	}
	err = s.store.View(c.ctx(), func(tx forj.Tx) error {
		ms, next, err := tx.ListMembers(forj.MemberFilter{WorkspaceID: wsID, Cursor: lq.cursor, Limit: lq.limit})
		resp.Data, resp.NextCursor = nonNil(ms), next
		return err
	})
	if err != nil {
		return err
	}
	return c.s.writeJSON(c.w, http.StatusOK, resp)
}

func (s *Server) setMemberRole(c *call) error {
	wsID, userID := c.r.PathValue("id"), c.r.PathValue("userId")
	var req forj.SetMemberRoleRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	return c.mutate(http.StatusOK, func(tx forj.Tx) (any, error) {
		if err := checkRole(tx, req.Role); err != nil {
			return nil, err
		}
		u, err := resolveUser(tx, userID, "")
		if err != nil {
			return nil, err
		}
		m, err := memberOf(tx, wsID, u)
		if err != nil {
			return nil, err
		}
		if u.ID == c.user.ID {
			return nil, forj.Errorf(forj.EForbidden, "you cannot change your own role").
				WithHint("ask another workspace admin or the owner")
		}
		if m.Role == req.Role {
			return m, nil
		}
		from := m.Role
		if m, err = tx.SetMemberRole(wsID, u.ID, req.Role); err != nil {
			return nil, err
		}
		if err := tx.AppendAudit(c.event("member.role_change", wsID, "user", u.ID, map[string]any{
			"email": u.Email, "role": map[string]string{"from": from, "to": req.Role},
		})); err != nil {
			return nil, err
		}
		return m, nil
	})
}
