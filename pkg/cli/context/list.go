package contextcmd

import (
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// ListOptions are the inputs of 'context list'.
type ListOptions struct {
	Factory *cmdutil.Factory
}

// Item is one context as listed; -o json/yaml print these.
type Item struct {
	Name          string `json:"name"`
	Current       bool   `json:"current"`
	Server        string `json:"server"`
	User          string `json:"user"`
	Workspace     string `json:"workspace,omitempty"` // workspace id
	WorkspaceName string `json:"workspaceName,omitempty"`
	Insecure      bool   `json:"insecure,omitempty"`
}

// NewCmdList is 'context list'.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{Factory: f}
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the contexts; the current one is marked",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return opts.Run()
		},
	}
}

// Run prints the contexts sorted by name.
func (o *ListOptions) Run() error {
	f := o.Factory
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	items := []Item{}
	for _, n := range cfg.ContextNames() {
		c := cfg.Contexts[n]
		items = append(items, Item{
			Name: n, Current: n == cfg.CurrentContext, Server: c.Server, User: c.User,
			Workspace: c.Workspace, WorkspaceName: c.WorkspaceName, Insecure: c.Insecure,
		})
	}
	return printer.Print(f.IOStreams, f.PrintOptions(), items, printer.Table{
		Columns: []printer.Column{
			{Header: "Name", Value: printer.Field(func(i Item) string { return i.Name })},
			{Header: "Server", Value: printer.Field(func(i Item) string { return i.Server })},
			{Header: "User", Value: printer.Field(func(i Item) string { return i.User })},
			{Header: "Workspace", Value: printer.Field(func(i Item) string {
				if i.WorkspaceName != "" {
					return i.WorkspaceName
				}
				return i.Workspace
			})},
			{Header: "Workspace ID", Wide: true, Value: printer.Field(func(i Item) string { return i.Workspace })},
		},
		Marker: printer.Pred(func(i Item) bool { return i.Current }),
		NameOf: printer.Field(func(i Item) string { return i.Name }),
		Empty:  "No contexts yet: run 'forjctl auth login --server URL' or 'forjctl dev'",
	})
}
