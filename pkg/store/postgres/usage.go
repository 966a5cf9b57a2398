package postgres

import (
	"github.com/forjinn/forjctl/pkg/forj"
)

// AppendUsage inserts a batch of usage events in the current transaction, assigning Seq.
// The batch runs in one savepoint: a failure leaves none of it and the transaction usable.
func (t *tx) AppendUsage(events []forj.UsageEvent) error {
	return t.savepoint(func() error { return t.appendUsage(events) })
}

func (t *tx) appendUsage(events []forj.UsageEvent) error {
	for i := range events {
		ev := &events[i]
		if ev.Time.IsZero() {
			ev.Time = t.now
		}
		err := t.queryRow(`INSERT INTO usage (workspace_id, key_id, assistant, environment, tokens_in, tokens_out,
			compute_ms, api_calls, voice_minutes, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
			ev.WorkspaceID, ev.KeyID, ev.Assistant, ev.Environment, ev.TokensIn, ev.TokensOut,
			ev.ComputeMs, ev.APICalls, ev.VoiceMinutes, nanos(ev.Time)).Scan(&ev.Seq)
		if foreignKeyViolation(err) {
			return forj.Errorf(forj.ENotFound, "workspace %s not found", ev.WorkspaceID)
		}
		if err != nil {
			return internal("append usage", err)
		}
	}
	return nil
}

// usageGroup is the SQL expression of a grouping's key. Days are the UTC date of the
// event's time (stored as unix nanoseconds).
func usageGroup(by string) (string, bool) {
	switch by {
	case forj.UsageByWorkspace, "":
		return "workspace_id", true
	case forj.UsageByAssistant:
		return "assistant", true
	case forj.UsageByDay:
		return "to_char(to_timestamp(div(time, 1000000000)) AT TIME ZONE 'UTC', 'YYYY-MM-DD')", true
	}
	return "", false
}

// UsageReport sums the selected events per group, sorted by key.
func (t *tx) UsageReport(f forj.UsageFilter) ([]forj.UsageRow, error) {
	expr, ok := usageGroup(f.By)
	if !ok {
		return nil, forj.Errorf(forj.EInvalid, "unknown usage grouping %q", f.By)
	}
	if f.WorkspaceIDs != nil && len(f.WorkspaceIDs) == 0 {
		return []forj.UsageRow{}, nil // restricted to no workspace at all
	}
	var w where
	switch {
	case len(f.WorkspaceIDs) == 1:
		w.add("workspace_id = ?", f.WorkspaceIDs[0])
	case f.WorkspaceIDs != nil:
		w.add("workspace_id = ANY(?)", idList(f.WorkspaceIDs))
	}
	if f.Environment != "" {
		w.add("environment = ?", f.Environment)
	}
	if !f.Since.IsZero() {
		w.add("time >= ?", nanos(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("time < ?", nanos(f.Until))
	}
	rows, err := scanAll(t, func(s scanner) (forj.UsageRow, error) {
		var r forj.UsageRow
		err := s.Scan(&r.Key, &r.Events, &r.TokensIn, &r.TokensOut, &r.ComputeMs, &r.APICalls, &r.VoiceMinutes)
		return r, err
	}, `SELECT `+expr+` AS k, count(*), sum(tokens_in)::bigint, sum(tokens_out)::bigint, sum(compute_ms)::bigint,
		sum(api_calls)::bigint, coalesce(sum(voice_minutes), 0)::float8 FROM usage`+w.String()+` GROUP BY k ORDER BY k`, w.args...)
	if err != nil {
		return nil, internal("usage report", err)
	}
	return rows, nil
}
