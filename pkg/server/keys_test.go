package server

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/authz"
	"github.com/forjinn/forjctl/pkg/forj"
)

// keyEnv: workspaces A and B, an admin of A (the keys' creator) with its token.
type keyEnv struct {
	*env
	a, b       *forj.Workspace
	admin      *forj.User
	adminToken string
}

func newKeyEnv(t *testing.T, sk storeKind) *keyEnv {
	e := newEnvOn(t, sk)
	k := &keyEnv{env: e, a: e.newWorkspace("alpha"), b: e.newWorkspace("bravo")}
	k.admin, k.adminToken = e.newUser("admin@example.com")
	e.addMember(k.a.ID, k.admin.ID, authz.RoleAdmin)
	return k
}

// createKey creates a key in A through the API.
func (k *keyEnv) createKey(token string, req forj.CreateKeyRequest) forj.TokenResponse {
	k.t.Helper()
	var tr forj.TokenResponse
	k.must(201, k.do("POST", "/api/v1/workspace/"+k.a.ID+"/keys", token, req)).decode(k.t, &tr)
	return tr
}

func TestKeyCreateAndList(t *testing.T) { forEachStore(t, testKeyCreateAndList) }

func testKeyCreateAndList(t *testing.T, sk storeKind) {
	k := newKeyEnv(t, sk)
	tr := k.createKey(k.adminToken, forj.CreateKeyRequest{Name: "runtime", ExpiresIn: "90d"})
	admin, _ := authz.Builtin(authz.RoleAdmin)
	if kind, id, _, ok := forj.ParseToken(tr.Secret); !ok || kind != forj.TokenKey || id != tr.Token.ID || !forj.HasPrefix(id, forj.PrefixToken) {
		t.Errorf("secret %q does not name key %s", tr.Secret, tr.Token.ID)
	}
	if tr.Token.Kind != forj.TokenKey || tr.Token.WorkspaceID != k.a.ID || tr.Token.UserID != k.admin.ID ||
		!slices.Equal(tr.Token.Scopes, admin.Permissions) || tr.Token.ExpiresAt == nil ||
		!tr.Token.ExpiresAt.Equal(k.clock.Now().Add(90*24*time.Hour)) {
		t.Errorf("key = %+v", tr.Token)
	}
	// Only the HMAC is stored.
	k.view(func(tx forj.Tx) error {
		tok, err := tx.GetToken(tr.Token.ID)
		if err == nil && tok.SecretHash == tr.Secret[strings.LastIndexByte(tr.Secret, '_')+1:] {
			t.Error("the secret is stored in clear")
		}
		return err
	})
	var l forj.List[forj.Token]
	k.must(200, k.do("GET", "/api/v1/workspace/"+k.a.ID+"/keys", k.adminToken, nil)).decode(t, &l)
	if len(l.Data) != 1 || l.Data[0].ID != tr.Token.ID || strings.Contains(k.do("GET", "/api/v1/workspace/"+k.a.ID+"/keys", k.adminToken, nil).String(), tr.Secret) {
		t.Errorf("keys = %+v", l.Data)
	}
	// Audited, naming the key, never its secret.
	evs := k.audit("key.create")
	if len(evs) != 1 || evs[0].TargetID != tr.Token.ID || evs[0].WorkspaceID != k.a.ID || strings.Contains(string(evs[0].Changes), tr.Secret[strings.LastIndexByte(tr.Secret, '_')+1:]) {
		t.Errorf("key.create events = %+v", evs)
	}
	// Bad input.
	for _, body := range []string{`{"name":""}`, `{"name":"x","scopes":["nope"]}`, `{"name":"x","scopes":["user.write"]}`, `{"name":"x","expiresIn":"-1d"}`} {
		if r := k.do("POST", "/api/v1/workspace/"+k.a.ID+"/keys", k.adminToken, body); r.Code != 400 {
			t.Errorf("create %s: %d %s, want 400", body, r.Code, r.Body)
		}
	}
}

func TestKeyScopesAtMostCreatorsPermissions(t *testing.T) {
	forEachStore(t, testKeyScopesAtMostCreatorsPermissions)
}

