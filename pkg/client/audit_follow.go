package client

import (
	"context"
	"iter"
	"strconv"

	"github.com/forjinn/forjctl/pkg/forj"
)

// AuditSince iterates, oldest first, over the events of a trail ("" for every workspace, as
// ListAudit) with a sequence number greater than after, following every page. Unlike
// AuditListOptions.After it also sends after=0, so that following a trail that has no
// matching event yet still asks for ascending order. opts.After is ignored.
func (c *Client) AuditSince(ctx context.Context, workspaceID string, opts AuditListOptions, after int64) iter.Seq2[forj.AuditEvent, error] {
	opts.After = 0
	q := opts.query()
	q.Set("after", strconv.FormatInt(max(after, 0), 10))
	return Iterate[forj.AuditEvent](ctx, c, auditPath(workspaceID), q)
}
