// Command benchcobra is the start-up reference for scripts/bench-cli.sh: the least a cobra
// program can do to answer "version" — a bare root command with one version subcommand, no
// config, no flags of its own, no other packages. forjctl's start-up budget (design §11) is
// judged against this floor.
package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{
		Use:           "benchcobra",
		Short:         "A bare cobra binary for start-up benchmarks",
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "benchcobra dev %s/%s\n", runtime.GOOS, runtime.GOARCH)
		},
	})
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