func testKeyScopesAtMostCreatorsPermissions(t *testing.T, sk storeKind) {
	k := newKeyEnv(t, sk)
	k.update(func(tx forj.Tx) error {
		return tx.CreateRole(&forj.Role{Name: "keymaster", Permissions: []string{authz.WorkspaceRead, authz.KeyRead, authz.KeyWrite}})
	})
	km, kmToken := k.newUser("km@example.com")
	k.addMember(k.a.ID, km.ID, "keymaster")
	path := "/api/v1/workspace/" + k.a.ID + "/keys"

	// A scope the creator does not hold: 403 naming it, audited.
	r := k.must(403, k.do("POST", path, kmToken, forj.CreateKeyRequest{Name: "wide", Scopes: []string{authz.WorkspaceRead, authz.AssetWrite}}))
	if !strings.Contains(r.String(), authz.AssetWrite) {
		t.Errorf("403 does not name the scope: %s", r.Body)
	}
	if evs := k.audit("access.denied"); len(evs) != 1 || !strings.Contains(string(evs[0].Changes), authz.AssetWrite) {
		t.Errorf("denial events = %+v", evs)
	}
	// Default scopes: all of the creator's permissions.
	tr := k.createKey(kmToken, forj.CreateKeyRequest{Name: "mine"})
	if !slices.Equal(tr.Token.Scopes, []string{authz.KeyRead, authz.KeyWrite, authz.WorkspaceRead}) {
		t.Errorf("default scopes = %v", tr.Token.Scopes)
	}

	// A key with key.write manages keys, never beyond its own effective permissions.
	narrow := k.createKey(k.adminToken, forj.CreateKeyRequest{Name: "narrow", Scopes: []string{authz.KeyWrite, authz.WorkspaceRead}})
	k.must(403, k.do("POST", path, narrow.Secret, forj.CreateKeyRequest{Name: "x", Scopes: []string{authz.MemberWrite}}))
	child := k.createKey(narrow.Secret, forj.CreateKeyRequest{Name: "child"})
	if !slices.Equal(child.Token.Scopes, []string{authz.KeyWrite, authz.WorkspaceRead}) || child.Token.UserID != k.admin.ID {
		t.Errorf("child key = %+v", child.Token)
	}
	// …nor rotate a broader key into its own hands.
	full := k.createKey(k.adminToken, forj.CreateKeyRequest{Name: "full"})
	k.must(403, k.do("POST", path+"/"+full.Token.ID+"/rotate", narrow.Secret, nil))
	// A key without key.write manages nothing.
	ro := k.createKey(k.adminToken, forj.CreateKeyRequest{Name: "ro", Scopes: []string{authz.WorkspaceRead}})
	k.must(403, k.do("POST", path, ro.Secret, forj.CreateKeyRequest{Name: "x"}))
	k.must(403, k.do("DELETE", path+"/"+full.Token.ID, ro.Secret, nil))
}

func TestKeyNarrowedWhenCreatorDemoted(t *testing.T) {
	forEachStore(t, testKeyNarrowedWhenCreatorDemoted)
}

func testKeyNarrowedWhenCreatorDemoted(t *testing.T, sk storeKind) {
	k := newKeyEnv(t, sk)
	tr := k.createKey(k.adminToken, forj.CreateKeyRequest{Name: "runtime"})
	ws := "/api/v1/workspace/" + k.a.ID
	k.must(200, k.do("PATCH", ws, tr.Secret, `{"description":"by key"}`))
	k.must(200, k.do("GET", ws+"/keys", tr.Secret, nil))

	// The owner demotes the creator: the key is narrowed on its very next request.
	k.must(200, k.do("PATCH", ws+"/members/"+k.admin.ID, k.ownerToken, forj.SetMemberRoleRequest{Role: authz.RoleViewer}))
	k.must(403, k.do("PATCH", ws, tr.Secret, `{"description":"again"}`))
	k.must(403, k.do("GET", ws+"/keys", tr.Secret, nil))
	k.must(200, k.do("GET", ws, tr.Secret, nil))
	var v forj.KeyVerifyResponse
	k.must(200, k.do("GET", "/api/v1/keys/verify", tr.Secret, nil)).decode(t, &v)
	viewer, _ := authz.Builtin(authz.RoleViewer)
	if !slices.Equal(v.Scopes, viewer.Permissions) {
		t.Errorf("effective scopes after demotion = %v, want %v", v.Scopes, viewer.Permissions)
	}
	// Promoted again, the key gets back what its scopes allow; removed, it stops.
	k.must(200, k.do("PATCH", ws+"/members/"+k.admin.ID, k.ownerToken, forj.SetMemberRoleRequest{Role: authz.RoleAdmin}))
	k.must(200, k.do("PATCH", ws, tr.Secret, `{"description":"back"}`))
	k.must(200, k.do("POST", ws+"/remove-user", k.ownerToken, forj.RemoveUserRequest{UserID: k.admin.ID}))
	k.must(404, k.do("GET", ws, tr.Secret, nil))
}

