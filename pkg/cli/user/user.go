// Package user implements 'forjctl user': add (one, or many from a CSV file), remove, list
// and set-role, on the members of a workspace.
package user

import (
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// NewCmdUser is the 'user' command group.
func NewCmdUser(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user <command>",
		Short: "Manage the members of a workspace",
		Long: `Manage the members of a workspace: the one given with -w (name or id), else the
active workspace of the current context. A member is named by email or user id (usr_…).`,
	}
	cmd.AddCommand(
		NewCmdAdd(f, nil),
		NewCmdRemove(f, nil),
		NewCmdList(f, nil),
		NewCmdSetRole(f, nil),
	)
	return cmd
}

// memberTable is how members look.
func memberTable() printer.Table {
	return printer.Table{
		Columns: []printer.Column{
			{Header: "Email", Value: printer.Field(func(m forj.Member) string { return m.Email })},
			{Header: "Name", Value: printer.Field(func(m forj.Member) string { return m.Name })},
			{Header: "Role", Value: printer.Field(func(m forj.Member) string { return m.Role })},
			{Header: "Status", Value: printer.Field(func(m forj.Member) string { return m.Status })},
			{Header: "User ID", Wide: true, Value: printer.Field(func(m forj.Member) string { return m.UserID })},
			{Header: "Added", Wide: true, Time: true, Value: printer.Field(func(m forj.Member) string { return printer.Time(m.CreatedAt) })},
		},
		NameOf: printer.Field(func(m forj.Member) string { return m.Email }),
		Empty:  "No members found",
	}
}

// memberRef turns an email or a user id into the fields of an add or remove request.
func memberRef(s string) (userID, email string, err error) {
	if forj.HasPrefix(s, forj.PrefixUser) {
		return s, "", nil
	}
	email, err = forj.NormalizeEmail(s)
	if err != nil {
		return "", "", forj.Errorf(forj.EInvalid, "%q is neither an email address nor a user id", s).
			WithHint("name a member by email, e.g. ada@example.com, or by user id (usr_…)")
	}
	return "", email, nil
}
