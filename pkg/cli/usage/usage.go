// Package usage implements 'forjctl usage': how much workspaces consume (tokens, compute,
// API calls, voice minutes), grouped by workspace, assistant or day, as a table with totals,
// a bar chart on a terminal, or the data as JSON, YAML or CSV.
package usage

import (
	"encoding/csv"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/forjinn/forjctl/pkg/cli/audit"
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// formatCSV is -o csv, which only this command knows: the root's output validation would
// reject it, so the command takes it off the flags before that runs.
const formatCSV = "csv"

// Options are the inputs of 'usage'.
type Options struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	Since, Until  string
	Env           string
	By            string
	AllWorkspaces bool
	CSV           bool // -o csv

	since, until time.Time // resolved by Complete
}

// NewCmdUsage is the 'usage' command.
func NewCmdUsage(f *cmdutil.Factory) *cobra.Command { return NewCmdReport(f, nil) }

// NewCmdReport builds 'usage'.
func NewCmdReport(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "usage [--since 30d] [--env ENV] [--by workspace|assistant|day] [--all-workspaces]",
		Short: "Report what workspaces consume: tokens, compute, API calls, voice minutes",
		Long: `Report the usage of the workspace given with -w (name or id), else the active one, or
with --all-workspaces of every workspace whose usage you may read (the owner: all), grouped
--by workspace, assistant or day, over --since (default the last 30 days) to --until (default
now), for one --env (environment: dev, staging, prod, …) or all of them.

On a terminal a table with a TOTAL row is followed by a bar chart of tokens (in + out).
-o json and -o yaml print the report as the API gives it; -o csv prints the rows (no total)
with a header line, for a spreadsheet.`,
		Example: `  forjctl usage --since 7d --env prod
  forjctl usage --all-workspaces --by day -o csv > usage.csv
  forjctl usage -A --by assistant -o json --jq '.rows[] | select(.tokensOut > 1e6) | .key'`,
		Args: cobra.NoArgs,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if f.Flags.Output == formatCSV {
				opts.CSV, f.Flags.Output = true, ""
			}
			// Then the root's checks of the global flags, which this hook replaces.
			if root := cmd.Root(); root != cmd && root.PersistentPreRunE != nil {
				return root.PersistentPreRunE(cmd, args)
			}
			return nil
		},
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
	fl.StringVar(&opts.Since, "since", "30d", "from this age or time (24h, 30d, 2025-01-31, RFC 3339)")
	fl.StringVar(&opts.Until, "until", "", "until this age or time (default now)")
	fl.StringVar(&opts.Env, "env", "", "only this environment (e.g. prod)")
	fl.StringVar(&opts.By, "by", forj.UsageByWorkspace, "group by workspace, assistant or day")
	fl.BoolVarP(&opts.AllWorkspaces, "all-workspaces", "A", false, "every workspace whose usage you may read")
	_ = cmd.RegisterFlagCompletionFunc("by", cobra.FixedCompletions(groupings, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

var groupings = []string{forj.UsageByWorkspace, forj.UsageByAssistant, forj.UsageByDay}

// Complete resolves the time flags against the clock of the streams.
func (o *Options) Complete() error {
	now := o.F.IOStreams.Now()
	var err error
	if o.since, err = audit.ParseTime("since", o.Since, now); err != nil {
		return err
	}
	if o.Until != "" {
		if o.until, err = audit.ParseTime("until", o.Until, now); err != nil {
			return err
		}
	}
	return nil
}

// Validate rejects bad flags before any request.
func (o *Options) Validate() error {
	switch {
	case !slices.Contains(groupings, o.By):
		return cmdutil.FlagErrorf("--by must be one of %s, not %q", strings.Join(groupings, ", "), o.By)
	case !o.until.IsZero() && !o.until.After(o.since):
		return cmdutil.FlagErrorf("--until must be later than --since")
	case o.AllWorkspaces && o.F.Flags.Workspace != "":
		return cmdutil.FlagErrorf("--all-workspaces and -w cannot be used together")
	case o.CSV && (o.F.Flags.JQ != "" || o.F.Flags.Template != ""):
		return cmdutil.FlagErrorf("-o csv cannot be used with --jq or --template")
	}
	return nil
}

// Run fetches the report and prints it.
func (o *Options) Run() error {
	ctx := o.Cmd.Context()
	c, r, err := o.F.Client(ctx)
	if err != nil {
		return err
	}
	req := client.UsageReportOptions{By: o.By, Env: o.Env, Since: o.since, Until: o.until}
	if !o.AllWorkspaces {
		w, err := o.F.Workspace(ctx, c, r)
		if err != nil {
			return err
		}
		req.WorkspaceIDs = []string{w.ID}
	}
	rep, err := c.UsageReport(ctx, req)
	if err != nil {
		return err
	}
	ios, popts := o.F.IOStreams, o.F.PrintOptions()
	switch {
	case o.CSV:
		return writeCSV(o, rep)
	case popts.Format == printer.FormatName:
		// The groups' names, one a line: workspaces, assistants or days.
		return printer.Print(ios, popts, rep.Rows, rowTable(rep.By))
	case popts.JQ != "" || popts.Template != "" || (popts.Format != "" && popts.Format != printer.FormatTable && popts.Format != printer.FormatWide):
		return printer.Print(ios, popts, rep, printer.Table{})
	}
	if len(rep.Rows) == 0 {
		return printer.Print(ios, popts, rep.Rows, rowTable(rep.By))
	}
	total := rep.Total
	total.Key, total.Label = "TOTAL", "TOTAL"
	if rep.By == forj.UsageByWorkspace {
		total.Key = "" // the ID column of the total row stays empty
	}
	if err := printer.Print(ios, popts, append(slices.Clone(rep.Rows), total), rowTable(rep.By)); err != nil {
		return err
	}
	if !ios.IsStdoutTTY() {
		return nil
	}
	bars := make([]printer.BarRow, len(rep.Rows))
	for i, row := range rep.Rows {
		tokens := row.TokensIn + row.TokensOut
		bars[i] = printer.BarRow{Label: label(row), Value: float64(tokens), Display: strconv.FormatInt(tokens, 10)}
	}
	_, err = fmt.Fprintf(ios.Out, "\n%s\n%s", ios.ColorScheme().Bold("TOKENS (IN + OUT)"), printer.BarChart(ios, bars, 0))
	return err
}

// label names a row: the workspace's name where the report has it, else its key.
func label(r forj.UsageRow) string {
	if r.Label != "" {
		return r.Label
	}
	return r.Key
}

// rowTable is how the rows of a report grouped by by look.
func rowTable(by string) printer.Table {
	num := func(get func(forj.UsageRow) int64) func(any) string {
		return printer.Field(func(r forj.UsageRow) string { return strconv.FormatInt(get(r), 10) })
	}
	cols := []printer.Column{
		{Header: by, Value: printer.Field(label)},
		{Header: "Events", Value: num(func(r forj.UsageRow) int64 { return r.Events })},
		{Header: "Tokens in", Value: num(func(r forj.UsageRow) int64 { return r.TokensIn })},
		{Header: "Tokens out", Value: num(func(r forj.UsageRow) int64 { return r.TokensOut })},
		{Header: "Compute ms", Value: num(func(r forj.UsageRow) int64 { return r.ComputeMs })},
		{Header: "API calls", Value: num(func(r forj.UsageRow) int64 { return r.APICalls })},
		{Header: "Voice min", Value: printer.Field(func(r forj.UsageRow) string { return minutes(r.VoiceMinutes) })},
	}
	if by == forj.UsageByWorkspace {
		cols = append(cols, printer.Column{Header: "ID", Wide: true, Value: printer.Field(func(r forj.UsageRow) string { return r.Key })})
	}
	return printer.Table{
		Columns: cols,
		NameOf:  printer.Field(label),
		Empty:   "No usage in this period",
	}
}

// minutes shows voice minutes to the hundredth, without float noise (0.30000000000000004).
func minutes(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// writeCSV prints the rows with a header of the API's field names; the total is left out,
// as a spreadsheet computes its own.
func writeCSV(o *Options, rep *forj.UsageReport) error {
	w := csv.NewWriter(o.F.IOStreams.Out)
	_ = w.Write([]string{rep.By, "label", "events", "tokensIn", "tokensOut", "computeMs", "apiCalls", "voiceMinutes"})
	for _, r := range rep.Rows {
		_ = w.Write([]string{
			r.Key, r.Label,
			strconv.FormatInt(r.Events, 10), strconv.FormatInt(r.TokensIn, 10), strconv.FormatInt(r.TokensOut, 10),
			strconv.FormatInt(r.ComputeMs, 10), strconv.FormatInt(r.APICalls, 10),
			strconv.FormatFloat(r.VoiceMinutes, 'f', -1, 64),
		})
	}
	w.Flush()
	return w.Error()
}