func TestKeyCannotSeeOtherWorkspace(t *testing.T) { forEachStore(t, testKeyCannotSeeOtherWorkspace) }

func testKeyCannotSeeOtherWorkspace(t *testing.T, sk storeKind) {
	k := newKeyEnv(t, sk)
	k.addMember(k.b.ID, k.admin.ID, authz.RoleAdmin) // the creator is admin of both
	tr := k.createKey(k.adminToken, forj.CreateKeyRequest{Name: "runtime"})
	b := "/api/v1/workspace/" + k.b.ID
	for _, rq := range []struct{ method, path, body string }{
		{"GET", b, ""},
		{"GET", b + "/members", ""},
		{"GET", b + "/keys", ""},
		{"POST", b + "/keys", `{"name":"x"}`},
		{"GET", b + "/audit", ""},
		{"GET", "/api/v1/usage/report?workspace=" + k.b.ID, ""},
	} {
		var body any
		if rq.body != "" {
			body = rq.body
		}
		if r := k.do(rq.method, rq.path, tr.Secret, body); r.Code != 404 || strings.Contains(r.String(), "bravo") {
			t.Errorf("%s %s with a key of A: %d %s, want 404", rq.method, rq.path, r.Code, r.Body)
		}
	}
	var l forj.List[forj.Workspace]
	k.must(200, k.do("GET", "/api/v1/workspaces", tr.Secret, nil)).decode(t, &l)
	if len(l.Data) != 1 || l.Data[0].ID != k.a.ID {
		t.Errorf("a key of A lists %+v", l.Data)
	}
	// A key of B is not found in A's key routes either.
	var bk forj.TokenResponse
	k.must(201, k.do("POST", b+"/keys", k.adminToken, forj.CreateKeyRequest{Name: "b"})).decode(t, &bk)
	k.must(404, k.do("DELETE", "/api/v1/workspace/"+k.a.ID+"/keys/"+bk.Token.ID, k.adminToken, nil))
	k.must(404, k.do("POST", "/api/v1/workspace/"+k.a.ID+"/keys/"+bk.Token.ID+"/rotate", k.adminToken, nil))
}

func TestKeyRevokedIsRefusedOnTheNextRequest(t *testing.T) {
	forEachStore(t, testKeyRevokedIsRefusedOnTheNextRequest)
}

func testKeyRevokedIsRefusedOnTheNextRequest(t *testing.T, sk storeKind) {
	k := newKeyEnv(t, sk)
	tr := k.createKey(k.adminToken, forj.CreateKeyRequest{Name: "runtime"})
	k.must(200, k.do("GET", "/api/v1/keys/verify", tr.Secret, nil)) // cached now
	k.must(204, k.do("DELETE", "/api/v1/workspace/"+k.a.ID+"/keys/"+tr.Token.ID+"?reason=leaked+in+CI", k.adminToken, nil))
	if r := k.do("GET", "/api/v1/keys/verify", tr.Secret, nil); r.Code != 401 || r.errCode() != forj.EUnauthenticated {
		t.Errorf("revoked key: %d %s, want 401", r.Code, r.Body)
	}
	evs := k.audit("key.revoke")
	if len(evs) != 1 || evs[0].TargetID != tr.Token.ID || !strings.Contains(string(evs[0].Changes), "leaked in CI") {
		t.Errorf("key.revoke events = %+v", evs)
	}
	// Again: nothing changes; the list leaves it out unless asked.
	k.must(204, k.do("DELETE", "/api/v1/workspace/"+k.a.ID+"/keys/"+tr.Token.ID, k.adminToken, nil))
	var l forj.List[forj.Token]
	k.must(200, k.do("GET", "/api/v1/workspace/"+k.a.ID+"/keys", k.adminToken, nil)).decode(t, &l)
	if len(l.Data) != 0 {
		t.Errorf("revoked key still listed: %+v", l.Data)
	}
	k.must(200, k.do("GET", "/api/v1/workspace/"+k.a.ID+"/keys?all=true", k.adminToken, nil)).decode(t, &l)
	if len(l.Data) != 1 || l.Data[0].RevokedAt == nil {
		t.Errorf("?all=true = %+v", l.Data)
	}
}

