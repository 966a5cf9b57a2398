// Package role implements 'forjctl role': list (or the permission catalog), get, create and
// delete custom roles.
package role

import (
	"strconv"
	"strings"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// NewCmdRole is the 'role' command group.
func NewCmdRole(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "role <command>",
		Short: "List roles and manage custom roles",
		Long: `Roles grant permissions in a workspace. The built-in roles are viewer, tester,
developer and admin; the owner can define custom roles from the workspace permissions.`,
	}
	cmd.AddCommand(
		NewCmdList(f, nil),
		NewCmdGet(f, nil),
		NewCmdCreate(f, nil),
		NewCmdDelete(f, nil),
	)
	return cmd
}

func roleTable() printer.Table {
	return printer.Table{
		Columns: []printer.Column{
			{Header: "Name", Value: printer.Field(func(r forj.Role) string { return r.Name })},
			{Header: "Built-in", Value: printer.Field(func(r forj.Role) string { return yesNo(r.BuiltIn) })},
			{Header: "Permissions", Value: printer.Field(func(r forj.Role) string { return strconv.Itoa(len(r.Permissions)) })},
			{Header: "Description", Value: printer.Field(func(r forj.Role) string { return r.Description })},
		},
		NameOf: printer.Field(func(r forj.Role) string { return r.Name }),
		Empty:  "No roles found",
	}
}

// detailTable shows one role with its permissions spelled out.
func detailTable() printer.Table {
	t := roleTable()
	t.Columns[2] = printer.Column{Header: "Permissions", Value: printer.Field(func(r forj.Role) string { return strings.Join(r.Permissions, ",") })}
	return t
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
