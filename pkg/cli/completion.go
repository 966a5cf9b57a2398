package cli

import (
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/spf13/cobra"
)

func newCmdCompletion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print the completion script for a shell. Completion covers commands, flags and live
names from the server (workspaces, members, roles, contexts) within a short time budget.

  bash:        source <(forjctl completion bash)      # or save to /etc/bash_completion.d/forjctl
  zsh:         forjctl completion zsh > "${fpath[1]}/_forjctl"
  fish:        forjctl completion fish > ~/.config/fish/completions/forjctl.fish
  powershell:  forjctl completion powershell | Out-String | Invoke-Expression`,
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := f.IOStreams.Out
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			default:
				return root.GenPowerShellCompletionWithDesc(out)
			}
		},
	}
}
