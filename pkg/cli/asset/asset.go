// Package asset implements the asset command groups — 'forjctl flow', 'agent', 'tool',
// 'dataset', 'credential' and 'integration' — from the one table of kinds, forj.Kinds():
// one implementation, six groups. Every group has list, get, create, update, delete, move
// and copy (transfer.go); datasets also have upload, download and documents (dataset.go).
package asset

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// Groups returns one command-group constructor per asset kind, in the order of forj.Kinds().
func Groups() []func(*cmdutil.Factory) *cobra.Command {
	var out []func(*cmdutil.Factory) *cobra.Command
	for _, k := range forj.Kinds() {
		out = append(out, func(f *cmdutil.Factory) *cobra.Command { return NewCmdKind(f, k) })
	}
	return out
}

// NewCmdKind is the command group of one asset kind.
func NewCmdKind(f *cmdutil.Factory, k forj.KindInfo) *cobra.Command {
	long := fmt.Sprintf(`Manage the %s of a workspace: the one given with -w (name or id), else the active
workspace of the current context. A %s is named by its name (unique in the workspace) or
its id (ast_…).

Move and copy %s between workspaces with '%s move' and '%s copy'.`, k.Plural, k.Name, k.Plural, k.Name, k.Name)
	if k.Secret {
		long += fmt.Sprintf(`

A %s's secret data is write-only: it is given in the file of 'create' or 'update' and
is never shown again, not even with -o json (hasSecret says whether there is some).`, k.Name)
	}
	if k.Document {
		long += fmt.Sprintf(`

A %s holds documents (files): 'upload' and 'download' stream them, however large,
and 'documents' lists them.`, k.Name)
	}
	cmd := &cobra.Command{
		Use:   k.Name + " <command>",
		Short: k.Short,
		Long:  long,
	}
	cmd.AddCommand(
		NewCmdList(f, k, nil),
		NewCmdGet(f, k, nil),
		NewCmdCreate(f, k, nil),
		NewCmdUpdate(f, k, nil),
		NewCmdDelete(f, k, nil),
		NewCmdMove(f, k, nil),
		NewCmdCopy(f, k, nil),
	)
	if k.Document {
		cmd.AddCommand(
			NewCmdUpload(f, k, nil),
			NewCmdDownload(f, k, nil),
			NewCmdDocuments(f, k, nil),
		)
	}
	return cmd
}

// assetTable is how assets of a kind look as a table.
func assetTable(k forj.KindInfo) printer.Table {
	cols := []printer.Column{
		{Header: "Name", Value: printer.Field(func(a forj.Asset) string { return a.Name })},
		{Header: "Description", Value: printer.Field(func(a forj.Asset) string { return a.Description })},
		{Header: "Labels", Value: printer.Field(func(a forj.Asset) string { return formatLabels(a.Labels) })},
	}
	if k.Secret {
		cols = append(cols, printer.Column{Header: "Secret", Value: printer.Field(func(a forj.Asset) string {
			if a.HasSecret {
				return "yes"
			}
			return "no"
		})})
	}
	cols = append(cols,
		printer.Column{Header: "Version", Value: printer.Field(func(a forj.Asset) string { return strconv.FormatInt(a.Version, 10) })},
		printer.Column{Header: "Updated", Time: true, Value: printer.Field(func(a forj.Asset) string { return printer.Time(a.UpdatedAt) })},
		printer.Column{Header: "ID", Wide: true, Value: printer.Field(func(a forj.Asset) string { return a.ID })},
		printer.Column{Header: "Origin", Wide: true, Value: printer.Field(func(a forj.Asset) string { return a.Origin })},
	)
	return printer.Table{
		Columns: cols,
		NameOf:  printer.Field(func(a forj.Asset) string { return a.Name }),
		Empty:   "No " + k.Plural + " found",
	}
}

// formatLabels writes labels as k=v pairs sorted by key, comma-separated.
func formatLabels(l map[string]string) string {
	keys := slices.Sorted(maps.Keys(l))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + l[k]
	}
	return strings.Join(parts, ",")
}

// parseLabels reads repeated --label k=v flags.
func parseLabels(flags []string) (map[string]string, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, s := range flags {
		k, v, err := forj.ParseLabelSelector(s)
		if err != nil {
			return nil, &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "--%s", err.Error()).
				WithHint("write a label as key=value, e.g. --label team=support")}
		}
		out[k] = v
	}
	return out, nil
}

// resolve finds an asset of kind k in the workspace in effect; a name that is elsewhere
// gets the client's "it is in workspace X" error.
func resolve(ctx context.Context, c *client.Client, wsID string, k forj.KindInfo, ref string) (*forj.Asset, error) {
	return c.ResolveAsset(ctx, wsID, k.Name, ref)
}

// completeNames completes the names of the assets of a kind for positional arguments.
func completeNames(f *cmdutil.Factory, k forj.KindInfo) cobra.CompletionFunc {
	return complete.Assets(f, k.Name)
}
