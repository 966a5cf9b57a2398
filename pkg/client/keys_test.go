package client_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
)

// TestKeysLifecycle creates, lists, rotates, verifies and revokes workspace API keys
// against the real server.
func TestKeysLifecycle(t *testing.T) {
	rs := startServer(t)
	ctx := context.Background()
	ws := must[*forj.Workspace](t)(rs.owner.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "team"}))

	created := must[*forj.TokenResponse](t)(rs.owner.CreateKey(ctx, ws.ID, forj.CreateKeyRequest{
		Name: "ci", Scopes: []string{"workspace.read"}, ExpiresIn: "90d",
	}))
	if created.Token.Kind != forj.TokenKey || created.Token.ExpiresAt == nil || created.Secret == "" {
		t.Fatalf("CreateKey = %+v", created)
	}
	if kind, id, _, ok := forj.ParseToken(created.Secret); !ok || kind != forj.TokenKey || id != created.Token.ID {
		t.Fatalf("secret %q is not a key of id %s", created.Secret, created.Token.ID)
	}

	keyClient := rs.client(t, created.Secret)
	v := must[*forj.KeyVerifyResponse](t)(keyClient.VerifyKey(ctx))
	if v.KeyID != created.Token.ID || v.WorkspaceID != ws.ID || v.Name != "ci" || !slices.Equal(v.Scopes, []string{"workspace.read"}) {
		t.Errorf("VerifyKey = %+v", v)
	}
	// A personal token is not a key.
	if _, err := rs.owner.VerifyKey(ctx); forj.ErrorCode(err) != forj.EUnauthenticated {
		t.Errorf("VerifyKey with a personal token: %v, want unauthenticated", err)
	}

	rot := must[*forj.RotateKeyResponse](t)(rs.owner.RotateKey(ctx, ws.ID, created.Token.ID, forj.RotateKeyRequest{Grace: "1h"}))
	if rot.Replaced != created.Token.ID || rot.Token.Name != "ci" || !rot.OldValidUntil.After(time.Now()) {
		t.Errorf("RotateKey = %+v", rot)
	}
	newClient := rs.client(t, rot.Secret)
	if v := must[*forj.KeyVerifyResponse](t)(newClient.VerifyKey(ctx)); v.KeyID != rot.Token.ID {
		t.Errorf("new key verifies as %s, want %s", v.KeyID, rot.Token.ID)
	}
	// The old one is still valid during the grace period.
	must[*forj.KeyVerifyResponse](t)(keyClient.VerifyKey(ctx))

	keys := must[[]forj.Token](t)(rs.owner.ListKeys(ctx, ws.ID, false))
	if len(keys) != 2 || keys[0].ID != rot.Token.ID || keys[1].ID != created.Token.ID || keys[1].RevokedAt == nil {
		t.Errorf("ListKeys = %+v, want the new key, then the old one with its revocation scheduled", keys)
	}

	if err := rs.owner.RevokeKey(ctx, ws.ID, rot.Token.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := newClient.VerifyKey(ctx); forj.ErrorCode(err) != forj.EUnauthenticated {
		t.Errorf("revoked key: %v, want unauthenticated", err)
	}
	if keys := must[[]forj.Token](t)(rs.owner.ListKeys(ctx, ws.ID, false)); slices.ContainsFunc(keys, func(k forj.Token) bool { return k.ID == rot.Token.ID }) {
		t.Errorf("a revoked key is listed without includeRevoked")
	}
	if keys := must[[]forj.Token](t)(rs.owner.ListKeys(ctx, ws.ID, true)); !slices.ContainsFunc(keys, func(k forj.Token) bool { return k.ID == rot.Token.ID }) {
		t.Errorf("a revoked key is missing with includeRevoked")
	}
	if err := rs.owner.RevokeKey(ctx, ws.ID, "tok_nosuchkey", ""); !forj.IsNotFound(err) {
		t.Errorf("revoking an unknown key: %v, want not found", err)
	}
}

