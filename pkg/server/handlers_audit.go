package server

import (
	"net/http"
	"strconv"

	"github.com/forjinn/forjctl/pkg/authz"
	"github.com/forjinn/forjctl/pkg/forj"
)

// listWorkspaceAudit lists one workspace's audit trail.
func (s *Server) listWorkspaceAudit(c *call) error {
	return s.listAuditIn(c, []string{c.r.PathValue("id")})
}

// listAudit lists events across the workspaces where the caller holds audit.read; the
// owner (with a personal token) sees everything, including events with no workspace.
func (s *Server) listAudit(c *call) error {
	ids, all := c.visibleWorkspaces(authz.AuditRead)
	if all {
		ids = nil
	} else if len(ids) == 0 {
		if _, err := auditFilter(c); err != nil {
			return err
		}
		return c.s.writeJSON(c.w, http.StatusOK, forj.List[forj.AuditEvent]{Data: []forj.AuditEvent{}})
	}
	return s.listAuditIn(c, ids)
}

// auditFilter reads ?actor= (user id, key id or email) ?action= (prefix) ?since= ?until=
// (RFC 3339) ?after= (sequence number: ascending, for follow) ?limit ?cursor.
func auditFilter(c *call) (forj.AuditFilter, error) {
	lq, err := pageQuery(c.r)
	if err != nil {
		return forj.AuditFilter{}, err
	}
	q := c.r.URL.Query()
	f := forj.AuditFilter{ActorID: q.Get("actor"), ActionPrefix: q.Get("action"), Cursor: lq.cursor, Limit: lq.limit}
	if f.Since, err = timeQuery(c.r, "since"); err != nil {
		return f, err
	}
	if f.Until, err = timeQuery(c.r, "until"); err != nil {
		return f, err
	}
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return f, forj.Errorf(forj.EInvalid, "after %q is not a sequence number", s)
		}
		f.AfterSeq, f.Ascending = n, true
	}
	return f, nil
}

func (s *Server) listAuditIn(c *call, workspaceIDs []string) error {
	f, err := auditFilter(c)
	if err != nil {
		return err
	}
	f.WorkspaceIDs = workspaceIDs
	resp := forj.List[forj.AuditEvent]{Data: []forj.AuditEvent{}}
	err = s.store.View(c.ctx(), func(tx forj.Tx) error {
		if actor := f.ActorID; actor != "" && !forj.HasPrefix(actor, forj.PrefixUser) && !forj.HasPrefix(actor, forj.PrefixToken) {
			email, err := forj.NormalizeEmail(actor)
			if err != nil {
				return forj.Errorf(forj.EInvalid, "actor %q is neither a user id, a key id nor an email", actor)
			}
			u, err := tx.GetUserByEmail(email)
			if forj.IsNotFound(err) {
				return nil // nobody by that email: no events
			}
			if err != nil {
				return err
			}
			f.ActorID = u.ID
		}
		evs, next, err := tx.ListAudit(f)
		resp.Data, resp.NextCursor = nonNil(evs), next
		return err
	})
	if err != nil {
		return err
	}
	return c.s.writeJSON(c.w, http.StatusOK, resp)
}
