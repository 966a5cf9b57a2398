package asset

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// DefaultBatchSize is how many assets one transfer request carries unless --batch-size says.
const DefaultBatchSize = 500

// TransferOptions are the inputs of '<kind> move' and '<kind> copy'.
type TransferOptions struct {
	F    *cmdutil.Factory
	Cmd  *cobra.Command
	Kind forj.KindInfo
	Mode string // forj.TransferMove or forj.TransferCopy

	Names      []string // names or ids; empty when selecting with --all, --match, --label
	From, To   string   // workspace names or ids; From "" means the workspace in effect
	All        bool
	Match      string
	Labels     map[string]string
	OnConflict string
	DryRun     bool
	BatchSize  int
}

// NewCmdMove builds '<kind> move'.
func NewCmdMove(f *cmdutil.Factory, k forj.KindInfo, runF func(*TransferOptions) error) *cobra.Command {
	return newCmdTransfer(f, k, forj.TransferMove, runF)
}

// NewCmdCopy builds '<kind> copy'.
func NewCmdCopy(f *cmdutil.Factory, k forj.KindInfo, runF func(*TransferOptions) error) *cobra.Command {
	return newCmdTransfer(f, k, forj.TransferCopy, runF)
}

func newCmdTransfer(f *cmdutil.Factory, k forj.KindInfo, mode string, runF func(*TransferOptions) error) *cobra.Command {
	opts := &TransferOptions{F: f, Kind: k, Mode: mode}
	var labels []string
	short := fmt.Sprintf("Move %s to another workspace", k.Plural)
	what := fmt.Sprintf(`A moved %[1]s keeps its id and leaves the source workspace. If a run is interrupted
(Ctrl-C, a lost connection, a killed process), every %[1]s is in exactly one place, and
running the same command again finishes the job: a %[1]s already in the target is
reported "unchanged".`, k.Name)
	if mode == forj.TransferCopy {
		short = fmt.Sprintf("Copy %s to another workspace", k.Plural)
		what = fmt.Sprintf(`A copy is a new %[1]s in the target whose origin is the source's id. Copying again
does not duplicate: the server recognises the earlier copy by its origin and reports it
"unchanged", so an interrupted run can simply be run again. The target may be the source
itself: with --on-conflict rename that makes a duplicate under a free name.`, k.Name)
	}
	cmd := &cobra.Command{
		Use:   mode + " NAME... --to WORKSPACE [--from WORKSPACE] [--all] [--match GLOB] [--label k=v]... [--on-conflict POLICY] [--dry-run]",
		Short: short,
		Long: fmt.Sprintf(`%[1]s the %[2]s named, or those selected with --all, --match (a shell pattern on the
name) and --label (all must match), from the workspace --from (default: -w, else the
active workspace) to the workspace --to. Names and selectors do not mix.

%[3]s

The server applies each batch of up to --batch-size %[2]s in one transaction. A name
already taken in the target is a conflict, handled by --on-conflict: fail (the item
fails, the others go ahead), skip, rename (a free name like NAME-2), or overwrite (the
target's %[4]s is replaced). --dry-run asks the server for the plan and changes nothing.

The result of every item is printed (NAME, RESULT, NEW NAME, ERROR; -o json gives one
object with the items and a summary) and a summary goes to stderr. When any item failed
the exit code is 7; when interrupted, 130.`, strings.ToUpper(mode[:1])+mode[1:], k.Plural, what, k.Name),
		Example: fmt.Sprintf(`  forjctl %[1]s %[2]s support-faq onboarding --to prod
  forjctl %[1]s %[2]s --all --from dev --to staging --on-conflict overwrite --dry-run
  forjctl %[1]s %[2]s --match 'faq-*' --label team=support --to prod -o json`, k.Name, mode),
		ValidArgsFunction: complete.EveryArg(completeNames(f, k)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd, opts.Names = cmd, args
			var err error
			if opts.Labels, err = parseLabels(labels); err != nil {
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
	fl.StringVar(&opts.To, "to", "", "the target `workspace` (name or id)")
	fl.StringVar(&opts.From, "from", "", "the source `workspace` (name or id; default -w, else the active one)")
	fl.BoolVar(&opts.All, "all", false, "select every "+k.Name+" of the source")
	fl.StringVar(&opts.Match, "match", "", "select those whose name matches this shell `pattern`")
	fl.StringArrayVar(&labels, "label", nil, "select those with this `key=value` label (repeatable; all must match)")
	fl.StringVar(&opts.OnConflict, "on-conflict", forj.OnConflictFail, "when the name is taken in the target: fail, skip, rename or overwrite")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the plan, change nothing")
	fl.IntVar(&opts.BatchSize, "batch-size", DefaultBatchSize, fmt.Sprintf("%s per request (at most %d)", k.Plural, forj.MaxTransferItems))
	_ = cmd.RegisterFlagCompletionFunc("to", complete.Workspaces(f))
	_ = cmd.RegisterFlagCompletionFunc("from", complete.Workspaces(f))
	_ = cmd.RegisterFlagCompletionFunc("on-conflict", cobra.FixedCompletions(
		[]string{forj.OnConflictFail, forj.OnConflictSkip, forj.OnConflictRename, forj.OnConflictOverwrite}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Validate checks the flags before any request.
func (o *TransferOptions) Validate() error {
	selector := o.All || o.Match != "" || len(o.Labels) > 0
	switch {
	case strings.TrimSpace(o.To) == "":
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "no target workspace given").
			WithHint("pass --to WORKSPACE")}
	case !forj.ValidOnConflict(o.OnConflict):
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "--on-conflict %q is not a policy", o.OnConflict).
			WithHint("use fail, skip, rename or overwrite")}
	case o.BatchSize < 1 || o.BatchSize > forj.MaxTransferItems:
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "--batch-size %d is out of range", o.BatchSize).
			WithHint("use 1 to %d", forj.MaxTransferItems)}
	case len(o.Names) > 0 && selector:
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "names and selectors (--all, --match, --label) do not mix").
			WithHint("either name the %s, or select them with --all, --match or --label", o.Kind.Plural)}
	case len(o.Names) == 0 && !selector:
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "no %s selected", o.Kind.Plural).
			WithHint("name them, or select them with --all, --match GLOB or --label key=value")}
	}
	return validateMatch(o.Match)
}

