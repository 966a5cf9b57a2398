//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
)

// shellScript is the second reference of the move benchmark: what a CI script without bulk
// moves runs — bash reading the ids from a file and starting one curl per flow, so a new
// process and a new connection per call, each a POST /api/v1/assets/transfer of one id
// (TransferRequest's JSON fields: mode, from, to, ids; from and to are workspace ids). -f
// makes curl fail on an HTTP status of 400 or more, and set -e stops the loop there.
// FORJ_SERVER, FORJ_TOKEN, A, B and IDS come from the environment.
const shellScript = `set -eu
while IFS= read -r id; do
	curl -fsS -o /dev/null -X POST "$FORJ_SERVER/api/v1/assets/transfer" \
		-H "Authorization: Bearer $FORJ_TOKEN" -H "Content-Type: application/json" \
		-d "{\"mode\":\"move\",\"from\":\"$A\",\"to\":\"$B\",\"ids\":[\"$id\"]}"
done <"$IDS"
`

// shellRun is one run of shellScript.
type shellRun struct {
	Wall time.Duration // bash, start to exit
	CPU  time.Duration // bash and every curl it started and waited for (rusage of the reaped bash)
}

// checkShellTools finds bash and curl, or says what is missing.
func checkShellTools() (curlVersion string, err error) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", fmt.Errorf("the curl-loop reference of the move benchmark needs %s, which is not installed (apt-get install %s), or run without it: -shell-ref=false (SHELL_REF=0)", tool, tool)
		}
	}
	out, err := exec.Command("curl", "--version").Output()
	if err != nil {
		return "", fmt.Errorf("curl --version: %w", err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return first, nil
}

// shellMove runs shellScript over idsFile, moving those flows from workspace id from to
// workspace id to through server (a base URL).
func shellMove(ctx context.Context, env []string, server, idsFile, from, to string) (shellRun, error) {
	var r shellRun
	cmd := exec.CommandContext(ctx, "bash", "-c", shellScript)
	cmd.Env = append(shellEnv(cliEnv(env, server)), "A="+from, "B="+to, "IDS="+idsFile)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr // stdout: /dev/null (curl writes nothing there: -o /dev/null)
	start := time.Now()
	err := cmd.Run()
	r.Wall = time.Since(start)
	if err != nil {
		return r, fmt.Errorf("the curl loop: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return r, nil
}

// shellEnv is env without what would send curl elsewhere than 127.0.0.1 or change what it
// does: proxy variables and CURL_HOME (HOME is the benchmark's own, with no .curlrc).
func shellEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToLower(k) {
		case "http_proxy", "https_proxy", "all_proxy", "no_proxy", "curl_home":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// writeIDs writes one id per line.
func writeIDs(file string, ids []string) error {
	return os.WriteFile(file, []byte(strings.Join(ids, "\n")+"\n"), 0o600)
}

// transferRest moves ids from one workspace to the other in batches, untimed: after a curl
// loop over a subset, the flows it did not move follow, so that every run starts with all
// of them in one workspace.
func transferRest(ctx context.Context, c *client.Client, ids []string, from, to string) error {
	for len(ids) > 0 {
		n := min(len(ids), forj.MaxTransferItems)
		if _, err := c.Transfer(ctx, forj.TransferRequest{Mode: forj.TransferMove, From: from, To: to, IDs: ids[:n]}); err != nil {
			return fmt.Errorf("moving the rest of the flows: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}