// TestUsageIngestAndReport checks report totals against the events sent, per environment.
func TestUsageIngestAndReport(t *testing.T) {
	rs := startServer(t)
	ctx := context.Background()
	a := must[*forj.Workspace](t)(rs.owner.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "a"}))
	b := must[*forj.Workspace](t)(rs.owner.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "b"}))
	day := time.Date(2025, 1, 10, 12, 0, 0, 0, time.UTC)
	events := map[string][]forj.UsageEvent{
		a.ID: {
			{Assistant: "bot", Environment: "prod", TokensIn: 100, TokensOut: 10, ComputeMs: 5, APICalls: 1, VoiceMinutes: 0.5, Time: day},
			{Assistant: "bot", Environment: "dev", TokensIn: 7, TokensOut: 3, APICalls: 2, Time: day.Add(time.Hour)},
			{Assistant: "helper", Environment: "prod", TokensIn: 50, TokensOut: 5, Time: day.AddDate(0, 0, 1)},
		},
		b.ID: {
			{Assistant: "bot", Environment: "prod", TokensIn: 1000, TokensOut: 100, VoiceMinutes: 2, Time: day},
		},
	}
	for wsID, evs := range events {
		k := must[*forj.TokenResponse](t)(rs.owner.CreateKey(ctx, wsID, forj.CreateKeyRequest{Name: "runtime"}))
		res := must[*forj.UsageIngestResponse](t)(rs.client(t, k.Secret).IngestUsage(ctx, forj.UsageIngestRequest{Events: evs}))
		if res.Accepted != len(evs) {
			t.Errorf("accepted %d of %d", res.Accepted, len(evs))
		}
	}
	// The expected totals, computed from the events.
	want := func(env string, wsIDs ...string) forj.UsageRow {
		var r forj.UsageRow
		for wsID, evs := range events {
			if len(wsIDs) > 0 && !slices.Contains(wsIDs, wsID) {
				continue
			}
			for _, e := range evs {
				if env != "" && e.Environment != env {
					continue
				}
				r.Events++
				r.TokensIn += e.TokensIn
				r.TokensOut += e.TokensOut
				r.ComputeMs += e.ComputeMs
				r.APICalls += e.APICalls
				r.VoiceMinutes += e.VoiceMinutes
			}
		}
		return r
	}
	sum := func(r forj.UsageRow) forj.UsageRow { r.Key, r.Label = "", ""; return r }
	since, until := day.AddDate(0, 0, -1), day.AddDate(0, 0, 5)
	for _, env := range []string{"", "prod", "dev", "staging"} {
		rep := must[*forj.UsageReport](t)(rs.owner.UsageReport(ctx, client.UsageReportOptions{Env: env, Since: since, Until: until}))
		if got := sum(rep.Total); got != want(env) {
			t.Errorf("env %q: total %+v, want %+v", env, got, want(env))
		}
		var rows forj.UsageRow
		for _, r := range rep.Rows {
			rows.Events += r.Events
			rows.TokensIn += r.TokensIn
		}
		if rows.Events != rep.Total.Events || rows.TokensIn != rep.Total.TokensIn {
			t.Errorf("env %q: rows add up to %+v, total is %+v", env, rows, rep.Total)
		}
	}
	rep := must[*forj.UsageReport](t)(rs.owner.UsageReport(ctx, client.UsageReportOptions{
		By: forj.UsageByDay, WorkspaceIDs: []string{a.ID}, Since: since, Until: until,
	}))
	if sum(rep.Total) != want("", a.ID) || len(rep.Rows) != 2 || rep.Rows[0].Key != "2025-01-10" {
		t.Errorf("by day in a: %+v", rep)
	}
	rep = must[*forj.UsageReport](t)(rs.owner.UsageReport(ctx, client.UsageReportOptions{Since: until, Until: until.Add(time.Hour)}))
	if rep.Rows == nil || len(rep.Rows) != 0 || rep.Total.Events != 0 {
		t.Errorf("an empty range: %+v", rep)
	}
}

// TestAuditSinceAscending follows a trail from after=0: oldest first, then only newer events.
func TestAuditSinceAscending(t *testing.T) {
	rs := startServer(t)
	ctx := context.Background()
	ws := must[*forj.Workspace](t)(rs.owner.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: "team"}))
	must[*forj.AddUserResponse](t)(rs.owner.AddUser(ctx, ws.ID, forj.AddUserRequest{Email: "x@example.com", Role: "viewer"}))
	var seqs []int64
	var actions []string
	for e, err := range rs.owner.AuditSince(ctx, ws.ID, client.AuditListOptions{ListOptions: client.ListOptions{Limit: 1}}, 0) {
		if err != nil {
			t.Fatal(err)
		}
		seqs, actions = append(seqs, e.Seq), append(actions, e.Action)
	}
	if !slices.IsSorted(seqs) || len(seqs) != 3 || actions[0] != "workspace.create" {
		t.Fatalf("AuditSince(0) = %v %v, want 3 events oldest first", seqs, actions)
	}
	n := 0
	for _, err := range rs.owner.AuditSince(ctx, ws.ID, client.AuditListOptions{}, seqs[1]) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 {
		t.Errorf("AuditSince(%d) gave %d events, want 1", seqs[1], n)
	}
}
