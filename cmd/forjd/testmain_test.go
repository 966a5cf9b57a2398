package main

import (
	"context"
	"os"
	"testing"

	"github.com/forjinn/forjctl/pkg/cli"
	"github.com/forjinn/forjctl/pkg/iostreams"
	"github.com/forjinn/forjctl/pkg/store/pgtest"
)

// execAsEnv makes the test binary, re-executed, run as one of the real programs instead of
// the tests: "forjd" runs this package's main, "forjctl" what cmd/forjctl's main runs. The
// kill tests need real processes to SIGKILL.
const execAsEnv = "FORJ_TEST_EXEC_AS"

// TestMain runs the programs when re-executed as them; otherwise the tests, then stops the
// throwaway PostgreSQL server pgtest may have started.
func TestMain(m *testing.M) {
	switch os.Getenv(execAsEnv) {
	case "forjd":
		main()
		os.Exit(0)
	case "forjctl":
		os.Exit(cli.Main(context.Background(), os.Args[1:], iostreams.System()))
	}
	pgtest.Main(m)
}