func TestKeyRotationGrace(t *testing.T) { forEachStore(t, testKeyRotationGrace) }

func testKeyRotationGrace(t *testing.T, sk storeKind) {
	k := newKeyEnv(t, sk)
	old := k.createKey(k.adminToken, forj.CreateKeyRequest{Name: "runtime", Scopes: []string{authz.WorkspaceRead, authz.UsageWrite}, ExpiresIn: "30d"})
	k.clock.Advance(24 * time.Hour)
	path := "/api/v1/workspace/" + k.a.ID + "/keys/" + old.Token.ID + "/rotate"
	var rot forj.RotateKeyResponse
	k.must(201, k.do("POST", path, k.adminToken, forj.RotateKeyRequest{Grace: "2h"}, "Idempotency-Key", "rot-1")).decode(t, &rot)
	now := k.clock.Now()
	if rot.Replaced != old.Token.ID || rot.Token.ID == old.Token.ID || rot.Token.Name != "runtime" ||
		!slices.Equal(rot.Token.Scopes, old.Token.Scopes) || !rot.OldValidUntil.Equal(now.Add(2*time.Hour)) ||
		rot.Token.ExpiresAt == nil || !rot.Token.ExpiresAt.Equal(now.Add(30*24*time.Hour)) {
		t.Errorf("rotate = %+v", rot)
	}
	// A replay gives the same answer without the secret.
	var replay forj.RotateKeyResponse
	r := k.must(201, k.do("POST", path, k.adminToken, forj.RotateKeyRequest{Grace: "2h"}, "Idempotency-Key", "rot-1"))
	r.decode(t, &replay)
	if replay.Token.ID != rot.Token.ID || replay.Secret != "" || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay = %+v", replay)
	}

	verify := func(secret string) int { return k.do("GET", "/api/v1/keys/verify", secret, nil).Code }
	if verify(old.Secret) != 200 || verify(rot.Secret) != 200 {
		t.Fatal("both keys should work inside the grace period")
	}
	k.clock.Advance(2*time.Hour - time.Second)
	if verify(old.Secret) != 200 {
		t.Error("old key refused a second before the grace period ends")
	}
	k.clock.Advance(time.Second)
	if c := verify(old.Secret); c != 401 {
		t.Errorf("old key after the grace period: %d, want 401", c)
	}
	if verify(rot.Secret) != 200 {
		t.Error("new key refused")
	}
	evs := k.audit("key.rotate")
	if len(evs) != 1 || evs[0].TargetID != old.Token.ID || !strings.Contains(string(evs[0].Changes), rot.Token.ID) {
		t.Errorf("key.rotate events = %+v", evs)
	}

	// Grace 0 revokes at once; beyond the maximum is invalid; a revoked key cannot rotate.
	path = "/api/v1/workspace/" + k.a.ID + "/keys/" + rot.Token.ID + "/rotate"
	k.must(400, k.do("POST", path, k.adminToken, forj.RotateKeyRequest{Grace: "31d"}))
	k.must(400, k.do("POST", path, k.adminToken, forj.RotateKeyRequest{Grace: "-1h"}))
	var rot2 forj.RotateKeyResponse
	k.must(201, k.do("POST", path, k.adminToken, forj.RotateKeyRequest{Grace: "0"})).decode(t, &rot2)
	if c := verify(rot.Secret); c != 401 || !rot2.OldValidUntil.Equal(k.clock.Now()) {
		t.Errorf("grace 0: old key %d (want 401), oldValidUntil %v", c, rot2.OldValidUntil)
	}
	k.must(409, k.do("POST", path, k.adminToken, nil))
}

