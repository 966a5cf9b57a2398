package sqlstore

import (
	"github.com/forjinn/forjctl/pkg/forj"
)

// AppendUsage inserts a batch of usage events in the current transaction, assigning Seq.
// The batch is guarded as one: on PostgreSQL a failure leaves none of it.
func (t *Tx) AppendUsage(events []forj.UsageEvent) error {
	return t.x.Guarded(func() error { return t.appendUsage(events) })
}

func (t *Tx) appendUsage(events []forj.UsageEvent) error {
	for i := range events {
		ev := &events[i]
		if ev.Time.IsZero() {
			ev.Time = t.now
		}
		var err error
		ev.Seq, err = t.x.Insert(`INSERT INTO usage (workspace_id, key_id, assistant, environment, tokens_in, tokens_out,
			compute_ms, api_calls, voice_minutes, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ev.WorkspaceID, ev.KeyID, ev.Assistant, ev.Environment, ev.TokensIn, ev.TokensOut,
			ev.ComputeMs, ev.APICalls, ev.VoiceMinutes, nanos(ev.Time))
		if t.d.ForeignKeyViolation(err) {
			return forj.Errorf(forj.ENotFound, "workspace %s not found", ev.WorkspaceID)
		}
		if err != nil {
			return t.internal("append usage", err)
		}
	}
	return nil
}

// usageGroup is the SQL expression of a grouping's key. Days are the UTC date of the
// event's time (stored as unix nanoseconds).
func (t *Tx) usageGroup(by string) (string, bool) {
	switch by {
	case forj.UsageByWorkspace, "":
		return "workspace_id", true
	case forj.UsageByAssistant:
		return "assistant", true
	case forj.UsageByDay:
		return t.d.UTCDay, true
	}
	return "", false
}

// UsageReport sums the selected events per group, sorted by key.
func (t *Tx) UsageReport(f forj.UsageFilter) ([]forj.UsageRow, error) {
	expr, ok := t.usageGroup(f.By)
	if !ok {
		return nil, forj.Errorf(forj.EInvalid, "unknown usage grouping %q", f.By)
	}
	if f.WorkspaceIDs != nil && len(f.WorkspaceIDs) == 0 {
		return []forj.UsageRow{}, nil // restricted to no workspace at all
	}
	var w where
	if f.WorkspaceIDs != nil {
		t.in(&w, "workspace_id", f.WorkspaceIDs)
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
		// CASTs: PostgreSQL sums bigints as numeric. Every group has a row, so no sum is NULL.
	}, `SELECT `+expr+` AS k, count(*), CAST(sum(tokens_in) AS BIGINT), CAST(sum(tokens_out) AS BIGINT),
		CAST(sum(compute_ms) AS BIGINT), CAST(sum(api_calls) AS BIGINT), CAST(sum(voice_minutes) AS DOUBLE PRECISION)
		FROM usage`+w.String()+` GROUP BY k ORDER BY k`, w.args...)
	if err != nil {
		return nil, t.internal("usage report", err)
	}
	return rows, nil
}
