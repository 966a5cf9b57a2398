package usage_test

import (
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/usage"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/iostreams"
)

// TestFlags checks parsing and validation alone: runF replaces the request.
func TestFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	ios.SetNow(func() time.Time { return time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC) })
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(string) string { return "" }}

	var got *usage.Options
	cmd := usage.NewCmdReport(f, func(o *usage.Options) error { got = o; return nil })
	cmd.SetArgs([]string{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.By != forj.UsageByWorkspace || got.Since != "30d" || got.AllWorkspaces || got.CSV {
		t.Errorf("defaults: %+v", got)
	}

	// -o csv is taken off the global flags before the generic output validation.
	f.Flags.Output = "csv"
	cmd = usage.NewCmdReport(f, func(o *usage.Options) error { got = o; return nil })
	cmd.SetArgs([]string{"-A", "--by", "day", "--env", "prod"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !got.CSV || f.Flags.Output != "" || got.By != "day" || got.Env != "prod" || !got.AllWorkspaces {
		t.Errorf("-o csv: %+v, output flag %q", got, f.Flags.Output)
	}

	for _, args := range [][]string{{"--by", "week"}, {"--since", "later"}, {"--since", "1d", "--until", "2d"}} {
		f.Flags.Output = ""
		cmd := usage.NewCmdReport(f, func(*usage.Options) error { t.Errorf("%q ran", args); return nil })
		cmd.SetArgs(args)
		if err := cmd.Execute(); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}