func TestKeyExpired(t *testing.T) { forEachStore(t, testKeyExpired) }

func testKeyExpired(t *testing.T, sk storeKind) {
	k := newKeyEnv(t, sk)
	tr := k.createKey(k.adminToken, forj.CreateKeyRequest{Name: "short", ExpiresIn: "1h"})
	k.must(200, k.do("GET", "/api/v1/keys/verify", tr.Secret, nil))
	k.clock.Advance(time.Hour)
	if r := k.do("GET", "/api/v1/workspace/"+k.a.ID, tr.Secret, nil); r.Code != 401 {
		t.Fatalf("expired key: %d %s, want 401", r.Code, r.Body)
	}
	evs := k.audit("key.expired_use")
	secret := tr.Secret[strings.LastIndexByte(tr.Secret, '_')+1:]
	if len(evs) != 1 || evs[0].TargetID != tr.Token.ID || evs[0].WorkspaceID != k.a.ID || evs[0].Result != forj.ResultDenied ||
		strings.Contains(string(evs[0].Changes), secret) {
		t.Errorf("key.expired_use events = %+v", evs)
	}
	// Visible in the workspace's own trail, to its admins.
	var l forj.List[forj.AuditEvent]
	k.must(200, k.do("GET", "/api/v1/workspace/"+k.a.ID+"/audit?action=key.expired_use", k.adminToken, nil)).decode(t, &l)
	if len(l.Data) != 1 {
		t.Errorf("workspace trail has %d key.expired_use events, want 1", len(l.Data))
	}
}

func TestKeyVerify(t *testing.T) { forEachStore(t, testKeyVerify) }

func testKeyVerify(t *testing.T, sk storeKind) {
	k := newKeyEnv(t, sk)
	tr := k.createKey(k.adminToken, forj.CreateKeyRequest{Name: "runtime", Scopes: []string{authz.UsageWrite, authz.WorkspaceRead}, ExpiresIn: "10d"})
	var v forj.KeyVerifyResponse
	k.must(200, k.do("GET", "/api/v1/keys/verify", tr.Secret, nil)).decode(t, &v)
	if v.KeyID != tr.Token.ID || v.Name != "runtime" || v.WorkspaceID != k.a.ID || !slices.Equal(v.Scopes, []string{authz.UsageWrite, authz.WorkspaceRead}) ||
		v.ExpiresAt == nil {
		t.Errorf("verify = %+v", v)
	}
	r := k.must(401, k.do("GET", "/api/v1/keys/verify", k.adminToken, nil))
	if !strings.Contains(r.String(), "not a workspace API key") {
		t.Errorf("a personal token on verify: %s", r.Body)
	}
	k.must(401, k.do("GET", "/api/v1/keys/verify", tr.Secret[:len(tr.Secret)-1]+"x", nil))
}

func TestUsageIngestAndReport(t *testing.T) { forEachStore(t, testUsageIngestAndReport) }

