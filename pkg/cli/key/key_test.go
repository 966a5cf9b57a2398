package key_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/cli"
	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/key"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/forjtest"
	"github.com/forjinn/forjctl/pkg/iostreams"
)

func factory() *cmdutil.Factory {
	ios, _, _, _ := iostreams.Test()
	return &cmdutil.Factory{IOStreams: ios, Getenv: func(string) string { return "" }}
}

func TestStatus(t *testing.T) {
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Minute), now.Add(time.Minute)
	for _, tc := range []struct {
		k    forj.Token
		want string
	}{
		{forj.Token{}, key.StatusActive},
		{forj.Token{ExpiresAt: &future}, key.StatusActive},
		{forj.Token{ExpiresAt: &past}, key.StatusExpired},
		{forj.Token{RevokedAt: &past}, key.StatusRevoked},
		{forj.Token{RevokedAt: &past, ExpiresAt: &past}, key.StatusRevoked},
		{forj.Token{RevokedAt: &future}, key.StatusRotating},
		{forj.Token{RevokedAt: &future, ExpiresAt: &past}, key.StatusExpired},
	} {
		if got := key.Status(tc.k, now); got != tc.want {
			t.Errorf("Status(revoked %v, expires %v) = %s, want %s", tc.k.RevokedAt, tc.k.ExpiresAt, got, tc.want)
		}
	}
}

// TestFlags checks parsing and validation alone: runF replaces the request.
func TestFlags(t *testing.T) {
	f := factory()
	var rot *key.RotateOptions
	cmd := key.NewCmdRotate(f, func(o *key.RotateOptions) error { rot = o; return nil })
	cmd.SetArgs([]string{"ci"})
	if err := cmd.Execute(); err != nil || rot.Key != "ci" || rot.Grace != "24h" {
		t.Fatalf("rotate ci: %v, %+v", err, rot)
	}
	for _, args := range [][]string{{"ci", "--grace", "soon"}, {"ci", "--grace", "-1h"}, {}} {
		cmd := key.NewCmdRotate(f, func(*key.RotateOptions) error { t.Errorf("rotate %q ran", args); return nil })
		cmd.SetArgs(args)
		cmd.SetErr(&bytes.Buffer{})
		if err := cmd.Execute(); err == nil {
			t.Errorf("rotate %q: no error", args)
		}
	}

	var cr *key.CreateOptions
	cmd = key.NewCmdCreate(f, func(o *key.CreateOptions) error { cr = o; return nil })
	cmd.SetArgs([]string{"deploy", "--scope", "asset.read", "--scope", "asset.write", "--expires", "30d"})
	if err := cmd.Execute(); err != nil || cr.Name != "deploy" || len(cr.Scopes) != 2 || cr.Expires != "30d" {
		t.Fatalf("create: %v, %+v", err, cr)
	}
	for _, args := range [][]string{{"deploy", "--expires", "0"}, {"deploy", "--expires", "1y"}, {""}} {
		cmd := key.NewCmdCreate(f, func(*key.CreateOptions) error { t.Errorf("create %q ran", args); return nil })
		cmd.SetArgs(args)
		cmd.SetErr(&bytes.Buffer{})
		if err := cmd.Execute(); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
			t.Errorf("create %q: %v, want a usage error", args, err)
		}
	}

	// Without a terminal, revoke needs --yes.
	cmd = key.NewCmdRevoke(f, func(*key.RevokeOptions) error { t.Error("revoke ran without --yes"); return nil })
	cmd.SetArgs([]string{"ci"})
	if err := cmd.Execute(); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Errorf("revoke without --yes: %v", err)
	}
	var rv *key.RevokeOptions
	cmd = key.NewCmdRevoke(f, func(o *key.RevokeOptions) error { rv = o; return nil })
	cmd.SetArgs([]string{"ci", "--yes", "--reason", "leaked"})
	if err := cmd.Execute(); err != nil || rv.Reason != "leaked" || !rv.Yes {
		t.Errorf("revoke --yes: %v, %+v", err, rv)
	}
}

// TestRevokeConfirmsOnTerminal: a wrong name cancels (130) and revokes nothing; the key's
// name revokes it.
func TestRevokeConfirmsOnTerminal(t *testing.T) {
	srv := forjtest.New(t)
	ws, err := srv.Workspace("team")
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Options{BaseURL: srv.URL, Token: srv.OwnerToken})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.CreateKey(ctx, ws.ID, forj.CreateKeyRequest{Name: "ci"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	vars := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": dir, "FORJ_CREDENTIAL_STORE": "file", "FORJ_SERVER": srv.URL, "FORJ_TOKEN": srv.OwnerToken}
	run := func(answer string) (int, string) {
		ios, in, _, errOut := iostreams.Test()
		in.WriteString(answer)
		ios.SetStdinTTY(true)
		ios.SetStdoutTTY(true)
		ios.SetStderrTTY(true)
		code := cli.MainWith(ctx, []string{"key", "revoke", "ci", "-w", "team"}, &cmdutil.Factory{IOStreams: ios, Getenv: func(k string) string { return vars[k] }})
		return code, errOut.String()
	}
	if code, stderr := run("cj\n"); code != cmdutil.ExitInterrupted || !strings.Contains(stderr, "Type ci to confirm: ") {
		t.Fatalf("wrong answer: exit %d, stderr %q", code, stderr)
	}
	if keys, err := c.ListKeys(ctx, ws.ID, false); err != nil || len(keys) != 1 {
		t.Fatalf("after a cancelled revoke: %v, %v", keys, err)
	}
	if code, stderr := run("ci\n"); code != 0 || !strings.Contains(stderr, "Revoked key ci") {
		t.Fatalf("confirmed: exit %d, stderr %q", code, stderr)
	}
	if keys, err := c.ListKeys(ctx, ws.ID, false); err != nil || len(keys) != 0 {
		t.Fatalf("after revoking: %v, %v", keys, err)
	}
}
