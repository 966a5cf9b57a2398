// Package storetest is the conformance suite every forj.Store passes (SQLite, PostgreSQL).
// It exercises the store only through forj.Store and forj.Tx, so what it checks is the
// contract, not an implementation.
//
// Contract details the suite pins down, beyond the comments in pkg/forj/store.go:
//   - Times come back in UTC and equal (time.Time.Equal) what was written, at least to the
//     microsecond; the suite's clock only ever holds whole microseconds.
//   - Create methods set CreatedAt/UpdatedAt (and Role.CreatedAt, AuditEvent.Time,
//     IdempotencyRecord.CreatedAt) to Tx.Now() when they are zero; Tx.Now() is the injected
//     clock's time.
//   - Emails are stored lower-cased; GetUserByEmail lower-cases its argument too.
//   - A nil id list (WorkspaceFilter.IDs, AuditFilter.WorkspaceIDs) does not filter; an
//     empty, non-nil one matches nothing.
//   - AuditFilter.Since is inclusive, Until exclusive.
//   - RevokeToken only moves the revocation time earlier; ListTokens without IncludeRevoked
//     keeps tokens whose revocation time is still in the future (rotation grace period).
//   - TouchToken never moves LastUsedAt backwards.
//   - ListMemberships sorts by workspace name; ListRoles by name.
//   - Audit event ids are "evt_<seq>".
//   - AuthGeneration increases with every committed RevokeToken, UpdateUser, AddMember,
//     SetMemberRole, RemoveMember, DeleteWorkspace, CreateRole and DeleteRole, is unchanged
//     by a rolled-back Update, and a View sees it as of its own snapshot.
//   - Lists with nothing to return may return nil or an empty slice.
//   - UsageReport rows are sorted by key; by day groups on the UTC date of the event's time;
//     UsageFilter.Since is inclusive, Until exclusive; a nil WorkspaceIDs does not filter,
//     an empty non-nil one matches nothing. Usage events are deleted with their workspace.
//   - Assets, documents and blobs: see assets.go.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/forj"
)

// Run runs the whole suite against stores made by open, one fresh store per subtest. open
// returns a new, empty store that uses now as its clock, and closes it with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T, now func() time.Time) forj.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, *env)
	}{
		{"Users", testUsers},
		{"Workspaces", testWorkspaces},
		{"WorkspaceUpdateVersion", testWorkspaceVersion},
		{"WorkspaceDeleteCascades", testWorkspaceCascade},
		{"WorkspaceFilter", testWorkspaceFilter},
		{"DuplicateIDs", testDuplicateIDs},
		{"Members", testMembers},
		{"Roles", testRoles},
		{"Tokens", testTokens},
		{"TokenRevocation", testTokenRevocation},
		{"AuthGeneration", testAuthGeneration},
		{"Audit", testAudit},
		{"AuditFilter", testAuditFilter},
		{"AuditAppendOnly", testAuditAppendOnly},
		{"Usage", testUsage},
		{"Idempotency", testIdempotency},
		{"Assets", testAssets},
		{"AssetNames", testAssetNames},
		{"AssetUpdate", testAssetUpdate},
		{"AssetMove", testAssetMove},
		{"AssetFilter", testAssetFilter},
		{"AssetCascade", testAssetCascade},
		{"AssetRollback", testAssetRollback},
		{"ManyAssets", testManyAssets},
		{"Documents", testDocuments},
		{"Blobs", testBlobs},
		{"OrphanBlobs", testOrphanBlobs},
		{"Paging", testPaging},
		{"Limits", testLimits},
		{"MalformedCursor", testMalformedCursor},
		{"UpdateRollsBack", testRollback},
		{"ViewIsReadOnly", testViewReadOnly},
		{"CanceledContext", testCanceledContext},
		{"Clock", testClock},
		{"ConcurrentUpdates", testConcurrentUpdates},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			s := open(t, c.Now)
			tc.fn(t, &env{t: t, s: s, clock: c})
		})
	}
}

// clock is a manual clock holding whole microseconds (PostgreSQL's precision).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward and returns the new time.
func (c *clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d).Truncate(time.Microsecond)
	return c.t
}

type env struct {
	t     *testing.T
	s     forj.Store
	clock *clock
}

func (e *env) update(fn func(forj.Tx) error) {
	e.t.Helper()
	if err := e.s.Update(context.Background(), fn); err != nil {
		e.t.Fatalf("Update: %v", err)
	}
}

func (e *env) view(fn func(forj.Tx) error) {
	e.t.Helper()
	if err := e.s.View(context.Background(), fn); err != nil {
		e.t.Fatalf("View: %v", err)
	}
}

// updateErr runs fn in Update and returns its error (for expected failures).
func (e *env) updateErr(fn func(forj.Tx) error) error {
	return e.s.Update(context.Background(), fn)
}

func (e *env) user(email string) *forj.User {
	e.t.Helper()
	u := &forj.User{Email: email, Name: "User " + email, Status: forj.UserActive, GlobalRole: forj.GlobalMember}
	e.update(func(tx forj.Tx) error { return tx.CreateUser(u) })
	return u
}

func (e *env) workspace(name string) *forj.Workspace {
	e.t.Helper()
	w := &forj.Workspace{Name: name, Description: "about " + name, Environment: "dev", CreatedBy: "usr_test", UpdatedBy: "usr_test"}
	e.update(func(tx forj.Tx) error { return tx.CreateWorkspace(w) })
	return w
}

func (e *env) member(wsID, userID, role string) {
	e.t.Helper()
	e.update(func(tx forj.Tx) error { _, err := tx.AddMember(wsID, userID, role); return err })
}

// wantCode fails unless err carries the code (and, when given, mentions every word).
func wantCode(t *testing.T, err error, code string, mentions ...string) {
	t.Helper()
	if got := forj.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
	for _, m := range mentions {
		if !strings.Contains(forj.ErrorMessage(err), m) {
			t.Errorf("error message %q does not mention %q", forj.ErrorMessage(err), m)
		}
	}
}

func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
	if got.Location() != time.UTC {
		t.Errorf("%s = %v is not in UTC", what, got)
	}
}

func sameTimePtr(t *testing.T, what string, got, want *time.Time) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", what, got, want)
	default:
		sameTime(t, what, *got, *want)
	}
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func wsNames(ws []forj.Workspace) []string {
	return ids(ws, func(w forj.Workspace) string { return w.Name })
}

func eqStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func testUsers(t *testing.T, e *env) {
	now := e.clock.Now()
	expires := now.Add(72 * time.Hour)
	alice := &forj.User{Email: "  Alice@Example.COM ", Name: "Alice", Status: forj.UserInvited, GlobalRole: forj.GlobalOwner,
		PasswordHash: "$argon2id$x", InviteHash: "abc123", InviteExpiresAt: &expires}
	e.update(func(tx forj.Tx) error { return tx.CreateUser(alice) })
	if !forj.HasPrefix(alice.ID, forj.PrefixUser) {
		t.Errorf("CreateUser id = %q, want a %s_ id", alice.ID, forj.PrefixUser)
	}
	if alice.Email != "alice@example.com" {
		t.Errorf("CreateUser email = %q, want it normalized", alice.Email)
	}
	sameTime(t, "CreatedAt", alice.CreatedAt, now)
	sameTime(t, "UpdatedAt", alice.UpdatedAt, now)

	e.view(func(tx forj.Tx) error {
		for _, get := range []func() (*forj.User, error){
			func() (*forj.User, error) { return tx.GetUser(alice.ID) },
			func() (*forj.User, error) { return tx.GetUserByEmail("alice@example.com") },
			func() (*forj.User, error) { return tx.GetUserByEmail("ALICE@example.com") },
		} {
			got, err := get()
			if err != nil {
				t.Fatalf("get user: %v", err)
			}
			if got.ID != alice.ID || got.Email != "alice@example.com" || got.Name != "Alice" ||
				got.Status != forj.UserInvited || got.GlobalRole != forj.GlobalOwner ||
				got.PasswordHash != "$argon2id$x" || got.InviteHash != "abc123" {
				t.Errorf("stored user = %+v, want %+v", got, alice)
			}
			sameTimePtr(t, "InviteExpiresAt", got.InviteExpiresAt, &expires)
			sameTime(t, "CreatedAt", got.CreatedAt, now)
		}
		_, err := tx.GetUser("usr_missing")
		wantCode(t, err, forj.ENotFound, "usr_missing")
		_, err = tx.GetUserByEmail("nobody@example.com")
		wantCode(t, err, forj.ENotFound, "nobody@example.com")
		return nil
	})

	// Emails are unique whatever their case.
	err := e.updateErr(func(tx forj.Tx) error {
		return tx.CreateUser(&forj.User{Email: "ALICE@example.com", Name: "Other", Status: forj.UserActive, GlobalRole: forj.GlobalMember})
	})
	wantCode(t, err, forj.EConflict, "alice@example.com")

	bob := e.user("bob@example.com")
	e.user("carol@example.com")
	e.view(func(tx forj.Tx) error {
		n, err := tx.CountUsers()
		if err != nil || n != 3 {
			t.Errorf("CountUsers = %d, %v; want 3", n, err)
		}
		list, next, err := tx.ListUsers(forj.UserFilter{Status: forj.UserActive})
		if err != nil {
			t.Fatal(err)
		}
		eqStrings(t, "active users", ids(list, func(u forj.User) string { return u.Email }), []string{"bob@example.com", "carol@example.com"})
		if next != "" {
			t.Errorf("next cursor = %q, want none", next)
		}
		return nil
	})

	// Update changes every field but id and createdAt, and bumps updatedAt.
	later := e.clock.Advance(time.Minute)
	e.update(func(tx forj.Tx) error {
		u, err := tx.GetUser(alice.ID)
		if err != nil {
			return err
		}
		u.Email, u.Name, u.Status, u.GlobalRole = "Alice2@Example.com", "Alice Two", forj.UserActive, forj.GlobalMember
		u.PasswordHash, u.InviteHash, u.InviteExpiresAt = "$argon2id$y", "", nil
		if err := tx.UpdateUser(u); err != nil {
			return err
		}
		sameTime(t, "UpdatedAt after update", u.UpdatedAt, later)
		return nil
	})
	e.view(func(tx forj.Tx) error {
		u, err := tx.GetUserByEmail("alice2@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if u.Name != "Alice Two" || u.Status != forj.UserActive || u.GlobalRole != forj.GlobalMember ||
			u.PasswordHash != "$argon2id$y" || u.InviteHash != "" || u.InviteExpiresAt != nil {
			t.Errorf("updated user = %+v", u)
		}
		sameTime(t, "CreatedAt after update", u.CreatedAt, now)
		sameTime(t, "UpdatedAt after update", u.UpdatedAt, later)
		_, err = tx.GetUserByEmail("alice@example.com")
		wantCode(t, err, forj.ENotFound)
		return nil
	})

	err = e.updateErr(func(tx forj.Tx) error {
		bob.Email = "ALICE2@example.com"
		return tx.UpdateUser(bob)
	})
	wantCode(t, err, forj.EConflict)
	err = e.updateErr(func(tx forj.Tx) error {
		return tx.UpdateUser(&forj.User{ID: "usr_missing", Email: "x@example.com", Status: forj.UserActive, GlobalRole: forj.GlobalMember})
	})
	wantCode(t, err, forj.ENotFound, "usr_missing")
}

func testWorkspaces(t *testing.T, e *env) {
	now := e.clock.Now()
	w := &forj.Workspace{Name: "Prod EU", Description: "production", Color: "#ff0000", Icon: "rocket",
		Environment: "prod", CreatedBy: "usr_a", UpdatedBy: "usr_a"}
	e.update(func(tx forj.Tx) error { return tx.CreateWorkspace(w) })
	if !forj.HasPrefix(w.ID, forj.PrefixWorkspace) {
		t.Errorf("CreateWorkspace id = %q, want a %s_ id", w.ID, forj.PrefixWorkspace)
	}
	if w.Version != 1 {
		t.Errorf("CreateWorkspace version = %d, want 1", w.Version)
	}
	sameTime(t, "CreatedAt", w.CreatedAt, now)
	sameTime(t, "UpdatedAt", w.UpdatedAt, now)

	e.view(func(tx forj.Tx) error {
		for _, get := range []func() (*forj.Workspace, error){
			func() (*forj.Workspace, error) { return tx.GetWorkspace(w.ID) },
			func() (*forj.Workspace, error) { return tx.GetWorkspaceByName("Prod EU") },
		} {
			got, err := get()
			if err != nil {
				t.Fatalf("get workspace: %v", err)
			}
			if got.ID != w.ID || got.Name != w.Name || got.Description != w.Description || got.Color != w.Color ||
				got.Icon != w.Icon || got.Environment != w.Environment || got.Version != 1 ||
				got.CreatedBy != "usr_a" || got.UpdatedBy != "usr_a" {
				t.Errorf("stored workspace = %+v, want %+v", got, w)
			}
			sameTime(t, "CreatedAt", got.CreatedAt, now)
			sameTime(t, "UpdatedAt", got.UpdatedAt, now)
		}
		_, err := tx.GetWorkspace("ws_missing")
		wantCode(t, err, forj.ENotFound, "ws_missing")
		_, err = tx.GetWorkspaceByName("nope")
		wantCode(t, err, forj.ENotFound, `"nope"`)
		// Names match exactly.
		_, err = tx.GetWorkspaceByName("prod eu")
		wantCode(t, err, forj.ENotFound)
		return nil
	})

	err := e.updateErr(func(tx forj.Tx) error { return tx.CreateWorkspace(&forj.Workspace{Name: "Prod EU"}) })
	wantCode(t, err, forj.EConflict, `"Prod EU"`)

	other := e.workspace("staging")
	err = e.updateErr(func(tx forj.Tx) error {
		other.Name = "Prod EU"
		return tx.UpdateWorkspace(other)
	})
	wantCode(t, err, forj.EConflict, `"Prod EU"`)
	err = e.updateErr(func(tx forj.Tx) error {
		return tx.UpdateWorkspace(&forj.Workspace{ID: "ws_missing", Name: "x", Version: 1})
	})
	wantCode(t, err, forj.ENotFound, "ws_missing")

	e.update(func(tx forj.Tx) error { return tx.DeleteWorkspace(w.ID) })
	e.view(func(tx forj.Tx) error {
		_, err := tx.GetWorkspace(w.ID)
		wantCode(t, err, forj.ENotFound)
		return nil
	})
	err = e.updateErr(func(tx forj.Tx) error { return tx.DeleteWorkspace(w.ID) })
	wantCode(t, err, forj.ENotFound, w.ID)
	// The name is free again.
	e.workspace("Prod EU")
}

// A create with an id that exists is a conflict that names the id, not the unique name or
// email (which tells the two unique keys of a table apart).
func testDuplicateIDs(t *testing.T, e *env) {
	u := e.user("dup@example.com")
	err := e.updateErr(func(tx forj.Tx) error {
		return tx.CreateUser(&forj.User{ID: u.ID, Email: "other@example.com", Status: forj.UserActive, GlobalRole: forj.GlobalMember})
	})
	wantCode(t, err, forj.EConflict, u.ID)
	w := e.workspace("dup")
	err = e.updateErr(func(tx forj.Tx) error { return tx.CreateWorkspace(&forj.Workspace{ID: w.ID, Name: "other"}) })
	wantCode(t, err, forj.EConflict, w.ID)
}

func testWorkspaceVersion(t *testing.T, e *env) {
	w := e.workspace("dev")
	created := w.CreatedAt
	stale := *w

	later := e.clock.Advance(time.Hour)
	e.update(func(tx forj.Tx) error {
		w.Description, w.Color, w.Icon, w.Environment, w.UpdatedBy = "new", "blue", "star", "staging", "usr_b"
		return tx.UpdateWorkspace(w)
	})
	if w.Version != 2 {
		t.Errorf("version after update = %d, want 2", w.Version)
	}
	sameTime(t, "UpdatedAt after update", w.UpdatedAt, later)

	// A writer still holding version 1 loses, and changes nothing.
	e.clock.Advance(time.Hour)
	err := e.updateErr(func(tx forj.Tx) error {
		stale.Description = "stale"
		return tx.UpdateWorkspace(&stale)
	})
	wantCode(t, err, forj.EConflict, w.ID)

	e.view(func(tx forj.Tx) error {
		got, err := tx.GetWorkspace(w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 2 || got.Description != "new" || got.Color != "blue" || got.Icon != "star" ||
			got.Environment != "staging" || got.UpdatedBy != "usr_b" || got.CreatedBy != "usr_test" {
			t.Errorf("workspace after updates = %+v", got)
		}
		sameTime(t, "CreatedAt", got.CreatedAt, created)
		sameTime(t, "UpdatedAt", got.UpdatedAt, later)
		return nil
	})

	// The current version wins again.
	e.update(func(tx forj.Tx) error { w.Name = "dev-renamed"; return tx.UpdateWorkspace(w) })
	if w.Version != 3 {
		t.Errorf("version after second update = %d, want 3", w.Version)
	}
}

func testWorkspaceCascade(t *testing.T, e *env) {
	u := e.user("u@example.com")
	doomed := e.workspace("doomed")
	kept := e.workspace("kept")
	e.member(doomed.ID, u.ID, "admin")
	e.member(kept.ID, u.ID, "viewer")
	key := &forj.Token{Kind: forj.TokenKey, Name: "ci", UserID: u.ID, WorkspaceID: doomed.ID, SecretHash: "h1"}
	keptKey := &forj.Token{Kind: forj.TokenKey, Name: "ci", UserID: u.ID, WorkspaceID: kept.ID, SecretHash: "h2"}
	pat := &forj.Token{Kind: forj.TokenPAT, Name: "laptop", UserID: u.ID, SecretHash: "h3"}
	ev := &forj.AuditEvent{ActorType: forj.ActorUser, ActorID: u.ID, WorkspaceID: doomed.ID, Action: "workspace.update", Result: forj.ResultSuccess}
	e.update(func(tx forj.Tx) error {
		for _, k := range []*forj.Token{key, keptKey, pat} {
			if err := tx.CreateToken(k); err != nil {
				return err
			}
		}
		return tx.AppendAudit(ev)
	})

	e.update(func(tx forj.Tx) error { return tx.DeleteWorkspace(doomed.ID) })

	e.view(func(tx forj.Tx) error {
		_, err := tx.GetMember(doomed.ID, u.ID)
		wantCode(t, err, forj.ENotFound)
		ms, err := tx.ListMemberships(u.ID)
		if err != nil {
			t.Fatal(err)
		}
		eqStrings(t, "memberships left", ids(ms, func(m forj.Member) string { return m.WorkspaceID }), []string{kept.ID})
		_, err = tx.GetToken(key.ID)
		wantCode(t, err, forj.ENotFound)
		for _, k := range []*forj.Token{keptKey, pat} {
			if _, err := tx.GetToken(k.ID); err != nil {
				t.Errorf("token %s of another workspace or personal: %v", k.Name, err)
			}
		}
		// The audit trail outlives the workspace.
		es, _, err := tx.ListAudit(forj.AuditFilter{WorkspaceIDs: []string{doomed.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 1 || es[0].Seq != ev.Seq {
			t.Errorf("audit of deleted workspace = %+v, want the one event", es)
		}
		return nil
	})
}

func testWorkspaceFilter(t *testing.T, e *env) {
	u := e.user("u@example.com")
	v := e.user("v@example.com")
	a, b, c, d := e.workspace("a"), e.workspace("b"), e.workspace("c"), e.workspace("d")
	e.member(a.ID, u.ID, "viewer")
	e.member(c.ID, u.ID, "admin")
	e.member(d.ID, u.ID, "admin")
	e.member(b.ID, v.ID, "admin")

	cases := []struct {
		name string
		f    forj.WorkspaceFilter
		want []string
	}{
		{"all", forj.WorkspaceFilter{}, []string{"a", "b", "c", "d"}},
		{"member", forj.WorkspaceFilter{MemberID: u.ID}, []string{"a", "c", "d"}},
		{"other member", forj.WorkspaceFilter{MemberID: v.ID}, []string{"b"}},
		{"no memberships", forj.WorkspaceFilter{MemberID: "usr_nobody"}, nil},
		{"ids", forj.WorkspaceFilter{IDs: []string{d.ID, b.ID, "ws_missing"}}, []string{"b", "d"}},
		{"empty ids", forj.WorkspaceFilter{IDs: []string{}}, nil},
		{"member and ids", forj.WorkspaceFilter{MemberID: u.ID, IDs: []string{a.ID, b.ID}}, []string{"a"}},
	}
	e.view(func(tx forj.Tx) error {
		for _, tc := range cases {
			ws, next, err := tx.ListWorkspaces(tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			eqStrings(t, tc.name, wsNames(ws), tc.want)
			if next != "" {
				t.Errorf("%s: next cursor = %q, want none", tc.name, next)
			}
		}
		return nil
	})
}

func testMembers(t *testing.T, e *env) {
	zed := e.user("zed@example.com")
	amy := e.user("amy@example.com")
	ws := e.workspace("beta")
	ws2 := e.workspace("alpha")
	now := e.clock.Now()

	e.update(func(tx forj.Tx) error {
		m, err := tx.AddMember(ws.ID, zed.ID, "developer")
		if err != nil {
			return err
		}
		if m.WorkspaceID != ws.ID || m.UserID != zed.ID || m.Email != zed.Email || m.Name != zed.Name ||
			m.Status != forj.UserActive || m.Role != "developer" {
			t.Errorf("AddMember = %+v", m)
		}
		sameTime(t, "member CreatedAt", m.CreatedAt, now)
		sameTime(t, "member UpdatedAt", m.UpdatedAt, now)
		_, err = tx.AddMember(ws.ID, amy.ID, "viewer")
		return err
	})
	e.member(ws2.ID, zed.ID, "admin")

	err := e.updateErr(func(tx forj.Tx) error { _, err := tx.AddMember(ws.ID, zed.ID, "viewer"); return err })
	wantCode(t, err, forj.EConflict, zed.ID)
	err = e.updateErr(func(tx forj.Tx) error { _, err := tx.AddMember("ws_missing", zed.ID, "viewer"); return err })
	wantCode(t, err, forj.ENotFound, "ws_missing")
	err = e.updateErr(func(tx forj.Tx) error { _, err := tx.AddMember(ws.ID, "usr_missing", "viewer"); return err })
	wantCode(t, err, forj.ENotFound, "usr_missing")

	e.view(func(tx forj.Tx) error {
		m, err := tx.GetMember(ws.ID, amy.ID)
		if err != nil || m.Role != "viewer" || m.Email != "amy@example.com" {
			t.Errorf("GetMember = %+v, %v", m, err)
		}
		_, err = tx.GetMember(ws2.ID, amy.ID)
		wantCode(t, err, forj.ENotFound)

		ms, next, err := tx.ListMembers(forj.MemberFilter{WorkspaceID: ws.ID})
		if err != nil {
			t.Fatal(err)
		}
		eqStrings(t, "members by email", ids(ms, func(m forj.Member) string { return m.Email }), []string{"amy@example.com", "zed@example.com"})
		if next != "" {
			t.Errorf("next cursor = %q, want none", next)
		}

		// Every membership of a user, sorted by workspace name.
		ms, err = tx.ListMemberships(zed.ID)
		if err != nil {
			t.Fatal(err)
		}
		eqStrings(t, "memberships", ids(ms, func(m forj.Member) string { return m.WorkspaceID + "=" + m.Role }),
			[]string{ws2.ID + "=admin", ws.ID + "=developer"})
		ms, err = tx.ListMemberships("usr_nobody")
		if err != nil || len(ms) != 0 {
			t.Errorf("ListMemberships of nobody = %v, %v", ms, err)
		}

		for role, want := range map[string]int{"developer": 1, "viewer": 1, "admin": 1, "tester": 0} {
			if n, err := tx.CountMembersWithRole(role); err != nil || n != want {
				t.Errorf("CountMembersWithRole(%q) = %d, %v; want %d", role, n, err, want)
			}
		}
		return nil
	})

	later := e.clock.Advance(time.Minute)
	e.update(func(tx forj.Tx) error {
		m, err := tx.SetMemberRole(ws.ID, amy.ID, "tester")
		if err != nil {
			return err
		}
		if m.Role != "tester" || m.Email != "amy@example.com" {
			t.Errorf("SetMemberRole = %+v", m)
		}
		sameTime(t, "CreatedAt after role change", m.CreatedAt, now)
		sameTime(t, "UpdatedAt after role change", m.UpdatedAt, later)
		return nil
	})
	err = e.updateErr(func(tx forj.Tx) error { _, err := tx.SetMemberRole(ws2.ID, amy.ID, "admin"); return err })
	wantCode(t, err, forj.ENotFound)

	e.update(func(tx forj.Tx) error { return tx.RemoveMember(ws.ID, zed.ID) })
	err = e.updateErr(func(tx forj.Tx) error { return tx.RemoveMember(ws.ID, zed.ID) })
	wantCode(t, err, forj.ENotFound)
	e.view(func(tx forj.Tx) error {
		ms, _, err := tx.ListMembers(forj.MemberFilter{WorkspaceID: ws.ID})
		if err != nil {
			t.Fatal(err)
		}
		eqStrings(t, "members after removal", ids(ms, func(m forj.Member) string { return m.Email + "=" + m.Role }), []string{"amy@example.com=tester"})
		// Removing from one workspace leaves the others alone.
		if _, err := tx.GetMember(ws2.ID, zed.ID); err != nil {
			t.Errorf("membership of the other workspace: %v", err)
		}
		return nil
	})
}

func testRoles(t *testing.T, e *env) {
	now := e.clock.Now()
	ops := &forj.Role{Name: "ops", Description: "operations", Permissions: []string{"workspace.read", "key.write"}}
	e.update(func(tx forj.Tx) error {
		if err := tx.CreateRole(ops); err != nil {
			return err
		}
		return tx.CreateRole(&forj.Role{Name: "auditor", Permissions: []string{"audit.read"}})
	})
	if ops.CreatedAt == nil {
		t.Fatal("CreateRole left CreatedAt nil")
	}
	sameTime(t, "role CreatedAt", *ops.CreatedAt, now)

	err := e.updateErr(func(tx forj.Tx) error { return tx.CreateRole(&forj.Role{Name: "ops"}) })
	wantCode(t, err, forj.EConflict, `"ops"`)

	e.view(func(tx forj.Tx) error {
		r, err := tx.GetRole("ops")
		if err != nil {
			t.Fatal(err)
		}
		if r.Name != "ops" || r.Description != "operations" || r.BuiltIn || r.CreatedAt == nil {
			t.Errorf("GetRole = %+v", r)
		}
		eqStrings(t, "permissions", r.Permissions, []string{"workspace.read", "key.write"})
		_, err = tx.GetRole("nope")
		wantCode(t, err, forj.ENotFound, `"nope"`)
		rs, err := tx.ListRoles()
		if err != nil {
			t.Fatal(err)
		}
		eqStrings(t, "roles", ids(rs, func(r forj.Role) string { return r.Name }), []string{"auditor", "ops"})
		return nil
	})

	// A role in use cannot be deleted.
	u := e.user("u@example.com")
	ws := e.workspace("w")
	e.member(ws.ID, u.ID, "ops")
	err = e.updateErr(func(tx forj.Tx) error { return tx.DeleteRole("ops") })
	wantCode(t, err, forj.EConflict, `"ops"`)
	e.view(func(tx forj.Tx) error {
		if _, err := tx.GetRole("ops"); err != nil {
			t.Errorf("role after refused delete: %v", err)
		}
		return nil
	})
	e.update(func(tx forj.Tx) error {
		if _, err := tx.SetMemberRole(ws.ID, u.ID, "viewer"); err != nil {
			return err
		}
		return tx.DeleteRole("ops")
	})
	err = e.updateErr(func(tx forj.Tx) error { return tx.DeleteRole("ops") })
	wantCode(t, err, forj.ENotFound)
	e.view(func(tx forj.Tx) error {
		rs, err := tx.ListRoles()
		if err != nil {
			t.Fatal(err)
		}
		eqStrings(t, "roles after delete", ids(rs, func(r forj.Role) string { return r.Name }), []string{"auditor"})
		return nil
	})
}

func testTokens(t *testing.T, e *env) {
	u := e.user("u@example.com")
	v := e.user("v@example.com")
	ws := e.workspace("w")
	t0 := e.clock.Now()
	expires := t0.Add(90 * 24 * time.Hour)
	pat := &forj.Token{Kind: forj.TokenPAT, Name: "laptop", UserID: u.ID, Scopes: []string{"workspace.read", "asset.write"},
		Prefix: "forj_pat_x", SecretHash: "deadbeef", ExpiresAt: &expires}
	e.update(func(tx forj.Tx) error { return tx.CreateToken(pat) })
	if !forj.HasPrefix(pat.ID, forj.PrefixToken) {
		t.Errorf("CreateToken id = %q, want a %s_ id", pat.ID, forj.PrefixToken)
	}
	sameTime(t, "token CreatedAt", pat.CreatedAt, t0)

	e.clock.Advance(time.Second)
	key := &forj.Token{Kind: forj.TokenKey, Name: "ci", UserID: u.ID, WorkspaceID: ws.ID, SecretHash: "cafe"}
	e.update(func(tx forj.Tx) error { return tx.CreateToken(key) })
	e.clock.Advance(time.Second)
	vpat := &forj.Token{Kind: forj.TokenPAT, Name: "v", UserID: v.ID, SecretHash: "beef"}
	e.update(func(tx forj.Tx) error { return tx.CreateToken(vpat) })

	e.view(func(tx forj.Tx) error {
		got, err := tx.GetToken(pat.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Kind != forj.TokenPAT || got.Name != "laptop" || got.UserID != u.ID || got.WorkspaceID != "" ||
			got.Prefix != "forj_pat_x" || got.SecretHash != "deadbeef" || got.LastUsedAt != nil || got.RevokedAt != nil {
			t.Errorf("GetToken = %+v", got)
		}
		eqStrings(t, "scopes", got.Scopes, []string{"workspace.read", "asset.write"})
		sameTimePtr(t, "ExpiresAt", got.ExpiresAt, &expires)
		sameTime(t, "CreatedAt", got.CreatedAt, t0)
		got, err = tx.GetToken(key.ID)
		if err != nil || got.WorkspaceID != ws.ID || got.Kind != forj.TokenKey || got.ExpiresAt != nil {
			t.Errorf("GetToken(key) = %+v, %v", got, err)
		}
		_, err = tx.GetToken("tok_missing")
		wantCode(t, err, forj.ENotFound, "tok_missing")

		tokenIDs := func(f forj.TokenFilter) []string {
			ks, err := tx.ListTokens(f)
			if err != nil {
				t.Fatal(err)
			}
			return ids(ks, func(k forj.Token) string { return k.Name })
		}
		eqStrings(t, "all tokens, newest first", tokenIDs(forj.TokenFilter{}), []string{"v", "ci", "laptop"})
		eqStrings(t, "by kind", tokenIDs(forj.TokenFilter{Kind: forj.TokenPAT}), []string{"v", "laptop"})
		eqStrings(t, "by user", tokenIDs(forj.TokenFilter{UserID: u.ID}), []string{"ci", "laptop"})
		eqStrings(t, "by workspace", tokenIDs(forj.TokenFilter{WorkspaceID: ws.ID}), []string{"ci"})
		eqStrings(t, "by user and kind", tokenIDs(forj.TokenFilter{UserID: u.ID, Kind: forj.TokenKey}), []string{"ci"})
		eqStrings(t, "nobody's", tokenIDs(forj.TokenFilter{UserID: "usr_nobody"}), nil)
		return nil
	})

	err := e.updateErr(func(tx forj.Tx) error {
		return tx.CreateToken(&forj.Token{Kind: forj.TokenKey, Name: "x", UserID: u.ID, WorkspaceID: "ws_missing", SecretHash: "x"})
	})
	wantCode(t, err, forj.ENotFound, "ws_missing")
	err = e.updateErr(func(tx forj.Tx) error {
		return tx.CreateToken(&forj.Token{ID: pat.ID, Kind: forj.TokenPAT, Name: "dup", UserID: u.ID, SecretHash: "x"})
	})
	wantCode(t, err, forj.EConflict)

	// TouchToken records the last use and never goes back in time.
	used := e.clock.Advance(time.Minute)
	e.update(func(tx forj.Tx) error { return tx.TouchToken(pat.ID, used) })
	e.update(func(tx forj.Tx) error { return tx.TouchToken(pat.ID, used.Add(-time.Second)) })
	e.view(func(tx forj.Tx) error {
		got, err := tx.GetToken(pat.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameTimePtr(t, "LastUsedAt", got.LastUsedAt, &used)
		return nil
	})
	err = e.updateErr(func(tx forj.Tx) error { return tx.TouchToken("tok_missing", used) })
	wantCode(t, err, forj.ENotFound)
}

func testTokenRevocation(t *testing.T, e *env) {
	u := e.user("u@example.com")
	mk := func(name string) *forj.Token {
		e.clock.Advance(time.Second)
		k := &forj.Token{Kind: forj.TokenPAT, Name: name, UserID: u.ID, SecretHash: name}
		e.update(func(tx forj.Tx) error { return tx.CreateToken(k) })
		return k
	}
	revoked, grace, live := mk("revoked"), mk("grace"), mk("live")

	now := e.clock.Advance(time.Second)
	graceEnd := now.Add(24 * time.Hour)
	e.update(func(tx forj.Tx) error {
		if err := tx.RevokeToken(revoked.ID, now); err != nil {
			return err
		}
		return tx.RevokeToken(grace.ID, graceEnd) // a rotation: still valid for a day
	})
	// Revoking again later does not move the time; revoking earlier does.
	e.clock.Advance(time.Second)
	e.update(func(tx forj.Tx) error { return tx.RevokeToken(revoked.ID, now.Add(time.Hour)) })
	err := e.updateErr(func(tx forj.Tx) error { return tx.RevokeToken("tok_missing", now) })
	wantCode(t, err, forj.ENotFound, "tok_missing")

	e.view(func(tx forj.Tx) error {
		got, err := tx.GetToken(revoked.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameTimePtr(t, "RevokedAt", got.RevokedAt, &now)
		ks, err := tx.ListTokens(forj.TokenFilter{})
		if err != nil {
			t.Fatal(err)
		}
		eqStrings(t, "unrevoked tokens", ids(ks, func(k forj.Token) string { return k.Name }), []string{"live", "grace"})
		ks, err = tx.ListTokens(forj.TokenFilter{IncludeRevoked: true})
		if err != nil {
			t.Fatal(err)
		}
		eqStrings(t, "all tokens", ids(ks, func(k forj.Token) string { return k.Name }), []string{"live", "grace", "revoked"})
		return nil
	})

	// Revoking a token in its grace period takes effect at once.
	now2 := e.clock.Advance(time.Second)
	e.update(func(tx forj.Tx) error { return tx.RevokeToken(grace.ID, now2) })
	e.view(func(tx forj.Tx) error {
		got, err := tx.GetToken(grace.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameTimePtr(t, "RevokedAt after immediate revoke", got.RevokedAt, &now2)
		ks, err := tx.ListTokens(forj.TokenFilter{})
		if err != nil {
			t.Fatal(err)
		}
		eqStrings(t, "unrevoked tokens", ids(ks, func(k forj.Token) string { return k.Name }), []string{live.Name})
		return nil
	})
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func testAudit(t *testing.T, e *env) {
	t0 := e.clock.Now()
	changes := json.RawMessage(`{"name": {"from": "a", "to": "b"}, "n": 2}`)
	first := &forj.AuditEvent{ActorType: forj.ActorUser, ActorID: "usr_a", ActorEmail: "a@example.com", WorkspaceID: "ws_1",
		Action: "workspace.update", TargetType: "workspace", TargetID: "ws_1", Result: forj.ResultSuccess,
		RequestID: "req_1", RemoteAddr: "192.0.2.1", Changes: changes}
	explicit := t0.Add(-time.Hour)
	second := &forj.AuditEvent{ActorType: forj.ActorAnonymous, Action: "auth.login_failed", Result: forj.ResultDenied, Time: explicit}
	e.update(func(tx forj.Tx) error {
		if err := tx.AppendAudit(first); err != nil {
			return err
		}
		return tx.AppendAudit(second)
	})
	sameTime(t, "default event time", first.Time, t0)
	sameTime(t, "explicit event time", second.Time, explicit)
	if first.Seq <= 0 || second.Seq <= first.Seq {
		t.Errorf("seqs = %d, %d; want positive and increasing", first.Seq, second.Seq)
	}
	if first.ID != fmt.Sprintf("%s_%d", forj.PrefixEvent, first.Seq) {
		t.Errorf("event id = %q for seq %d", first.ID, first.Seq)
	}

	e.view(func(tx forj.Tx) error {
		es, next, err := tx.ListAudit(forj.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 2 || next != "" {
			t.Fatalf("ListAudit = %d events, cursor %q; want 2 and none", len(es), next)
		}
		got := es[1] // newest first
		if got.Seq != first.Seq || got.ID != first.ID || got.ActorType != forj.ActorUser || got.ActorID != "usr_a" ||
			got.ActorEmail != "a@example.com" || got.WorkspaceID != "ws_1" || got.Action != "workspace.update" ||
			got.TargetType != "workspace" || got.TargetID != "ws_1" || got.Result != forj.ResultSuccess ||
			got.RequestID != "req_1" || got.RemoteAddr != "192.0.2.1" {
			t.Errorf("stored event = %+v, want %+v", got, first)
		}
		sameTime(t, "stored event time", got.Time, t0)
		if !jsonEqual(got.Changes, changes) {
			t.Errorf("changes = %s, want %s", got.Changes, changes)
		}
		if es[0].Seq != second.Seq || len(es[0].Changes) != 0 {
			t.Errorf("second event = %+v", es[0])
		}
		return nil
	})

	// Seq is strictly increasing across transactions.
	last := second.Seq
	for i := range 5 {
		ev := &forj.AuditEvent{ActorType: forj.ActorUser, Action: fmt.Sprintf("test.%d", i), Result: forj.ResultSuccess}
		e.update(func(tx forj.Tx) error { return tx.AppendAudit(ev) })
		if ev.Seq <= last {
			t.Errorf("seq %d after %d", ev.Seq, last)
		}
		last = ev.Seq
	}
}

func testAuditFilter(t *testing.T, e *env) {
	type spec struct {
		ws, actor, action string
	}
	specs := []spec{
		{"ws_1", "usr_a", "workspace.create"}, // 0
		{"ws_1", "usr_b", "member.add"},       // 1
		{"ws_2", "usr_a", "member.role_change"},
		{"ws_2", "usr_a", "key.rotate"},
		{"", "usr_b", "auth.login_failed"},
		{"ws_3", "usr_c", "membership.weird"}, // 5: "member." must not match it
	}
	var evs []*forj.AuditEvent
	var times []time.Time
	for _, s := range specs {
		at := e.clock.Advance(time.Minute)
		ev := &forj.AuditEvent{ActorType: forj.ActorUser, ActorID: s.actor, WorkspaceID: s.ws, Action: s.action, Result: forj.ResultSuccess}
		e.update(func(tx forj.Tx) error { return tx.AppendAudit(ev) })
		evs = append(evs, ev)
		times = append(times, at)
	}
	// want lists indexes into evs, in the expected order.
	cases := []struct {
		name string
		f    forj.AuditFilter
		want []int
	}{
		{"all, newest first", forj.AuditFilter{}, []int{5, 4, 3, 2, 1, 0}},
		{"ascending", forj.AuditFilter{Ascending: true}, []int{0, 1, 2, 3, 4, 5}},
		{"workspaces", forj.AuditFilter{WorkspaceIDs: []string{"ws_1", "ws_3"}}, []int{5, 1, 0}},
		{"no workspaces", forj.AuditFilter{WorkspaceIDs: []string{}}, nil},
		{"actor", forj.AuditFilter{ActorID: "usr_a"}, []int{3, 2, 0}},
		{"action prefix", forj.AuditFilter{ActionPrefix: "member."}, []int{2, 1}},
		{"action prefix is case-sensitive", forj.AuditFilter{ActionPrefix: "Member."}, nil},
		{"action prefix is literal", forj.AuditFilter{ActionPrefix: "member_"}, nil},
		{"exact action", forj.AuditFilter{ActionPrefix: "key.rotate"}, []int{3}},
		{"since (inclusive)", forj.AuditFilter{Since: times[3]}, []int{5, 4, 3}},
		{"until (exclusive)", forj.AuditFilter{Until: times[2]}, []int{1, 0}},
		{"since and until", forj.AuditFilter{Since: times[1], Until: times[4]}, []int{3, 2, 1}},
		{"after seq, ascending", forj.AuditFilter{AfterSeq: evs[2].Seq, Ascending: true}, []int{3, 4, 5}},
		{"after seq, newest first", forj.AuditFilter{AfterSeq: evs[2].Seq}, []int{5, 4, 3}},
		{"after the last", forj.AuditFilter{AfterSeq: evs[5].Seq, Ascending: true}, nil},
		{"combined", forj.AuditFilter{WorkspaceIDs: []string{"ws_1", "ws_2"}, ActorID: "usr_a", ActionPrefix: "member", Since: times[0]}, []int{2}},
	}
	e.view(func(tx forj.Tx) error {
		for _, tc := range cases {
			es, next, err := tx.ListAudit(tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var want []int64
			for _, i := range tc.want {
				want = append(want, evs[i].Seq)
			}
			got := make([]int64, len(es))
			for i, ev := range es {
				got[i] = ev.Seq
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: seqs = %v, want %v", tc.name, got, want)
			}
			if next != "" {
				t.Errorf("%s: next cursor = %q, want none", tc.name, next)
			}
		}
		return nil
	})
}

func testAuditAppendOnly(t *testing.T, e *env) {
	// The interface offers no way to change or remove an event.
	var tx forj.Tx
	ty := reflect.TypeOf(&tx).Elem()
	for i := range ty.NumMethod() {
		name := ty.Method(i).Name
		if strings.Contains(name, "Audit") && name != "AppendAudit" && name != "ListAudit" {
			t.Errorf("forj.Tx has %s: the audit trail must be append-only", name)
		}
	}
	// Nor does the implementation, through its exported methods.
	e.view(func(tx forj.Tx) error {
		ty := reflect.TypeOf(tx)
		for i := range ty.NumMethod() {
			name := ty.Method(i).Name
			for _, verb := range []string{"Update", "Delete", "Remove", "Set", "Edit", "Purge", "Truncate"} {
				if strings.HasPrefix(name, verb) && strings.Contains(name, "Audit") {
					t.Errorf("%s has %s: the audit trail must be append-only", ty, name)
				}
			}
		}
		return nil
	})
	// An event appended in a transaction that rolls back is not kept.
	boom := errors.New("boom")
	err := e.updateErr(func(tx forj.Tx) error {
		if err := tx.AppendAudit(&forj.AuditEvent{ActorType: forj.ActorUser, Action: "x.y", Result: forj.ResultSuccess}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	e.view(func(tx forj.Tx) error {
		es, _, err := tx.ListAudit(forj.AuditFilter{})
		if err != nil || len(es) != 0 {
			t.Errorf("events after rollback = %v, %v; want none", es, err)
		}
		return nil
	})
}

func testIdempotency(t *testing.T, e *env) {
	now := e.clock.Now()
	r := &forj.IdempotencyRecord{Scope: "tok_a", Key: "k1", Request: "sha256:abc", Status: 201, Body: []byte(`{"id":"ws_1"}`)}
	e.update(func(tx forj.Tx) error { return tx.PutIdempotency(r) })
	sameTime(t, "record CreatedAt", r.CreatedAt, now)
	// The same key in another scope is another record.
	e.update(func(tx forj.Tx) error {
		return tx.PutIdempotency(&forj.IdempotencyRecord{Scope: "tok_b", Key: "k1", Request: "other", Status: 200, Body: []byte("{}")})
	})
	err := e.updateErr(func(tx forj.Tx) error {
		return tx.PutIdempotency(&forj.IdempotencyRecord{Scope: "tok_a", Key: "k1", Request: "x", Status: 200})
	})
	wantCode(t, err, forj.EConflict, "k1")

	e.view(func(tx forj.Tx) error {
		got, err := tx.GetIdempotency("tok_a", "k1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Scope != "tok_a" || got.Key != "k1" || got.Request != "sha256:abc" || got.Status != 201 || string(got.Body) != `{"id":"ws_1"}` {
			t.Errorf("GetIdempotency = %+v", got)
		}
		sameTime(t, "stored CreatedAt", got.CreatedAt, now)
		got, err = tx.GetIdempotency("tok_b", "k1")
		if err != nil || got.Request != "other" {
			t.Errorf("other scope = %+v, %v", got, err)
		}
		_, err = tx.GetIdempotency("tok_a", "k2")
		wantCode(t, err, forj.ENotFound)
		return nil
	})
}

// collect pages through a list with limit 2 and checks the paging contract.
func collect[T any](t *testing.T, what string, list func(cursor string) ([]T, string, error)) []T {
	t.Helper()
	var all []T
	cursor := ""
	for range 10 {
		items, next, err := list(cursor)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(items) > 2 {
			t.Fatalf("%s: page of %d items with limit 2", what, len(items))
		}
		all = append(all, items...)
		if next == "" {
			return all
		}
		if len(items) == 0 {
			t.Fatalf("%s: empty page with a next cursor", what)
		}
		cursor = next
	}
	t.Fatalf("%s: too many pages", what)
	return nil
}

func testPaging(t *testing.T, e *env) {
	names := []string{"echo", "alpha", "delta", "charlie", "bravo"}
	sorted := slices.Sorted(slices.Values(names))
	var emails []string
	var users []*forj.User
	for _, n := range names {
		e.workspace(n)
		u := e.user(n + "@example.com")
		users = append(users, u)
		emails = append(emails, u.Email)
	}
	slices.Sort(emails)
	ws := e.workspace("zulu")
	var seqs []int64
	for _, u := range users {
		e.member(ws.ID, u.ID, "viewer")
		ev := &forj.AuditEvent{ActorType: forj.ActorUser, ActorID: u.ID, Action: "test.page", Result: forj.ResultSuccess}
		e.update(func(tx forj.Tx) error { return tx.AppendAudit(ev) })
		seqs = append(seqs, ev.Seq)
	}

	e.view(func(tx forj.Tx) error {
		gotWS := collect(t, "workspaces", func(c string) ([]forj.Workspace, string, error) {
			return tx.ListWorkspaces(forj.WorkspaceFilter{IDs: nil, Cursor: c, Limit: 2})
		})
		eqStrings(t, "paged workspaces", wsNames(gotWS), append(slices.Clone(sorted), "zulu"))

		gotUsers := collect(t, "users", func(c string) ([]forj.User, string, error) {
			return tx.ListUsers(forj.UserFilter{Cursor: c, Limit: 2})
		})
		eqStrings(t, "paged users", ids(gotUsers, func(u forj.User) string { return u.Email }), emails)

		gotMembers := collect(t, "members", func(c string) ([]forj.Member, string, error) {
			return tx.ListMembers(forj.MemberFilter{WorkspaceID: ws.ID, Cursor: c, Limit: 2})
		})
		eqStrings(t, "paged members", ids(gotMembers, func(m forj.Member) string { return m.Email }), emails)

		// A filter applies across pages.
		gotMemberWS := collect(t, "member workspaces", func(c string) ([]forj.Workspace, string, error) {
			return tx.ListWorkspaces(forj.WorkspaceFilter{MemberID: users[0].ID, Cursor: c, Limit: 2})
		})
		eqStrings(t, "paged member workspaces", wsNames(gotMemberWS), []string{"zulu"})

		seqStrings := func(es []forj.AuditEvent) []string {
			return ids(es, func(e forj.AuditEvent) string { return fmt.Sprint(e.Seq) })
		}
		var asc, desc []string
		for _, s := range seqs {
			asc = append(asc, fmt.Sprint(s))
		}
		desc = slices.Clone(asc)
		slices.Reverse(desc)
		gotDesc := collect(t, "audit", func(c string) ([]forj.AuditEvent, string, error) {
			return tx.ListAudit(forj.AuditFilter{Cursor: c, Limit: 2})
		})
		eqStrings(t, "paged audit, newest first", seqStrings(gotDesc), desc)
		gotAsc := collect(t, "audit ascending", func(c string) ([]forj.AuditEvent, string, error) {
			return tx.ListAudit(forj.AuditFilter{Cursor: c, Limit: 2, Ascending: true})
		})
		eqStrings(t, "paged audit, ascending", seqStrings(gotAsc), asc)
		gotAfter := collect(t, "audit after seq", func(c string) ([]forj.AuditEvent, string, error) {
			return tx.ListAudit(forj.AuditFilter{Cursor: c, Limit: 2, Ascending: true, AfterSeq: seqs[1]})
		})
		eqStrings(t, "paged audit after seq", seqStrings(gotAfter), asc[2:])

		// Exactly one page's worth: the cursor after it leads to an empty last page or is "".
		items, next, err := tx.ListUsers(forj.UserFilter{Limit: 5})
		if err != nil || len(items) != 5 {
			t.Fatalf("ListUsers(limit 5) = %d, %v", len(items), err)
		}
		if next != "" {
			rest, next2, err := tx.ListUsers(forj.UserFilter{Limit: 5, Cursor: next})
			if err != nil || len(rest) != 0 || next2 != "" {
				t.Errorf("page after the last = %d items, %q, %v", len(rest), next2, err)
			}
		}
		return nil
	})
}

func testLimits(t *testing.T, e *env) {
	n := forj.MaxLimit + 1
	e.update(func(tx forj.Tx) error {
		for range n {
			if err := tx.AppendAudit(&forj.AuditEvent{ActorType: forj.ActorUser, Action: "test.limit", Result: forj.ResultSuccess}); err != nil {
				return err
			}
		}
		return nil
	})
	e.view(func(tx forj.Tx) error {
		es, next, err := tx.ListAudit(forj.AuditFilter{})
		if err != nil || len(es) != forj.DefaultLimit || next == "" {
			t.Errorf("limit 0: %d events, cursor %q, %v; want %d and a cursor", len(es), next, err, forj.DefaultLimit)
		}
		es, next, err = tx.ListAudit(forj.AuditFilter{Limit: -3})
		if err != nil || len(es) != forj.DefaultLimit || next == "" {
			t.Errorf("negative limit: %d events, cursor %q, %v; want %d", len(es), next, err, forj.DefaultLimit)
		}
		es, next, err = tx.ListAudit(forj.AuditFilter{Limit: forj.MaxLimit * 10})
		if err != nil || len(es) != forj.MaxLimit || next == "" {
			t.Errorf("huge limit: %d events, cursor %q, %v; want %d and a cursor", len(es), next, err, forj.MaxLimit)
		}
		rest, next, err := tx.ListAudit(forj.AuditFilter{Limit: forj.MaxLimit * 10, Cursor: next})
		if err != nil || len(rest) != 1 || next != "" {
			t.Errorf("last page: %d events, cursor %q, %v; want 1 and none", len(rest), next, err)
		}
		return nil
	})
}

func testMalformedCursor(t *testing.T, e *env) {
	e.workspace("w")
	e.view(func(tx forj.Tx) error {
		for _, c := range []string{"!!!not base64!!!", "a b"} {
			_, _, err := tx.ListWorkspaces(forj.WorkspaceFilter{Cursor: c})
			wantCode(t, err, forj.EInvalid)
			_, _, err = tx.ListUsers(forj.UserFilter{Cursor: c})
			wantCode(t, err, forj.EInvalid)
			_, _, err = tx.ListMembers(forj.MemberFilter{WorkspaceID: "ws_x", Cursor: c})
			wantCode(t, err, forj.EInvalid)
			_, _, err = tx.ListAudit(forj.AuditFilter{Cursor: c})
			wantCode(t, err, forj.EInvalid)
		}
		// Well-formed base64 that is not an audit position.
		_, _, err := tx.ListAudit(forj.AuditFilter{Cursor: forj.EncodeCursor("not-a-number")})
		wantCode(t, err, forj.EInvalid)
		return nil
	})
}

func testAuthGeneration(t *testing.T, e *env) {
	gen := func() int64 {
		t.Helper()
		var n int64
		e.view(func(tx forj.Tx) error {
			var err error
			n, err = tx.AuthGeneration()
			return err
		})
		return n
	}
	u := e.user("gen@example.com")
	other := e.user("other@example.com")
	ws := e.workspace("gen")
	tok := &forj.Token{Kind: forj.TokenPAT, Name: "t", UserID: u.ID, Scopes: []string{}, Prefix: "forj_pat_x", SecretHash: "h"}
	e.update(func(tx forj.Tx) error { return tx.CreateToken(tok) })

	changes := []struct {
		name string
		fn   func(forj.Tx) error
	}{
		{"AddMember", func(tx forj.Tx) error { _, err := tx.AddMember(ws.ID, u.ID, "viewer"); return err }},
		{"SetMemberRole", func(tx forj.Tx) error { _, err := tx.SetMemberRole(ws.ID, u.ID, "admin"); return err }},
		{"RemoveMember", func(tx forj.Tx) error { return tx.RemoveMember(ws.ID, u.ID) }},
		{"UpdateUser", func(tx forj.Tx) error { u.Status = forj.UserDisabled; return tx.UpdateUser(u) }},
		{"RevokeToken", func(tx forj.Tx) error { return tx.RevokeToken(tok.ID, e.clock.Now()) }},
		{"CreateRole", func(tx forj.Tx) error {
			return tx.CreateRole(&forj.Role{Name: "gen-role", Permissions: []string{"workspace.read"}})
		}},
		{"DeleteRole", func(tx forj.Tx) error { return tx.DeleteRole("gen-role") }},
		{"DeleteWorkspace", func(tx forj.Tx) error {
			if _, err := tx.AddMember(ws.ID, other.ID, "viewer"); err != nil {
				return err
			}
			before, err := tx.AuthGeneration()
			if err != nil {
				return err
			}
			if err := tx.DeleteWorkspace(ws.ID); err != nil {
				return err
			}
			after, err := tx.AuthGeneration()
			if err != nil {
				return err
			}
			if after <= before {
				t.Errorf("DeleteWorkspace: generation inside the transaction %d → %d, want an increase", before, after)
			}
			return nil
		}},
	}
	for _, ch := range changes {
		before := gen()
		e.update(ch.fn)
		if after := gen(); after <= before {
			t.Errorf("%s: generation %d → %d, want an increase", ch.name, before, after)
		}
	}

	// Changes that do not affect access need not bump it, and a rolled-back one must not.
	before := gen()
	boom := errors.New("boom")
	err := e.updateErr(func(tx forj.Tx) error {
		other.Status = forj.UserDisabled
		if err := tx.UpdateUser(other); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Update returned %v, want boom", err)
	}
	if after := gen(); after != before {
		t.Errorf("rolled-back UpdateUser: generation %d → %d, want unchanged", before, after)
	}
}

func testRollback(t *testing.T, e *env) {
	keep := e.workspace("keep")
	boom := errors.New("boom")
	err := e.updateErr(func(tx forj.Tx) error {
		if err := tx.CreateUser(&forj.User{Email: "ghost@example.com", Status: forj.UserActive, GlobalRole: forj.GlobalMember}); err != nil {
			return err
		}
		if err := tx.CreateWorkspace(&forj.Workspace{Name: "ghost"}); err != nil {
			return err
		}
		keep.Description = "changed"
		if err := tx.UpdateWorkspace(keep); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Update returned %v, want fn's error unchanged", err)
	}

	// A panic rolls back too, and reaches the caller.
	func() {
		defer func() {
			if r := recover(); r != "panic in fn" {
				t.Errorf("recovered %v, want the panic of fn", r)
			}
		}()
		e.s.Update(context.Background(), func(tx forj.Tx) error {
			if err := tx.CreateWorkspace(&forj.Workspace{Name: "panicked"}); err != nil {
				return err
			}
			panic("panic in fn")
		})
	}()

	e.view(func(tx forj.Tx) error {
		_, err := tx.GetUserByEmail("ghost@example.com")
		wantCode(t, err, forj.ENotFound)
		for _, name := range []string{"ghost", "panicked"} {
			_, err = tx.GetWorkspaceByName(name)
			wantCode(t, err, forj.ENotFound)
		}
		got, err := tx.GetWorkspace(keep.ID)
		if err != nil || got.Description != "about keep" || got.Version != 1 {
			t.Errorf("workspace after rollback = %+v, %v", got, err)
		}
		return nil
	})

	// The store is still usable.
	e.update(func(tx forj.Tx) error { return tx.CreateWorkspace(&forj.Workspace{Name: "after"}) })
	e.view(func(tx forj.Tx) error {
		_, err := tx.GetWorkspaceByName("after")
		return err
	})
}

func testViewReadOnly(t *testing.T, e *env) {
	w := e.workspace("w")
	err := e.s.View(context.Background(), func(tx forj.Tx) error {
		return tx.CreateWorkspace(&forj.Workspace{Name: "sneaky"})
	})
	if err == nil {
		t.Error("CreateWorkspace inside View succeeded")
	}
	err = e.s.View(context.Background(), func(tx forj.Tx) error {
		w.Description = "sneaky"
		return tx.UpdateWorkspace(w)
	})
	if err == nil {
		t.Error("UpdateWorkspace inside View succeeded")
	}
	// View returns fn's error unchanged.
	boom := errors.New("boom")
	if err := e.s.View(context.Background(), func(forj.Tx) error { return boom }); err != boom {
		t.Errorf("View returned %v, want fn's error unchanged", err)
	}
	e.view(func(tx forj.Tx) error {
		_, err := tx.GetWorkspaceByName("sneaky")
		wantCode(t, err, forj.ENotFound)
		got, err := tx.GetWorkspace(w.ID)
		if err != nil || got.Description != "about w" || got.Version != 1 {
			t.Errorf("workspace after writes in View = %+v, %v", got, err)
		}
		return nil
	})
}

func testCanceledContext(t *testing.T, e *env) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := e.s.Update(ctx, func(tx forj.Tx) error {
		return tx.CreateWorkspace(&forj.Workspace{Name: "canceled"})
	})
	if err == nil {
		t.Error("Update with a canceled context succeeded")
	}
	e.view(func(tx forj.Tx) error {
		_, err := tx.GetWorkspaceByName("canceled")
		wantCode(t, err, forj.ENotFound)
		return nil
	})
	// The store recovers.
	e.workspace("fine")
}

func testClock(t *testing.T, e *env) {
	for range 3 {
		now := e.clock.Advance(37*time.Hour + 1500*time.Microsecond)
		e.view(func(tx forj.Tx) error {
			sameTime(t, "View Tx.Now", tx.Now(), now)
			return nil
		})
		e.update(func(tx forj.Tx) error {
			sameTime(t, "Update Tx.Now", tx.Now(), now)
			return nil
		})
		w := e.workspace(fmt.Sprint("w", now.Unix()))
		sameTime(t, "CreatedAt", w.CreatedAt, now)
		e.view(func(tx forj.Tx) error {
			got, err := tx.GetWorkspace(w.ID)
			if err != nil {
				t.Fatal(err)
			}
			sameTime(t, "stored CreatedAt", got.CreatedAt, now)
			return nil
		})
	}
	// Explicit timestamps are kept.
	at := time.Date(2020, 1, 2, 3, 4, 5, 6000, time.UTC)
	w := &forj.Workspace{Name: "explicit", CreatedAt: at, UpdatedAt: at}
	e.update(func(tx forj.Tx) error { return tx.CreateWorkspace(w) })
	e.view(func(tx forj.Tx) error {
		got, err := tx.GetWorkspace(w.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameTime(t, "explicit CreatedAt", got.CreatedAt, at)
		return nil
	})
	// Times in another zone come back as the same instant, in UTC.
	zone := time.FixedZone("UTC+5", 5*3600)
	local := time.Date(2024, 6, 1, 12, 0, 0, 123000, zone)
	k := &forj.Token{Kind: forj.TokenPAT, Name: "z", UserID: e.user("z@example.com").ID, SecretHash: "h", ExpiresAt: &local}
	e.update(func(tx forj.Tx) error { return tx.CreateToken(k) })
	e.view(func(tx forj.Tx) error {
		got, err := tx.GetToken(k.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameTimePtr(t, "ExpiresAt from another zone", got.ExpiresAt, &local)
		return nil
	})
}

func testConcurrentUpdates(t *testing.T, e *env) {
	const workers, each = 8, 25
	owner := e.user("owner@example.com")
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*2)
	for g := range workers {
		wg.Go(func() {
			for i := range each {
				err := e.s.Update(context.Background(), func(tx forj.Tx) error {
					// Read, then write, as handlers do: a store that lets two such
					// transactions overlap fails one of them (SQLITE_BUSY, serialization).
					if _, err := tx.GetUser(owner.ID); err != nil {
						return err
					}
					w := &forj.Workspace{Name: fmt.Sprintf("ws-%02d-%03d", g, i), CreatedBy: owner.ID, UpdatedBy: owner.ID}
					if err := tx.CreateWorkspace(w); err != nil {
						return err
					}
					if _, err := tx.AddMember(w.ID, owner.ID, "admin"); err != nil {
						return err
					}
					return tx.AppendAudit(&forj.AuditEvent{ActorType: forj.ActorUser, ActorID: owner.ID, WorkspaceID: w.ID,
						Action: "workspace.create", Result: forj.ResultSuccess})
				})
				if err != nil {
					errs <- fmt.Errorf("worker %d, create %d: %w", g, i, err)
				}
				// Reads run alongside the writes.
				err = e.s.View(context.Background(), func(tx forj.Tx) error {
					_, _, err := tx.ListWorkspaces(forj.WorkspaceFilter{MemberID: owner.ID, Limit: 10})
					return err
				})
				if err != nil {
					errs <- fmt.Errorf("worker %d, read %d: %w", g, i, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	e.view(func(tx forj.Tx) error {
		ws := collectAll(t, func(c string) ([]forj.Workspace, string, error) {
			return tx.ListWorkspaces(forj.WorkspaceFilter{MemberID: owner.ID, Cursor: c, Limit: forj.MaxLimit})
		})
		if len(ws) != workers*each {
			t.Errorf("%d workspaces, want %d", len(ws), workers*each)
		}
		es := collectAll(t, func(c string) ([]forj.AuditEvent, string, error) {
			return tx.ListAudit(forj.AuditFilter{Cursor: c, Limit: forj.MaxLimit, Ascending: true})
		})
		if len(es) != workers*each {
			t.Errorf("%d audit events, want %d", len(es), workers*each)
		}
		for i := 1; i < len(es); i++ {
			if es[i].Seq <= es[i-1].Seq {
				t.Fatalf("audit seq %d after %d", es[i].Seq, es[i-1].Seq)
			}
		}
		return nil
	})
}

func collectAll[T any](t *testing.T, list func(cursor string) ([]T, string, error)) []T {
	t.Helper()
	var all []T
	cursor := ""
	for {
		items, next, err := list(cursor)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, items...)
		if next == "" {
			return all
		}
		cursor = next
	}
}

func testUsage(t *testing.T, e *env) {
	a, b := e.workspace("alpha"), e.workspace("bravo")
	day1 := time.Date(2025, 3, 10, 23, 59, 59, 0, time.UTC)
	day2 := time.Date(2025, 3, 11, 0, 0, 0, 0, time.UTC) // the next UTC day, one second later
	day3 := time.Date(2025, 3, 12, 8, 30, 0, 0, time.UTC)
	ev := func(ws *forj.Workspace, assistant, env string, in, out, ms, calls int64, voice float64, at time.Time) forj.UsageEvent {
		return forj.UsageEvent{WorkspaceID: ws.ID, KeyID: "tok_k", Assistant: assistant, Environment: env,
			TokensIn: in, TokensOut: out, ComputeMs: ms, APICalls: calls, VoiceMinutes: voice, Time: at}
	}
	events := []forj.UsageEvent{
		ev(a, "support", "prod", 100, 10, 1000, 1, 0.5, day1),
		ev(a, "support", "dev", 7, 3, 20, 2, 0, day1),
		ev(a, "sales", "prod", 200, 20, 2000, 3, 1.25, day2),
		ev(b, "support", "prod", 1000, 100, 5, 4, 2, day2),
		ev(b, "voice", "staging", 0, 0, 0, 5, 10.5, day3),
	}
	e.update(func(tx forj.Tx) error { return tx.AppendUsage(events) })
	for i := 1; i < len(events); i++ {
		if events[i].Seq <= events[i-1].Seq || events[0].Seq <= 0 {
			t.Fatalf("AppendUsage sequence numbers %d, %d: want increasing and positive", events[i-1].Seq, events[i].Seq)
		}
	}
	row := func(key string, n, in, out, ms, calls int64, voice float64) forj.UsageRow {
		return forj.UsageRow{Key: key, Events: n, TokensIn: in, TokensOut: out, ComputeMs: ms, APICalls: calls, VoiceMinutes: voice}
	}
	cases := []struct {
		name string
		f    forj.UsageFilter
		want []forj.UsageRow
	}{
		{"by workspace, all", forj.UsageFilter{By: forj.UsageByWorkspace},
			sortRows(row(a.ID, 3, 307, 33, 3020, 6, 1.75), row(b.ID, 2, 1000, 100, 5, 9, 12.5))},
		{"by workspace, prod", forj.UsageFilter{By: forj.UsageByWorkspace, Environment: "prod"},
			sortRows(row(a.ID, 2, 300, 30, 3000, 4, 1.75), row(b.ID, 1, 1000, 100, 5, 4, 2))},
		{"by workspace, dev", forj.UsageFilter{By: forj.UsageByWorkspace, Environment: "dev"},
			[]forj.UsageRow{row(a.ID, 1, 7, 3, 20, 2, 0)}},
		{"by workspace, staging", forj.UsageFilter{By: forj.UsageByWorkspace, Environment: "staging"},
			[]forj.UsageRow{row(b.ID, 1, 0, 0, 0, 5, 10.5)}},
		{"by assistant", forj.UsageFilter{By: forj.UsageByAssistant},
			[]forj.UsageRow{row("sales", 1, 200, 20, 2000, 3, 1.25), row("support", 3, 1107, 113, 1025, 7, 2.5), row("voice", 1, 0, 0, 0, 5, 10.5)}},
		{"by day", forj.UsageFilter{By: forj.UsageByDay},
			[]forj.UsageRow{row("2025-03-10", 2, 107, 13, 1020, 3, 0.5), row("2025-03-11", 2, 1200, 120, 2005, 7, 3.25), row("2025-03-12", 1, 0, 0, 0, 5, 10.5)}},
		{"since inclusive, until exclusive", forj.UsageFilter{By: forj.UsageByDay, Since: day2, Until: day3},
			[]forj.UsageRow{row("2025-03-11", 2, 1200, 120, 2005, 7, 3.25)}},
		{"until excludes its own instant", forj.UsageFilter{By: forj.UsageByDay, Until: day2},
			[]forj.UsageRow{row("2025-03-10", 2, 107, 13, 1020, 3, 0.5)}},
		{"one workspace", forj.UsageFilter{By: forj.UsageByAssistant, WorkspaceIDs: []string{b.ID}},
			[]forj.UsageRow{row("support", 1, 1000, 100, 5, 4, 2), row("voice", 1, 0, 0, 0, 5, 10.5)}},
		{"two workspaces", forj.UsageFilter{By: forj.UsageByWorkspace, WorkspaceIDs: []string{b.ID, a.ID}},
			sortRows(row(a.ID, 3, 307, 33, 3020, 6, 1.75), row(b.ID, 2, 1000, 100, 5, 9, 12.5))},
		{"empty workspace list matches nothing", forj.UsageFilter{By: forj.UsageByWorkspace, WorkspaceIDs: []string{}}, nil},
		{"unknown workspace", forj.UsageFilter{By: forj.UsageByWorkspace, WorkspaceIDs: []string{"ws_none"}}, nil},
		{"unknown environment", forj.UsageFilter{By: forj.UsageByDay, Environment: "qa"}, nil},
	}
	for _, tc := range cases {
		e.view(func(tx forj.Tx) error {
			got, err := tx.UsageReport(tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if len(got) == 0 && len(tc.want) == 0 {
				return nil
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
			}
			return nil
		})
	}

	e.view(func(tx forj.Tx) error {
		_, err := tx.UsageReport(forj.UsageFilter{By: "month"})
		wantCode(t, err, forj.EInvalid)
		return nil
	})
	err := e.updateErr(func(tx forj.Tx) error {
		return tx.AppendUsage([]forj.UsageEvent{ev(a, "x", "prod", 1, 1, 1, 1, 1, day1), {WorkspaceID: "ws_none", Assistant: "x", Environment: "prod", Time: day1}})
	})
	wantCode(t, err, forj.ENotFound)
	// The failed batch left nothing behind, and a deleted workspace takes its usage with it.
	e.update(func(tx forj.Tx) error { return tx.DeleteWorkspace(b.ID) })
	e.view(func(tx forj.Tx) error {
		got, err := tx.UsageReport(forj.UsageFilter{By: forj.UsageByWorkspace})
		if err != nil {
			t.Fatal(err)
		}
		if want := []forj.UsageRow{row(a.ID, 3, 307, 33, 3020, 6, 1.75)}; !reflect.DeepEqual(got, want) {
			t.Errorf("after a failed batch and deleting bravo:\n got %+v\nwant %+v", got, want)
		}
		return nil
	})
}

func sortRows(rows ...forj.UsageRow) []forj.UsageRow {
	slices.SortFunc(rows, func(x, y forj.UsageRow) int { return strings.Compare(x.Key, y.Key) })
	return rows
}
