package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

// UsageReportOptions select a usage report. Zero values leave the choice to the server
// (by workspace, every environment, the last 30 days, every workspace the caller may read).
type UsageReportOptions struct {
	By           string    // forj.UsageByWorkspace, UsageByAssistant or UsageByDay
	Env          string    // environment, e.g. "prod"
	Since        time.Time // inclusive
	Until        time.Time // exclusive
	WorkspaceIDs []string  // restrict to these workspaces
}

func (o UsageReportOptions) query() url.Values {
	q := url.Values{}
	if o.By != "" {
		q.Set("by", o.By)
	}
	if o.Env != "" {
		q.Set("env", o.Env)
	}
	if !o.Since.IsZero() {
		q.Set("since", o.Since.UTC().Format(time.RFC3339Nano))
	}
	if !o.Until.IsZero() {
		q.Set("until", o.Until.UTC().Format(time.RFC3339Nano))
	}
	for _, id := range o.WorkspaceIDs {
		q.Add("workspace", id)
	}
	return q
}

// IngestUsage sends a batch of usage events (at most 1,000); the client's token must be a
// workspace API key, which names the workspace.
func (c *Client) IngestUsage(ctx context.Context, req forj.UsageIngestRequest, opts ...RequestOption) (*forj.UsageIngestResponse, error) {
	var out forj.UsageIngestResponse
	if err := c.post(ctx, "/api/v1/usage", req, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// UsageReport aggregates usage over the workspaces where the caller may read it.
func (c *Client) UsageReport(ctx context.Context, opts UsageReportOptions) (*forj.UsageReport, error) {
	var out forj.UsageReport
	if err := c.Do(ctx, http.MethodGet, "/api/v1/usage/report", opts.query(), nil, &out); err != nil {
		return nil, err
	}
	if out.Rows == nil {
		out.Rows = []forj.UsageRow{}
	}
	return &out, nil
}
