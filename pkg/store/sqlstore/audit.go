package sqlstore

import (
	"database/sql"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/forjinn/forjctl/pkg/forj"
)

// The audit table is append-only: this file has the only statements that touch it, an
// INSERT and SELECTs, and triggers refuse UPDATE and DELETE (migrations/0001_init.sql).

const auditCols = `seq, time, actor_type, actor_id, actor_email, workspace_id, action,
	target_type, target_id, result, request_id, remote_addr, changes`

func eventID(seq int64) string { return forj.PrefixEvent + "_" + strconv.FormatInt(seq, 10) }

func scanAudit(s scanner) (forj.AuditEvent, error) {
	var e forj.AuditEvent
	var at int64
	var changes sql.NullString
	err := s.Scan(&e.Seq, &at, &e.ActorType, &e.ActorID, &e.ActorEmail, &e.WorkspaceID, &e.Action,
		&e.TargetType, &e.TargetID, &e.Result, &e.RequestID, &e.RemoteAddr, &changes)
	e.ID = eventID(e.Seq)
	e.Time = fromNanos(at)
	if changes.Valid {
		e.Changes = json.RawMessage(changes.String)
	}
	return e, err
}

func (t *Tx) AppendAudit(e *forj.AuditEvent) error {
	if e.Time.IsZero() {
		e.Time = t.now
	}
	var changes sql.NullString
	if len(e.Changes) > 0 {
		if !json.Valid(e.Changes) {
			return forj.Errorf(forj.EInvalid, "audit event changes are not valid JSON")
		}
		changes = sql.NullString{String: string(e.Changes), Valid: true}
	}
	seq, err := t.x.Insert(`INSERT INTO audit (time, actor_type, actor_id, actor_email, workspace_id, action,
		target_type, target_id, result, request_id, remote_addr, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		nanos(e.Time), e.ActorType, e.ActorID, e.ActorEmail, e.WorkspaceID, e.Action,
		e.TargetType, e.TargetID, e.Result, e.RequestID, e.RemoteAddr, changes)
	if err != nil {
		return t.internal("append audit", err)
	}
	e.Seq, e.ID = seq, eventID(seq)
	return nil
}

// ListAudit pages by seq: newest first, or oldest first with Ascending. Since is inclusive,
// Until exclusive.
func (t *Tx) ListAudit(f forj.AuditFilter) ([]forj.AuditEvent, string, error) {
	after, err := forj.DecodeCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	var cursorSeq int64
	if after != "" {
		if cursorSeq, err = strconv.ParseInt(after, 10, 64); err != nil {
			return nil, "", forj.Errorf(forj.EInvalid, "malformed cursor %q", f.Cursor)
		}
	}
	if f.WorkspaceIDs != nil && len(f.WorkspaceIDs) == 0 {
		return []forj.AuditEvent{}, "", nil // restricted to no workspace at all
	}
	limit := pageLimit(f.Limit)
	var w where
	if f.WorkspaceIDs != nil {
		// The common case, one workspace's trail, is a plain comparison: the (workspace_id,
		// seq) index then yields rows in order and the LIMIT stops the scan early.
		t.in(&w, "workspace_id", f.WorkspaceIDs)
	}
	if f.ActorID != "" {
		w.add("actor_id = ?", f.ActorID)
	}
	if f.ActionPrefix != "" {
		// Not LIKE: it is case-insensitive and treats % and _ as wildcards.
		w.add("substr(action, 1, ?) = ?", utf8.RuneCountInString(f.ActionPrefix), f.ActionPrefix)
	}
	if !f.Since.IsZero() {
		w.add("time >= ?", nanos(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("time < ?", nanos(f.Until))
	}
	if f.AfterSeq > 0 {
		w.add("seq > ?", f.AfterSeq)
	}
	order := " ORDER BY seq DESC"
	if f.Ascending {
		order = " ORDER BY seq"
	}
	if after != "" {
		if f.Ascending {
			w.add("seq > ?", cursorSeq)
		} else {
			w.add("seq < ?", cursorSeq)
		}
	}
	es, err := scanAll(t, scanAudit, `SELECT `+auditCols+` FROM audit`+w.String()+order+` LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return nil, "", t.internal("list audit", err)
	}
	es, next := page(es, limit, func(e forj.AuditEvent) string { return strconv.FormatInt(e.Seq, 10) })
	return es, next, nil
}