// slot is one selected item, in output order: an id to send, or an outcome known already.
type slot struct {
	id   string
	done *forj.TransferItem
}

// Run plans, sends the batches and reports.
func (o *TransferOptions) Run() error {
	ctx := o.Cmd.Context()
	c, r, err := o.F.Client(ctx)
	if err != nil {
		return err
	}
	var from *forj.Workspace
	if o.From == "" {
		from, err = o.F.Workspace(ctx, c, r)
	} else {
		from, err = c.ResolveWorkspace(ctx, o.From)
	}
	if err != nil {
		return err
	}
	to, err := c.ResolveWorkspace(ctx, o.To)
	if err != nil {
		return err
	}
	if from.ID == to.ID && o.Mode == forj.TransferMove {
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "the source and the target are the same workspace, %s", from.Name).
			WithHint("pass --to another workspace (and --from, or -w, for the source)")}
	}

	slots, err := o.plan(ctx, c, from, to)
	if err != nil {
		return err
	}
	var ids []string
	for _, s := range slots {
		if s.done == nil {
			ids = append(ids, s.id)
		}
	}

	res := &forj.TransferResponse{Mode: o.Mode, From: from.ID, To: to.ID, DryRun: o.DryRun, Items: []forj.TransferItem{}, Summary: map[string]int{}}
	outcome := map[string]forj.TransferItem{}
	label := map[string]string{forj.TransferMove: "Moving", forj.TransferCopy: "Copying"}[o.Mode] + " " + o.Kind.Plural
	if o.DryRun {
		label = "Planning"
	}
	progress := o.F.IOStreams.StartProgress(label, len(ids))
	sent := 0
	var stopErr error
	for sent < len(ids) {
		if err := ctx.Err(); err != nil {
			stopErr = err
			break
		}
		batch := ids[sent:min(sent+o.BatchSize, len(ids))]
		// Transfer gives every batch its own Idempotency-Key: a retry after a network error
		// replays the server's first answer, never applies the batch twice.
		out, err := c.Transfer(ctx, forj.TransferRequest{
			Mode: o.Mode, From: from.ID, To: to.ID, IDs: batch, OnConflict: o.OnConflict, DryRun: o.DryRun,
		})
		if err != nil {
			stopErr = err
			break
		}
		for _, it := range out.Items {
			outcome[it.ID] = it
		}
		sent += len(batch)
		progress.Add(len(batch))
	}
	progress.Done()

	for _, s := range slots {
		it := s.done
		if it == nil {
			got, ok := outcome[s.id]
			if !ok {
				continue // not sent: interrupted, or a batch failed as a whole
			}
			it = &got
		}
		res.Items = append(res.Items, *it)
		res.Summary[it.Result]++
	}

	if len(res.Items) > 0 || stopErr == nil {
		if err := o.print(res); err != nil {
			return err
		}
		o.summarize(res, from, to)
	}
	if stopErr != nil {
		if left := len(ids) - sent; left > 0 && len(res.Items) > 0 {
			fmt.Fprintf(o.F.IOStreams.ErrOut, "Stopped with %d of %d %s not sent; run the same command again to finish.\n", left, len(ids), o.Kind.Plural)
		}
		return stopErr
	}
	if n := res.Summary[forj.ItemFailed]; n > 0 {
		return &cmdutil.PartialError{Failed: n, Total: len(res.Items)}
	}
	return nil
}

