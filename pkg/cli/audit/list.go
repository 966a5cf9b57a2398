package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// DefaultFollowInterval is how often --follow asks the server for new events.
const DefaultFollowInterval = time.Second

// ListOptions are the inputs of 'audit list'.
type ListOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	Since, Until  string // ages (24h, 30d) or times, as given
	Actor         string // email, user id or key id
	Action        string // prefix
	AllWorkspaces bool
	Limit         int
	All           bool
	Follow        bool
	// Interval is the poll interval of --follow (DefaultFollowInterval; tests shorten it).
	Interval time.Duration

	since, until time.Time // resolved by Complete
}

// NewCmdList builds 'audit list'.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{F: f, Interval: DefaultFollowInterval}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List audit events, newest first, or follow new ones as they happen",
		Long: `List the audit events of a workspace, newest first: the last --limit (50) of them, or
with --all every one, page after page.

--since and --until take an age (90m, 24h, 30d, 2w), a date (2025-01-31) or an RFC 3339 time.
--actor takes an email, a user id (usr_…) or a key id (tok_…); --action a prefix such as
"member." or "key.rotate".

--follow prints the last --limit matching events oldest first, then each new one as it is
written, until interrupted (Ctrl-C ends it normally, with exit code 0). With -o json it prints
one JSON object per line (NDJSON), for piping into jq or a log shipper.`,
		Example: `  forjctl audit list --since 24h
  forjctl audit list --actor ada@example.com --action member. -o wide
  forjctl audit list --all-workspaces --all -o json > audit.json
  forjctl audit list --follow -o json | jq -c 'select(.result == "denied")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd = cmd
			if err := opts.Complete(); err != nil {
				return err
			}
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Since, "since", "", "only events at or after this age or time (24h, 30d, 2025-01-31, RFC 3339)")
	fl.StringVar(&opts.Until, "until", "", "only events before this age or time")
	fl.StringVar(&opts.Actor, "actor", "", "only events by this actor (email, user id or key id)")
	fl.StringVar(&opts.Action, "action", "", "only actions starting with this prefix (e.g. member.)")
	fl.BoolVarP(&opts.AllWorkspaces, "all-workspaces", "A", false, "every audit trail you may read, not one workspace's")
	fl.IntVar(&opts.Limit, "limit", forj.DefaultLimit, "how many events to show")
	fl.BoolVar(&opts.All, "all", false, "page through every matching event (no --limit)")
	fl.BoolVarP(&opts.Follow, "follow", "f", false, "keep printing new events until interrupted")
	return cmd
}

// Complete resolves the time flags against the clock of the streams.
func (o *ListOptions) Complete() error {
	now := o.F.IOStreams.Now()
	var err error
	if o.Since != "" {
		if o.since, err = ParseTime("since", o.Since, now); err != nil {
			return err
		}
	}
	if o.Until != "" {
		if o.until, err = ParseTime("until", o.Until, now); err != nil {
			return err
		}
	}
	return nil
}

// Validate rejects contradictory flags before any request.
func (o *ListOptions) Validate() error {
	switch {
	case o.Limit < 1:
		return cmdutil.FlagErrorf("--limit must be at least 1, not %d", o.Limit)
	case o.All && o.Cmd != nil && o.Cmd.Flags().Changed("limit"):
		return cmdutil.FlagErrorf("--all and --limit cannot be used together")
	case o.AllWorkspaces && o.F.Flags.Workspace != "":
		return cmdutil.FlagErrorf("--all-workspaces and -w cannot be used together")
	case !o.since.IsZero() && !o.until.IsZero() && !o.until.After(o.since):
		return cmdutil.FlagErrorf("--until must be later than --since")
	case o.Follow && o.Until != "":
		return cmdutil.FlagErrorf("--follow and --until cannot be used together: following waits for new events")
	case o.Follow && o.F.Flags.Output == string(printer.FormatYAML):
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "--follow cannot print -o yaml").
			WithHint("use -o json: one JSON object per line")}
	}
	return nil
}

func (o *ListOptions) listOptions(pageSize int) client.AuditListOptions {
	return client.AuditListOptions{
		ListOptions: client.ListOptions{Limit: pageSize},
		Actor:       o.Actor,
		Action:      o.Action,
		Since:       o.since,
		Until:       o.until,
	}
}

// Run lists, or follows, the trail.
func (o *ListOptions) Run() error {
	ctx := o.Cmd.Context()
	c, r, err := o.F.Client(ctx)
	if err != nil {
		return err
	}
	wsID := "" // every trail the caller may read
	if !o.AllWorkspaces {
		w, err := o.F.Workspace(ctx, c, r)
		if err != nil {
			return err
		}
		wsID = w.ID
	}
	events, err := o.fetch(ctx, c, wsID)
	if err != nil {
		if o.Follow && ctx.Err() != nil {
			return nil
		}
		return err
	}
	if !o.Follow {
		return printer.Print(o.F.IOStreams, o.F.PrintOptions(), events, eventTable())
	}
	slices.Reverse(events) // following reads like a log: oldest first
	return o.follow(ctx, c, wsID, events)
}

// fetch returns the newest --limit matching events, or with --all every one, newest first.
func (o *ListOptions) fetch(ctx context.Context, c *client.Client, wsID string) ([]forj.AuditEvent, error) {
	pageSize := forj.MaxLimit
	if !o.All {
		pageSize = min(o.Limit, forj.MaxLimit)
	}
	events := []forj.AuditEvent{}
	for e, err := range c.AllAudit(ctx, wsID, o.listOptions(pageSize)) {
		if err != nil {
			return nil, err
		}
		events = append(events, e)
		if !o.All && len(events) >= o.Limit {
			break
		}
	}
	return events, nil
}

// follow prints events, then polls for newer ones every Interval until ctx is done, which
// is the normal end of a follow (nil, exit 0).
func (o *ListOptions) follow(ctx context.Context, c *client.Client, wsID string, events []forj.AuditEvent) error {
	p := &followPrinter{F: o.F, wide: o.F.Flags.Output == string(printer.FormatWide)}
	var last int64
	for {
		if err := p.print(events); err != nil {
			return err
		}
		for _, e := range events {
			last = max(last, e.Seq)
		}
		if err := sleep(ctx, o.Interval); err != nil {
			return nil
		}
		events = events[:0]
		for e, err := range c.AuditSince(ctx, wsID, o.listOptions(forj.MaxLimit), last) {
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			if e.Seq > last { // defensive: never print an event twice
				events = append(events, e)
			}
		}
	}
}

// sleep waits d or until ctx is done (then it returns ctx's error).
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// followPrinter prints events as they arrive. Piped output, -o name, --jq and --template
// are what 'list' prints, batch after batch; -o json is one compact object a line (NDJSON);
// a terminal gets one header, then aligned lines with local times (relative times would go
// stale on screen).
type followPrinter struct {
	F          *cmdutil.Factory
	wide       bool
	headerDone bool
}

func (p *followPrinter) print(events []forj.AuditEvent) error {
	ios, opts := p.F.IOStreams, p.F.PrintOptions()
	switch {
	case opts.JQ != "" || opts.Template != "" || opts.Format == printer.FormatName:
		for _, e := range events {
			if err := printer.Print(ios, opts, e, eventTable()); err != nil {
				return err
			}
		}
		return nil
	case opts.Format == printer.FormatJSON:
		var sb strings.Builder
		for _, e := range events {
			b, err := json.Marshal(e)
			if err != nil {
				return err
			}
			sb.Write(b)
			sb.WriteByte('\n')
		}
		_, err := fmt.Fprint(ios.Out, sb.String())
		return err
	case !ios.IsStdoutTTY():
		if len(events) == 0 {
			return nil
		}
		return printer.Print(ios, opts, events, eventTable())
	}
	var sb strings.Builder
	if !p.headerDone {
		sb.WriteString(ios.ColorScheme().Bold(p.line("TIME", "ACTOR", "ACTION", "TARGET", "RESULT", "WORKSPACE", "REQUEST ID", "REMOTE")))
		sb.WriteByte('\n')
		p.headerDone = true
	}
	for _, e := range events {
		sb.WriteString(p.line(e.Time.Local().Format(time.DateTime), actor(e), e.Action, target(e), e.Result, e.WorkspaceID, e.RequestID, e.RemoteAddr))
		sb.WriteByte('\n')
	}
	_, err := fmt.Fprint(ios.Out, sb.String())
	return err
}

// line lays out one terminal line in fixed columns (a stream cannot measure rows to come).
func (p *followPrinter) line(t, actor, action, target, result, ws, reqID, remote string) string {
	cols := []string{pad(t, 19), pad(actor, 26), pad(action, 22), pad(target, 30), pad(result, 7)}
	if p.wide {
		cols = append(cols, pad(ws, 24), pad(reqID, 24), remote)
	}
	return strings.TrimRight(strings.Join(cols, "  "), " ")
}

func pad(s string, w int) string {
	s = strings.Join(strings.Fields(s), " ")
	if n := len([]rune(s)); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}