func testUsageIngestAndReport(t *testing.T, sk storeKind) {
	k := newKeyEnv(t, sk)
	dev, devToken := k.newUser("dev@example.com")
	k.addMember(k.b.ID, dev.ID, authz.RoleDeveloper)
	keyA := k.createKey(k.adminToken, forj.CreateKeyRequest{Name: "a"}).Secret
	var kb forj.TokenResponse
	k.must(201, k.do("POST", "/api/v1/workspace/"+k.b.ID+"/keys", k.ownerToken, forj.CreateKeyRequest{Name: "b"})).decode(t, &kb)

	// Random events over two workspaces, three environments and the last ten days; the
	// expected sums are computed here, independently of the store's SQL.
	rng := rand.New(rand.NewPCG(1, 2))
	envs := []string{"dev", "staging", "prod"}
	now := k.clock.Now()
	type sums struct {
		n, in, out, ms, calls int64
		voice                 float64
	}
	want := map[string]map[string]*sums{} // workspace → environment → sums
	for _, ws := range []string{k.a.ID, k.b.ID} {
		want[ws] = map[string]*sums{}
		for _, e := range envs {
			want[ws][e] = &sums{}
		}
	}
	for round := 0; round < 6; round++ {
		ws, key := k.a.ID, keyA
		if round%2 == 1 {
			ws, key = k.b.ID, kb.Secret
		}
		var req forj.UsageIngestRequest
		for i := 0; i < 50; i++ {
			ev := forj.UsageEvent{
				Assistant: fmt.Sprintf("bot-%d", rng.IntN(3)), Environment: envs[rng.IntN(3)],
				TokensIn: rng.Int64N(5000), TokensOut: rng.Int64N(5000), ComputeMs: rng.Int64N(100000), APICalls: rng.Int64N(10),
				VoiceMinutes: float64(rng.IntN(40)) / 4, // quarters: exact in binary
				Time:         now.Add(-time.Duration(rng.Int64N(int64(10 * 24 * time.Hour)))),
			}
			req.Events = append(req.Events, ev)
			s := want[ws][ev.Environment]
			s.n++
			s.in += ev.TokensIn
			s.out += ev.TokensOut
			s.ms += ev.ComputeMs
			s.calls += ev.APICalls
			s.voice += ev.VoiceMinutes
		}
		var resp forj.UsageIngestResponse
		k.must(202, k.do("POST", "/api/v1/usage", key, req)).decode(t, &resp)
		if resp.Accepted != 50 {
			t.Fatalf("accepted %d, want 50", resp.Accepted)
		}
	}
	if n := len(k.audit("")); n == 0 || len(k.audit("usage")) != 0 {
		t.Errorf("usage ingestion wrote audit events")
	}

	check := func(token, query string, wantRows map[string]sums) {
		t.Helper()
		var rep forj.UsageReport
		k.must(200, k.do("GET", "/api/v1/usage/report?"+query, token, nil)).decode(t, &rep)
		var total sums
		got := map[string]sums{}
		for _, r := range rep.Rows {
			got[r.Key] = sums{r.Events, r.TokensIn, r.TokensOut, r.ComputeMs, r.APICalls, r.VoiceMinutes}
		}
		for key, w := range wantRows {
			if got[key] != w {
				t.Errorf("%s: row %s = %+v, want %+v", query, key, got[key], w)
			}
			total.n += w.n
			total.in += w.in
			total.out += w.out
			total.ms += w.ms
			total.calls += w.calls
			total.voice += w.voice
		}
		if len(got) != len(wantRows) {
			t.Errorf("%s: %d rows, want %d: %+v", query, len(got), len(wantRows), rep.Rows)
		}
		if gt := (sums{rep.Total.Events, rep.Total.TokensIn, rep.Total.TokensOut, rep.Total.ComputeMs, rep.Total.APICalls, rep.Total.VoiceMinutes}); gt != total {
			t.Errorf("%s: total = %+v, want %+v", query, gt, total)
		}
	}
	for _, e := range envs {
		// Owner: every workspace, per environment.
		check(k.ownerToken, "by=workspace&env="+e, map[string]sums{k.a.ID: *want[k.a.ID][e], k.b.ID: *want[k.b.ID][e]})
		// A member: only its own workspace.
		check(devToken, "env="+e, map[string]sums{k.b.ID: *want[k.b.ID][e]})
	}
	all := func(ws string) sums {
		var s sums
		for _, e := range envs {
			w := want[ws][e]
			s = sums{s.n + w.n, s.in + w.in, s.out + w.out, s.ms + w.ms, s.calls + w.calls, s.voice + w.voice}
		}
		return s
	}
	check(k.adminToken, "", map[string]sums{k.a.ID: all(k.a.ID)})
	check(k.ownerToken, "workspace="+k.a.ID+"&workspace="+k.b.ID, map[string]sums{k.a.ID: all(k.a.ID), k.b.ID: all(k.b.ID)})

	// Labels, groupings and bounds.
	var rep forj.UsageReport
	k.must(200, k.do("GET", "/api/v1/usage/report", k.ownerToken, nil)).decode(t, &rep)
	if len(rep.Rows) != 2 || rep.Rows[0].Label == "" || !rep.Until.Equal(now) || !rep.Since.Equal(now.Add(-30*24*time.Hour)) {
		t.Errorf("default report = %+v", rep)
	}
	k.must(200, k.do("GET", "/api/v1/usage/report?by=day", k.ownerToken, nil)).decode(t, &rep)
	if len(rep.Rows) < 10 || len(rep.Rows) > 11 || rep.Total.Events != 300 {
		t.Errorf("by day: %d rows, %d events", len(rep.Rows), rep.Total.Events)
	}
	k.must(200, k.do("GET", "/api/v1/usage/report?by=assistant&since="+now.Add(time.Minute).Format(time.RFC3339)+"&until="+now.Add(time.Hour).Format(time.RFC3339), k.ownerToken, nil)).decode(t, &rep)
	if len(rep.Rows) != 0 || rep.Total.Events != 0 {
		t.Errorf("empty range: %+v", rep)
	}
	k.must(400, k.do("GET", "/api/v1/usage/report?by=week", k.ownerToken, nil))
	k.must(400, k.do("GET", "/api/v1/usage/report?since=yesterday", k.ownerToken, nil))
	k.must(404, k.do("GET", "/api/v1/usage/report?workspace="+k.a.ID, devToken, nil))
}