// plan lists the source's assets of the kind and selects what to send. A name that is not
// in the source is an outcome already: for a move, "unchanged" when the target has an
// asset of that kind and name (an earlier, interrupted run moved it), else not found.
func (o *TransferOptions) plan(ctx context.Context, c *client.Client, from, to *forj.Workspace) ([]slot, error) {
	byName := map[string]forj.Asset{}
	byID := map[string]forj.Asset{}
	var slots []slot
	listOpts := client.AssetListOptions{Kind: o.Kind.Name, Labels: o.Labels, ListOptions: client.ListOptions{Limit: forj.MaxLimit}}
	for a, err := range c.AllAssets(ctx, from.ID, listOpts) {
		if err != nil {
			return nil, err
		}
		if len(o.Names) > 0 {
			byName[a.Name], byID[a.ID] = a, a
		} else if matches(o.Match, a.Name) {
			slots = append(slots, slot{id: a.ID})
		}
	}
	if len(o.Names) == 0 {
		return slots, nil
	}

	seen := map[string]bool{}
	var missing []int
	for _, ref := range o.Names {
		a, ok := byName[ref]
		if !ok {
			a, ok = byID[ref]
		}
		switch {
		case ok && seen[a.ID]:
			continue
		case ok:
			seen[a.ID] = true
			slots = append(slots, slot{id: a.ID})
		default:
			missing = append(missing, len(slots))
			slots = append(slots, slot{done: &forj.TransferItem{Kind: o.Kind.Name, Name: ref, Result: forj.ItemFailed,
				Error: forj.Errorf(forj.ENotFound, "%s %q not found in workspace %s", o.Kind.Name, ref, from.Name)}})
		}
	}
	if len(missing) == 0 || o.Mode != forj.TransferMove {
		return slots, nil
	}
	// Moved already? One listing of the target answers for every missing name.
	inTarget := map[string]forj.Asset{}
	for a, err := range c.AllAssets(ctx, to.ID, client.AssetListOptions{Kind: o.Kind.Name, ListOptions: client.ListOptions{Limit: forj.MaxLimit}}) {
		if err != nil {
			return nil, err
		}
		inTarget[a.Name], inTarget[a.ID] = a, a
	}
	for _, i := range missing {
		it := slots[i].done
		if a, ok := inTarget[it.Name]; ok {
			*it = forj.TransferItem{ID: a.ID, Kind: a.Kind, Name: a.Name, Result: forj.ItemUnchanged, TargetID: a.ID}
		}
	}
	return slots, nil
}

