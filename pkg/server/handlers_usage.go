package server

import (
	"math"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/forjinn/forjctl/pkg/authz"
	"github.com/forjinn/forjctl/pkg/forj"
)

const (
	maxUsageBatch      = 1000
	maxAssistantLen    = 128
	maxEnvironmentLen  = 32
	usageClockSkew     = 5 * time.Minute     // how far in the future an event's time may be
	defaultUsageWindow = 30 * 24 * time.Hour // a report without ?since covers this much
)

// ingestUsage stores a batch of usage events for the calling key's workspace, in one
// transaction. Usage is data, not a change of configuration: it writes no audit event
// (a flow runtime may report thousands a minute), but it honours Idempotency-Key so a
// runtime can retry a batch without counting it twice.
func (s *Server) ingestUsage(c *call) error {
	var req forj.UsageIngestRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	n := len(req.Events)
	switch {
	case n == 0:
		return forj.Errorf(forj.EInvalid, "events is empty").WithHint("send at least one usage event")
	case n > maxUsageBatch:
		return forj.Errorf(forj.EInvalid, "%d events in one request; the maximum is %d", n, maxUsageBatch).
			WithHint("send the events in batches of at most %d", maxUsageBatch)
	}
	latest := s.now().Add(usageClockSkew)
	for i := range req.Events {
		ev := &req.Events[i]
		if err := validateUsageEvent(ev, latest); err != nil {
			return forj.Errorf(forj.EInvalid, "events[%d]: %s", i, forj.ErrorMessage(err))
		}
		ev.WorkspaceID, ev.KeyID, ev.Time = c.token.WorkspaceID, c.token.ID, ev.Time.UTC()
	}
	return c.mutate(http.StatusAccepted, func(tx forj.Tx) (any, error) {
		if err := tx.AppendUsage(req.Events); err != nil {
			return nil, err
		}
		return &forj.UsageIngestResponse{Accepted: n}, nil
	})
}

func validateUsageEvent(ev *forj.UsageEvent, latest time.Time) error {
	if ev.Seq != 0 || ev.WorkspaceID != "" || ev.KeyID != "" {
		return forj.Errorf(forj.EInvalid, "seq, workspaceId and keyId are set by the server, from the API key")
	}
	for _, f := range []struct {
		name string
		v    string
		max  int
	}{{"assistant", ev.Assistant, maxAssistantLen}, {"environment", ev.Environment, maxEnvironmentLen}} {
		if f.v == "" {
			return forj.Errorf(forj.EInvalid, "%s is required", f.name)
		}
		if err := validateText(f.name, f.v, f.max, false); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"tokensIn", ev.TokensIn}, {"tokensOut", ev.TokensOut}, {"computeMs", ev.ComputeMs}, {"apiCalls", ev.APICalls}} {
		if f.v < 0 {
			return forj.Errorf(forj.EInvalid, "%s is negative", f.name)
		}
	}
	if ev.VoiceMinutes < 0 || math.IsNaN(ev.VoiceMinutes) || math.IsInf(ev.VoiceMinutes, 0) {
		return forj.Errorf(forj.EInvalid, "voiceMinutes must be a non-negative number")
	}
	switch {
	case ev.Time.IsZero():
		return forj.Errorf(forj.EInvalid, "time is required (RFC 3339)")
	case ev.Time.After(latest):
		return forj.Errorf(forj.EInvalid, "time %s is in the future", ev.Time.Format(time.RFC3339))
	}
	return nil
}

// usageReport sums usage across the workspaces where the caller holds usage.read (owner:
// all), or the ?workspace= ones, each of which must be visible (else 404) and allow
// usage.read (else 403).
func (s *Server) usageReport(c *call) error {
	q := c.r.URL.Query()
	by := q.Get("by")
	switch by {
	case "":
		by = forj.UsageByWorkspace
	case forj.UsageByWorkspace, forj.UsageByAssistant, forj.UsageByDay:
	default:
		return forj.Errorf(forj.EInvalid, "by %q is not a grouping", by).WithHint("use workspace, assistant or day")
	}
	env := q.Get("env")
	if utf8.RuneCountInString(env) > maxEnvironmentLen {
		return forj.Errorf(forj.EInvalid, "env is longer than %d characters", maxEnvironmentLen)
	}
	until, err := timeQuery(c.r, "until")
	if err != nil {
		return err
	}
	since, err := timeQuery(c.r, "since")
	if err != nil {
		return err
	}
	if until.IsZero() {
		until = s.now()
	}
	if since.IsZero() {
		since = until.Add(-defaultUsageWindow)
	}
	if !since.Before(until) {
		return forj.Errorf(forj.EInvalid, "since %s is not before until %s", since.Format(time.RFC3339), until.Format(time.RFC3339))
	}
	f := forj.UsageFilter{Environment: env, Since: since.UTC(), Until: until.UTC(), By: by}
	if wanted := q["workspace"]; len(wanted) > 0 {
		for _, id := range wanted {
			if err := c.authorizeWorkspace(id); err != nil {
				return err
			}
		}
		f.WorkspaceIDs = wanted
	} else if ids, all := c.visibleWorkspaces(authz.UsageRead); !all {
		f.WorkspaceIDs = ids
	}
	resp := forj.UsageReport{By: by, Environment: env, Since: f.Since, Until: f.Until, Rows: []forj.UsageRow{}, Total: forj.UsageRow{Key: "total"}}
	err = s.store.View(c.ctx(), func(tx forj.Tx) error {
		rows, err := tx.UsageReport(f)
		if err != nil {
			return err
		}
		resp.Rows = nonNil(rows)
		if by == forj.UsageByWorkspace && len(rows) > 0 {
			names, err := workspaceNames(tx, rows)
			if err != nil {
				return err
			}
			for i := range resp.Rows {
				resp.Rows[i].Label = names[resp.Rows[i].Key]
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range resp.Rows {
		t := &resp.Total
		t.Events += r.Events
		t.TokensIn += r.TokensIn
		t.TokensOut += r.TokensOut
		t.ComputeMs += r.ComputeMs
		t.APICalls += r.APICalls
		t.VoiceMinutes += r.VoiceMinutes
	}
	return c.s.writeJSON(c.w, http.StatusOK, &resp)
}

// workspaceNames maps the workspace ids of report rows to their names.
func workspaceNames(tx forj.Tx, rows []forj.UsageRow) (map[string]string, error) {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.Key
	}
	names := make(map[string]string, len(ids))
	cursor := ""
	for {
		ws, next, err := tx.ListWorkspaces(forj.WorkspaceFilter{IDs: ids, Cursor: cursor, Limit: forj.MaxLimit})
		if err != nil {
			return nil, err
		}
		for _, w := range ws {
			names[w.ID] = w.Name
		}
		if next == "" {
			return names, nil
		}
		cursor = next
	}
}
