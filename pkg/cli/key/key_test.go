package key_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/cli/key"
	"github.com/forjinn/forjctl/pkg/forj"
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
