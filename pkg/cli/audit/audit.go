// Package audit implements 'forjctl audit': listing a workspace's audit trail (or every
// trail the caller may read), paging through all of it on request, and following it as new
// events are written.
package audit

import (
	"strconv"
	"strings"
	"time"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// NewCmdAudit is the 'audit' command group.
func NewCmdAudit(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit <command>",
		Short: "Read the audit trail: who did what, where and when",
		Long: `Read the audit trail of the workspace given with -w (name or id), else the active
workspace of the current context, or with --all-workspaces every trail you may read (the owner
sees everything, events outside any workspace included).`,
	}
	cmd.AddCommand(NewCmdList(f, nil))
	return cmd
}

// actor is how an event's actor is shown: the user's email, else the user or key id, else
// the actor type (anonymous).
func actor(e forj.AuditEvent) string {
	switch {
	case e.ActorEmail != "":
		return e.ActorEmail
	case e.ActorID != "" && e.ActorType == forj.ActorKey:
		return "key " + e.ActorID
	case e.ActorID != "":
		return e.ActorID
	}
	return e.ActorType
}

// target is an event's target as "type id".
func target(e forj.AuditEvent) string {
	return strings.TrimSpace(e.TargetType + " " + e.TargetID)
}

// eventTable is how events look.
func eventTable() printer.Table {
	return printer.Table{
		Columns: []printer.Column{
			{Header: "Time", Time: true, Value: printer.Field(func(e forj.AuditEvent) string { return printer.Time(e.Time) })},
			{Header: "Actor", Value: printer.Field(actor)},
			{Header: "Action", Value: printer.Field(func(e forj.AuditEvent) string { return e.Action })},
			{Header: "Target", Value: printer.Field(target)},
			{Header: "Result", Value: printer.Field(func(e forj.AuditEvent) string { return e.Result })},
			{Header: "Workspace", Wide: true, Value: printer.Field(func(e forj.AuditEvent) string { return e.WorkspaceID })},
			{Header: "Request ID", Wide: true, Value: printer.Field(func(e forj.AuditEvent) string { return e.RequestID })},
			{Header: "Remote", Wide: true, Value: printer.Field(func(e forj.AuditEvent) string { return e.RemoteAddr })},
		},
		NameOf: printer.Field(func(e forj.AuditEvent) string { return e.ID }),
		Empty:  "No audit events found",
	}
}

// ParseTime reads a time flag: an RFC 3339 time, a date (YYYY-MM-DD, UTC midnight), or an
// age counted back from now — a Go duration (90m, 24h) or whole days or weeks (30d, 2w).
// Errors are usage errors that name the flag.
func ParseTime(flag, s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	bad := func() error {
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "--%s %q is neither an age nor a time", flag, s).
			WithHint("give an age like 24h, 30d or 2w, a date like 2025-01-31, or an RFC 3339 time like 2025-01-31T15:04:05Z")}
	}
	if s == "" {
		return time.Time{}, bad()
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.Atoi(n)
			if err != nil || v < 0 {
				return time.Time{}, bad()
			}
			return now.Add(-time.Duration(v) * unit), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, bad()
	}
	return now.Add(-d), nil
}
