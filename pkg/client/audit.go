package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

// AuditListOptions filter an audit trail. Events come newest first, or oldest first after
// After (a sequence number), which is how --follow polls.
type AuditListOptions struct {
	ListOptions
	Actor  string    // user id or email
	Action string    // prefix, e.g. "member."
	Since  time.Time // zero: no bound
	Until  time.Time // zero: no bound
	After  int64     // > 0: events with a larger sequence number, ascending
}

func (o AuditListOptions) query() url.Values {
	q := o.ListOptions.query()
	if o.Actor != "" {
		q.Set("actor", o.Actor)
	}
	if o.Action != "" {
		q.Set("action", o.Action)
	}
	if !o.Since.IsZero() {
		q.Set("since", o.Since.UTC().Format(time.RFC3339Nano))
	}
	if !o.Until.IsZero() {
		q.Set("until", o.Until.UTC().Format(time.RFC3339Nano))
	}
	if o.After > 0 {
		q.Set("after", strconv.FormatInt(o.After, 10))
	}
	return q
}

// auditPath is the trail of one workspace, or with workspaceID "" the trail across every
// workspace where the caller may read it.
func auditPath(workspaceID string) string {
	if workspaceID == "" {
		return "/api/v1/audit"
	}
	return workspacePath(workspaceID) + "/audit"
}

// ListAudit returns a page of a workspace's audit trail ("" for every workspace the caller
// may read the audit trail of).
func (c *Client) ListAudit(ctx context.Context, workspaceID string, opts AuditListOptions) (*forj.List[forj.AuditEvent], error) {
	return getList[forj.AuditEvent](ctx, c, auditPath(workspaceID), opts.query())
}

// ListAllAudit returns a page of the audit trail across every workspace where the caller
// may read it (the owner sees everything, events with no workspace included).
func (c *Client) ListAllAudit(ctx context.Context, opts AuditListOptions) (*forj.List[forj.AuditEvent], error) {
	return c.ListAudit(ctx, "", opts)
}

// AllAudit iterates over a workspace's audit trail ("" for every workspace, as ListAudit).
func (c *Client) AllAudit(ctx context.Context, workspaceID string, opts AuditListOptions) iter.Seq2[forj.AuditEvent, error] {
	return Iterate[forj.AuditEvent](ctx, c, auditPath(workspaceID), opts.query())
}
