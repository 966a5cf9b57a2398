package user

import (
	"fmt"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/complete"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// AddOptions are the inputs of 'user add'.
type AddOptions struct {
	F   *cmdutil.Factory
	Cmd *cobra.Command

	Member   string // email or user id; empty with FromFile
	Role     string
	FromFile string // CSV of email,role[,workspace]; "-" is stdin
}

// NewCmdAdd builds 'user add'.
func NewCmdAdd(f *cmdutil.Factory, runF func(*AddOptions) error) *cobra.Command {
	opts := &AddOptions{F: f}
	cmd := &cobra.Command{
		Use:   "add EMAIL --role ROLE | --from-file FILE",
		Short: "Add a member to the workspace (inviting unknown emails)",
		Long: `Add a member to the workspace with a role. An email that has no account yet is
invited: the one-time invite code is printed once on stdout, for the new user to log in
with 'forjctl auth login --invite CODE'.

With --from-file, add many members from a CSV file with the columns email,role and an
optional workspace (name or id; default: -w or the active workspace). A header row is
optional; with one, the columns may come in any order. Every row is checked before any is
applied; then the good rows are applied one by one. The command exits with 7 when some rows
failed; -o json prints one result per row.`,
		Example: `  forjctl user add ada@example.com --role developer -w support-bots
  forjctl user add --from-file members.csv -o json`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Cmd = cmd
			if len(args) == 1 {
				opts.Member = args[0]
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
	fl.StringVarP(&opts.Role, "role", "r", "", "role in the workspace: viewer, tester, developer, admin or a custom role")
	fl.StringVar(&opts.FromFile, "from-file", "", "add the members listed in a CSV file (email,role[,workspace]); - reads stdin")
	_ = cmd.RegisterFlagCompletionFunc("role", complete.Roles(f))
	_ = cmd.MarkFlagFilename("from-file", "csv")
	return cmd
}

// Validate checks the arguments' form before any request.
func (o *AddOptions) Validate() error {
	switch {
	case o.FromFile != "" && o.Member != "":
		return cmdutil.FlagErrorf("give either EMAIL or --from-file, not both")
	case o.FromFile != "":
		if o.Role != "" {
			if err := forj.ValidateRoleName(o.Role); err != nil {
				return &cmdutil.FlagError{Err: err}
			}
		}
		return nil
	case o.Member == "":
		return cmdutil.FlagErrorf("an email is required (or --from-file FILE)")
	case o.Role == "":
		return &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "--role is required").
			WithHint("e.g. --role viewer; see the roles with 'forjctl role list'")}
	}
	if _, _, err := memberRef(o.Member); err != nil {
		return &cmdutil.FlagError{Err: err}
	}
	if err := forj.ValidateRoleName(o.Role); err != nil {
		return &cmdutil.FlagError{Err: err}
	}
	return nil
}

// Run adds one member, or the file's.
func (o *AddOptions) Run() error {
	if o.FromFile != "" {
		return o.runBulk()
	}
	ctx := o.Cmd.Context()
	c, w, err := o.F.WorkspaceClient(ctx)
	if err != nil {
		return err
	}
	userID, email, _ := memberRef(o.Member)
	res, err := c.AddUser(ctx, w.ID, forj.AddUserRequest{UserID: userID, Email: email, Role: o.Role})
	if err != nil {
		return err
	}
	if o.F.ExplicitFormat() {
		return printer.Print(o.F.IOStreams, o.F.PrintOptions(), res, printer.Table{
			Columns: []printer.Column{
				{Header: "Email", Value: printer.Field(func(r forj.AddUserResponse) string { return r.Member.Email })},
				{Header: "Role", Value: printer.Field(func(r forj.AddUserResponse) string { return r.Member.Role })},
				{Header: "Status", Value: printer.Field(func(r forj.AddUserResponse) string { return r.Member.Status })},
				{Header: "Invite code", Value: printer.Field(func(r forj.AddUserResponse) string { return r.InviteCode })},
			},
			NameOf: printer.Field(func(r forj.AddUserResponse) string { return r.Member.Email }),
		})
	}
	cs := o.F.IOStreams.ErrColorScheme()
	if res.Invited {
		// The code goes to stdout (a script captures it); the explanation to stderr. Shown
		// once: the server keeps only its hash.
		fmt.Fprintf(o.F.IOStreams.ErrOut, "%s Invited %s to workspace %s as %s. Give them this one-time invite code\n"+
			"(shown only now) to log in with:\n  forjctl auth login --server %s --email %s --invite CODE\n",
			cs.Green("✓"), res.Member.Email, w.Name, res.Member.Role, c.BaseURL(), res.Member.Email)
		fmt.Fprintln(o.F.IOStreams.Out, res.InviteCode)
		return nil
	}
	o.F.Infof("%s Added %s to workspace %s as %s", cs.Green("✓"), res.Member.Email, w.Name, res.Member.Role)
	return nil
}
