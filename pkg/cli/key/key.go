// Package key implements 'forjctl key': the API keys of a workspace — create, list, revoke
// and rotate (with a grace period for the old secret). A key's secret is printed once, when
// it is made, on stdout so that a script can capture it.
package key

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/forjinn/forjctl/pkg/cli/cmdutil"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/printer"
	"github.com/spf13/cobra"
)

// NewCmdKey is the 'key' command group.
func NewCmdKey(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key <command>",
		Short: "Manage the API keys of a workspace",
		Long: `Manage the API keys of a workspace: the one given with -w (name or id), else the
active workspace of the current context. External applications use a key to call the
workspace's flows; revoking it stops them at once.

A key is named by its name or its id (tok_…). Rotation makes a new key with the same name, so
while the old one is still valid two keys share a name: a name then means the newest.`,
	}
	cmd.AddCommand(
		NewCmdCreate(f, nil),
		NewCmdList(f, nil),
		NewCmdRevoke(f, nil),
		NewCmdRotate(f, nil),
	)
	return cmd
}

// Key statuses, as 'key list' shows them.
const (
	StatusActive   = "active"
	StatusExpired  = "expired"
	StatusRevoked  = "revoked"
	StatusRotating = "rotating" // replaced by a newer key, valid until its grace period ends
)

// Status is what a key is at now. The server ends a rotated key's grace period by
// scheduling its revocation: until then the key is rotating.
func Status(k forj.Token, now time.Time) string {
	switch {
	case k.RevokedAt != nil && !k.RevokedAt.After(now):
		return StatusRevoked
	case k.ExpiresAt != nil && !k.ExpiresAt.After(now):
		return StatusExpired
	case k.RevokedAt != nil:
		return StatusRotating
	}
	return StatusActive
}

// keyTable is how keys look at now.
func keyTable(now time.Time) printer.Table {
	return printer.Table{
		Columns: []printer.Column{
			{Header: "Name", Value: printer.Field(func(k forj.Token) string { return k.Name })},
			{Header: "Prefix", Value: printer.Field(func(k forj.Token) string { return k.Prefix })},
			{Header: "Created", Time: true, Value: printer.Field(func(k forj.Token) string { return printer.Time(k.CreatedAt) })},
			{Header: "Expires", Time: true, Value: printer.Field(func(k forj.Token) string { return orNever(k.ExpiresAt) })},
			{Header: "Last used", Time: true, Value: printer.Field(func(k forj.Token) string { return printer.TimePtr(k.LastUsedAt) })},
			{Header: "Status", Value: printer.Field(func(k forj.Token) string { return Status(k, now) })},
			{Header: "ID", Wide: true, Value: printer.Field(func(k forj.Token) string { return k.ID })},
			{Header: "Scopes", Wide: true, Value: printer.Field(func(k forj.Token) string { return strings.Join(k.Scopes, ",") })},
		},
		NameOf: printer.Field(func(k forj.Token) string { return k.Name }),
		Empty:  "No API keys found",
	}
}

// orNever is an expiry time for a column: "never" when there is none.
func orNever(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return printer.Time(*t)
}

const keyListHint = "see the workspace's keys with: forjctl key list"

// resolve finds a key of the workspace by id (tok_…, or its display prefix forj_key_tok_…)
// or by name. Rotation leaves two keys with one name for a while: a name then means the
// key that is not being replaced (the newest that still works).
func resolve(ctx context.Context, c *client.Client, wsID, ref string, now time.Time) (*forj.Token, error) {
	ref = strings.TrimSpace(ref)
	id := strings.TrimPrefix(ref, "forj_"+forj.TokenKey+"_")
	if _, tid, _, ok := forj.ParseToken(ref); ok {
		// A whole key was pasted: use its id, never send the secret anywhere.
		id = tid
	}
	keys, err := c.ListKeys(ctx, wsID, false)
	if err != nil {
		return nil, err
	}
	if forj.HasPrefix(id, forj.PrefixToken) {
		for _, k := range keys {
			if k.ID == id {
				return &k, nil
			}
		}
		return nil, forj.Errorf(forj.ENotFound, "key %q not found", ref).WithHint("%s", keyListHint)
	}
	// The best candidate works now (active beats rotating beats expired); among equals, the
	// newest. Two active keys of one name cannot be told apart: ask for the id.
	rank := map[string]int{StatusActive: 3, StatusRotating: 2, StatusExpired: 1}
	var best *forj.Token
	bestRank, active := 0, 0
	for i, k := range keys {
		if k.Name != ref {
			continue
		}
		r := rank[Status(k, now)]
		if r == rank[StatusActive] {
			active++
		}
		if best == nil || r > bestRank || (r == bestRank && k.CreatedAt.After(best.CreatedAt)) {
			best, bestRank = &keys[i], r
		}
	}
	switch {
	case best == nil:
		return nil, forj.Errorf(forj.ENotFound, "key %q not found", ref).WithHint("%s", keyListHint)
	case active > 1:
		return nil, forj.Errorf(forj.EInvalid, "%d active keys are named %q", active, ref).
			WithHint("name the key by its id (tok_…); %s -o wide", keyListHint)
	}
	return best, nil
}

// parseDuration reads a duration flag as the server does: a Go duration (12h, 90m) or whole
// days (90d); "0" is zero.
func parseDuration(flag, s string) (time.Duration, error) {
	bad := &cmdutil.FlagError{Err: forj.Errorf(forj.EInvalid, "--%s %q is not a duration", flag, s).
		WithHint("use days like 90d or a duration like 12h")}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, bad
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, bad
	}
	return d, nil
}

// printSecret prints a new key: the whole response with -o json, yaml, --jq or
// --template; otherwise the token alone on stdout (for `-q` and $(…)) and, on stderr, what
// was made and that the secret will not be shown again.
func printSecret(f *cmdutil.Factory, res any, tr forj.TokenResponse, done string) error {
	if f.ExplicitFormat() {
		return printer.Print(f.IOStreams, f.PrintOptions(), res, printer.Table{
			Columns: []printer.Column{
				{Header: "Name", Value: func(any) string { return tr.Token.Name }},
				{Header: "Prefix", Value: func(any) string { return tr.Token.Prefix }},
				{Header: "Secret", Value: func(any) string { return tr.Secret }},
			},
			NameOf: func(any) string { return tr.Token.Name },
		})
	}
	cs := f.IOStreams.ErrColorScheme()
	f.Infof("%s %s", cs.Green("✓"), done)
	// Always said, even with -q: the secret exists only in this output.
	fmt.Fprintf(f.IOStreams.ErrOut, "%s Copy the key now: it will not be shown again.\n", cs.Yellow("!"))
	_, err := fmt.Fprintln(f.IOStreams.Out, tr.Secret)
	return err
}
