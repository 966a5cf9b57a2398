// Package workspace implements 'forjctl workspace': create, list, get, update, delete,
// switch and current.
package workspace

import (
	"strings"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// NewCmdWorkspace is the 'workspace' command group.
func NewCmdWorkspace(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "workspace <command>",
		Aliases: []string{"ws"},
		Short:   "Create, inspect and switch workspaces",
		Long: `Workspaces isolate a team's assets, members and keys. Wherever a workspace is
expected, give its name or its id (ws_…).`,
	}
	cmd.AddCommand(
		NewCmdCreate(f, nil),
		NewCmdList(f, nil),
		NewCmdGet(f, nil),
		NewCmdUpdate(f, nil),
		NewCmdDelete(f, nil),
		NewCmdSwitch(f, nil),
		NewCmdCurrent(f, nil),
	)
	return cmd
}

// table is how workspaces look.
func table() printer.Table {
	return printer.Table{
		Columns: []printer.Column{
			{Header: "Name", Value: printer.Field(func(w forj.Workspace) string { return w.Name })},
			{Header: "Env", Value: printer.Field(func(w forj.Workspace) string { return w.Environment })},
			{Header: "Description", Value: printer.Field(func(w forj.Workspace) string { return w.Description })},
			{Header: "ID", Wide: true, Value: printer.Field(func(w forj.Workspace) string { return w.ID })},
			{Header: "Updated", Wide: true, Time: true, Value: printer.Field(func(w forj.Workspace) string { return printer.Time(w.UpdatedAt) })},
		},
		NameOf: printer.Field(func(w forj.Workspace) string { return w.Name }),
		Empty:  "No workspaces found",
	}
}

// nameArg returns args[0], or asks for it on a terminal; without one a missing name is a
// usage error.
func nameArg(f *cmdutil.Factory, args []string, question string) (string, error) {
	if len(args) > 0 {
		return args[0], nil
	}
	if !f.CanPrompt() {
		return "", cmdutil.FlagErrorf("a workspace name is required")
	}
	answer, err := f.IOStreams.Prompt(question)
	return strings.TrimSpace(answer), err
}