func transferTable(k forj.KindInfo) printer.Table {
	return printer.Table{
		Columns: []printer.Column{
			{Header: "Name", Value: printer.Field(func(it forj.TransferItem) string { return it.Name })},
			{Header: "Result", Value: printer.Field(func(it forj.TransferItem) string { return it.Result })},
			{Header: "New name", Value: printer.Field(func(it forj.TransferItem) string { return it.NewName })},
			{Header: "Error", Value: printer.Field(func(it forj.TransferItem) string {
				if it.Error == nil {
					return ""
				}
				return it.Error.Message
			})},
			{Header: "ID", Wide: true, Value: printer.Field(func(it forj.TransferItem) string { return it.ID })},
			{Header: "Target ID", Wide: true, Value: printer.Field(func(it forj.TransferItem) string { return it.TargetID })},
		},
		NameOf: printer.Field(func(it forj.TransferItem) string { return it.Name }),
		Empty:  "No " + k.Plural + " selected",
	}
}

// print writes the items as a table (or names), or the whole result as one object for
// -o json, -o yaml, --jq and --template.
func (o *TransferOptions) print(res *forj.TransferResponse) error {
	opts := o.F.PrintOptions()
	switch {
	case opts.JQ != "" || opts.Template != "" || opts.Format == printer.FormatJSON || opts.Format == printer.FormatYAML:
		return printer.Print(o.F.IOStreams, opts, res, printer.Table{})
	}
	return printer.Print(o.F.IOStreams, opts, res.Items, transferTable(o.Kind))
}

// resultOrder is the order of the summary's words.
var resultOrder = []string{
	forj.ItemMoved, forj.ItemCopied, forj.ItemRenamed, forj.ItemOverwritten,
	forj.ItemUnchanged, forj.ItemSkipped, forj.ItemFailed,
}

// summaryText is "3 moved, 1 unchanged" from a summary.
func summaryText(summary map[string]int) string {
	var parts []string
	for _, w := range resultOrder {
		if n := summary[w]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, w))
		}
	}
	for _, w := range slices.Sorted(maps.Keys(summary)) { // words this version does not know
		if n := summary[w]; n > 0 && !slices.Contains(resultOrder, w) {
			parts = append(parts, fmt.Sprintf("%d %s", n, w))
		}
	}
	if len(parts) == 0 {
		return "nothing to do"
	}
	return strings.Join(parts, ", ")
}

// summarize writes the summary line on stderr.
func (o *TransferOptions) summarize(res *forj.TransferResponse, from, to *forj.Workspace) {
	cs := o.F.IOStreams.ErrColorScheme()
	mark := cs.Green("✓")
	if res.Summary[forj.ItemFailed] > 0 {
		mark = cs.Red("✗")
	}
	if o.DryRun {
		o.F.Infof("Dry run, nothing changed: %s %s from %s to %s would give: %s", o.Mode, o.Kind.Plural, from.Name, to.Name, summaryText(res.Summary))
		return
	}
	verb := map[string]string{forj.TransferMove: "Moved", forj.TransferCopy: "Copied"}[o.Mode]
	o.F.Infof("%s %s %s from %s to %s: %s", mark, verb, o.Kind.Plural, from.Name, to.Name, summaryText(res.Summary))
}
