package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// StatusOptions are the inputs of 'auth status'.
type StatusOptions struct {
	Factory *cmdutil.Factory
}

// Status is what 'auth status' reports; -o json prints it as is.
type Status struct {
	Context     string `json:"context"`
	Server      string `json:"server"`
	User        string `json:"user"`
	Workspace   string `json:"workspace,omitempty"`
	LoggedIn    bool   `json:"loggedIn"`
	TokenSource string `json:"tokenSource,omitempty"` // env, keyring or file
	SourceWhy   string `json:"tokenSourceDetail,omitempty"`
	Token       string `json:"token,omitempty"` // the token's display prefix, never the secret
	TokenWorks  bool   `json:"tokenWorks"`
	Problem     string `json:"problem,omitempty"`
}

// NewCmdStatus is 'auth status'.
func NewCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{Factory: f}
	return &cobra.Command{
		Use:   "status",
		Short: "Show the context, the user, where the token is stored and whether it works",
		Long: `Show the context in effect, its server and user, the active workspace, which
credential store holds the token and why, and whether the server accepts it.
Exits with 4 when not logged in or when the token no longer works.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return opts.Run(cmd.Context())
		},
	}
}

// Run gathers the status, prints it, and returns the reason when not logged in.
func (o *StatusOptions) Run(ctx context.Context) error {
	f := o.Factory
	r, err := f.Resolve()
	if err != nil {
		return err
	}
	st := &Status{Context: r.Name, Server: r.Context.Server, User: r.Context.User, Workspace: r.Context.WorkspaceName}
	if st.Workspace == "" {
		st.Workspace = r.Context.Workspace
	}
	failure := o.check(ctx, r, st)
	if err := o.print(st); err != nil {
		return err
	}
	return failure
}

// check fills in the token's source and asks the server whether the token works.
func (o *StatusOptions) check(ctx context.Context, r *cmdutil.Resolved, st *Status) error {
	f := o.Factory
	tok, src, err := f.Token(ctx, r)
	if err != nil {
		st.Problem = forj.ErrorMessage(err)
		return err
	}
	st.LoggedIn = true
	st.TokenSource, st.SourceWhy = src.Kind, src.Detail
	c, err := f.NewClient(r.Context.Server, tok, r.Context.Insecure)
	if err != nil {
		st.Problem = forj.ErrorMessage(err)
		return err
	}
	me, err := c.Me(ctx)
	if err != nil {
		var netErr *client.NetworkError
		switch {
		case errors.As(err, &netErr):
			st.Problem = "server unreachable: " + netErr.Cause()
		case forj.ErrorCode(err) == forj.EUnauthenticated:
			st.LoggedIn = false
			st.Problem = "the server does not accept the token (revoked, expired or wrong)"
			err = forj.Errorf(forj.EUnauthenticated, "%s does not accept the token of context %q", r.Context.Server, r.Name).
				WithHint("log in again with 'forjctl auth login --server %s'", r.Context.Server)
		default:
			st.Problem = forj.ErrorMessage(err)
		}
		return err
	}
	st.TokenWorks = true
	st.User = me.User.Email
	st.Token = me.Token.Prefix
	return nil
}

func (o *StatusOptions) print(st *Status) error {
	f := o.Factory
	opts := f.PrintOptions()
	if (opts.Format != "" && opts.Format != printer.FormatTable && opts.Format != printer.FormatWide) || opts.JQ != "" || opts.Template != "" {
		return printer.Print(f.IOStreams, opts, st, printer.Table{NameOf: printer.Field(func(s Status) string { return s.Context })})
	}
	cs := f.IOStreams.ColorScheme()
	var b strings.Builder
	line := func(label, value string) { fmt.Fprintf(&b, "%-11s %s\n", label+":", value) }
	name := st.Context
	if name == "" {
		name = "(none: FORJ_SERVER)"
	}
	line("Context", name)
	line("Server", st.Server)
	line("User", orNone(st.User))
	line("Workspace", orNone(st.Workspace))
	switch {
	case st.TokenSource != "":
		src := st.TokenSource
		if st.SourceWhy != "" {
			src += " (" + st.SourceWhy + ")"
		}
		line("Token", strings.TrimSpace(st.Token+" in "+src))
	default:
		line("Token", "none stored")
	}
	switch {
	case st.TokenWorks:
		line("Status", cs.Green("logged in"))
	case st.LoggedIn:
		line("Status", cs.Yellow("unknown")+": "+st.Problem)
	default:
		line("Status", cs.Red("not logged in")+": "+st.Problem)
	}
	_, err := fmt.Fprint(f.IOStreams.Out, b.String())
	return err
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