func TestUsageIngestValidation(t *testing.T) { forEachStore(t, testUsageIngestValidation) }

func testUsageIngestValidation(t *testing.T, sk storeKind) {
	k := newKeyEnv(t, sk)
	key := k.createKey(k.adminToken, forj.CreateKeyRequest{Name: "a"}).Secret
	at := k.clock.Now().Format(time.RFC3339)
	ev := func(fields string) string {
		return `{"events":[{"assistant":"bot","environment":"prod","time":"` + at + `"` + fields + `}]}`
	}
	for _, body := range []string{
		`{"events":[]}`,
		ev(`,"tokensIn":-1`),
		ev(`,"voiceMinutes":-0.5`),
		ev(`,"workspaceId":"` + k.b.ID + `"`),
		ev(`,"keyId":"tok_x"`),
		`{"events":[{"assistant":"","environment":"prod","time":"` + at + `"}]}`,
		`{"events":[{"assistant":"bot","environment":"` + strings.Repeat("e", 33) + `","time":"` + at + `"}]}`,
		`{"events":[{"assistant":"` + strings.Repeat("a", 129) + `","environment":"prod","time":"` + at + `"}]}`,
		`{"events":[{"assistant":"bot","environment":"prod"}]}`,
		`{"events":[{"assistant":"bot","environment":"prod","time":"` + k.clock.Now().Add(6*time.Minute).Format(time.RFC3339) + `"}]}`,
	} {
		if r := k.do("POST", "/api/v1/usage", key, body); r.Code != 400 {
			t.Errorf("ingest %.120s: %d %s, want 400", body, r.Code, r.Body)
		}
	}
	var big forj.UsageIngestRequest
	for range 1001 {
		big.Events = append(big.Events, forj.UsageEvent{Assistant: "a", Environment: "p", Time: k.clock.Now()})
	}
	k.must(400, k.do("POST", "/api/v1/usage", key, big))
	big.Events = big.Events[:1000]
	k.must(202, k.do("POST", "/api/v1/usage", key, big))
	// Up to five minutes ahead is tolerated clock skew.
	k.must(202, k.do("POST", "/api/v1/usage", key, forj.UsageIngestRequest{Events: []forj.UsageEvent{
		{Assistant: "bot", Environment: "prod", Time: k.clock.Now().Add(5 * time.Minute)}}}))
	// A personal token, even the owner's: 403.
	r := k.must(http.StatusForbidden, k.do("POST", "/api/v1/usage", k.ownerToken, ev("")))
	var b forj.ErrorBody
	if json.Unmarshal(r.Body, &b) != nil || !strings.Contains(b.Error.Message, "workspace API key") {
		t.Errorf("personal token: %s", r.Body)
	}
	// A key without usage.write: 403.
	ro := k.createKey(k.adminToken, forj.CreateKeyRequest{Name: "ro", Scopes: []string{authz.WorkspaceRead}}).Secret
	k.must(403, k.do("POST", "/api/v1/usage", ro, ev("")))
}
