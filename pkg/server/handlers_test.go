package server

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/forjinn/forjctl/pkg/authz"
	"github.com/forjinn/forjctl/pkg/forj"
)

func TestWorkspaceCRUD(t *testing.T) {
	e := newEnv(t)
	r := e.must(201, e.do("POST", "/api/v1/workspace", e.ownerToken,
		`{"name":"Client A — prod","description":"main","color":"#ff0000","icon":"rocket","environment":"prod"}`))
	var w forj.Workspace
	r.decode(t, &w)
	if !forj.HasPrefix(w.ID, forj.PrefixWorkspace) || w.Name != "Client A — prod" || w.Environment != "prod" ||
		w.CreatedBy != e.owner.ID || w.Version != 1 || r.Header.Get("ETag") != `"1"` {
		t.Fatalf("created %+v (ETag %s)", w, r.Header.Get("ETag"))
	}
	ev := e.audit("workspace.create")
	if len(ev) != 1 || ev[0].WorkspaceID != w.ID || ev[0].ActorID != e.owner.ID || !strings.Contains(string(ev[0].Changes), `"environment":"prod"`) {
		t.Errorf("workspace.create event = %+v", ev)
	}
	// The owner is not added as a member.
	var ml forj.List[forj.Member]
	e.must(200, e.do("GET", "/api/v1/workspace/"+w.ID+"/members", e.ownerToken, nil)).decode(t, &ml)
	if len(ml.Data) != 0 {
		t.Errorf("members after create: %+v", ml.Data)
	}

	for body, code := range map[string]string{
		`{"name":"Client A — prod"}`: forj.EConflict,
		`{"name":""}`:                forj.EInvalid,
		`{"name":"ws_abc"}`:          forj.EInvalid,
		`{"name":"x","owner":"me"}`:  forj.EInvalid, // unknown field
		`{"name":"x"} {"name":"y"}`:  forj.EInvalid, // two values
		`{"name":"x"`:                forj.EInvalid,
		`["x"]`:                      forj.EInvalid,
		``:                           forj.EInvalid,
		`{"name":"x","color":"` + strings.Repeat("c", 65) + `"}`: forj.EInvalid,
		`{"name":"x","environment":"a\u0000b"}`:                  forj.EInvalid,
		`{"name":17}`:                                            forj.EInvalid,
	} {
		if r := e.do("POST", "/api/v1/workspace", e.ownerToken, body); r.errCode() != code {
			t.Errorf("%s: %d %s, want %s", body, r.Code, r.Body, code)
		}
	}
	// Bodies over the limit: 413.
	big := `{"name":"x","description":"` + strings.Repeat("a", 1<<20) + `"}`
	if r := e.must(413, e.do("POST", "/api/v1/workspace", e.ownerToken, big)); r.errCode() != forj.ETooLarge {
		t.Error(r)
	}

	// GET with ETag.
	r = e.must(200, e.do("GET", "/api/v1/workspace/"+w.ID, e.ownerToken, nil))
	if r.Header.Get("ETag") != `"1"` {
		t.Errorf("ETag = %q", r.Header.Get("ETag"))
	}
	e.must(404, e.do("GET", "/api/v1/workspace/ws_missing", e.ownerToken, nil))

	// PATCH with If-Match.
	r = e.must(200, e.do("PATCH", "/api/v1/workspace/"+w.ID, e.ownerToken, `{"description":"updated","color":"#00ff00"}`, "If-Match", `"1"`))
	r.decode(t, &w)
	if w.Version != 2 || w.Description != "updated" || r.Header.Get("ETag") != `"2"` {
		t.Errorf("patched %+v", w)
	}
	ev = e.audit("workspace.update")
	if len(ev) != 1 || !strings.Contains(string(ev[0].Changes), `"description":{"from":"main","to":"updated"}`) {
		t.Errorf("workspace.update events = %+v", ev)
	}
	r = e.must(412, e.do("PATCH", "/api/v1/workspace/"+w.ID, e.ownerToken, `{"description":"stale"}`, "If-Match", `"1"`))
	if r.errCode() != forj.EConflict {
		t.Errorf("stale If-Match: %s", r)
	}
	e.must(400, e.do("PATCH", "/api/v1/workspace/"+w.ID, e.ownerToken, `{"description":"x"}`, "If-Match", `garbage`))
	e.must(200, e.do("PATCH", "/api/v1/workspace/"+w.ID, e.ownerToken, `{"description":"any"}`, "If-Match", `*`))
	// A no-op PATCH changes nothing and writes no event.
	e.must(200, e.do("PATCH", "/api/v1/workspace/"+w.ID, e.ownerToken, `{"description":"any"}`))
	if n := len(e.audit("workspace.update")); n != 2 {
		t.Errorf("%d workspace.update events, want 2", n)
	}
	other := e.newWorkspace("other")
	if r := e.do("PATCH", "/api/v1/workspace/"+w.ID, e.ownerToken, `{"name":"other"}`); r.Code != 409 {
		t.Errorf("rename onto existing: %d %s", r.Code, r.Body)
	}
	e.must(400, e.do("PATCH", "/api/v1/workspace/"+w.ID, e.ownerToken, `{"name":""}`))

	// DELETE.
	e.must(204, e.do("DELETE", "/api/v1/workspace/"+other.ID, e.ownerToken, nil))
	e.must(404, e.do("GET", "/api/v1/workspace/"+other.ID, e.ownerToken, nil))
	e.must(404, e.do("DELETE", "/api/v1/workspace/"+other.ID, e.ownerToken, nil))
	if ev := e.audit("workspace.delete"); len(ev) != 1 || ev[0].TargetID != other.ID {
		t.Errorf("workspace.delete events = %+v", ev)
	}
}

func TestListWorkspaces(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := range 7 {
		ids = append(ids, e.newWorkspace(fmt.Sprintf("ws-%02d", i)).ID)
	}
	// Paging with a cursor.
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		var l forj.List[forj.Workspace]
		e.must(200, e.do("GET", "/api/v1/workspaces?limit=3&cursor="+url.QueryEscape(cursor), e.ownerToken, nil)).decode(t, &l)
		if len(l.Data) > 3 || pages > 5 {
			t.Fatalf("page %d: %d items", pages, len(l.Data))
		}
		for _, w := range l.Data {
			got = append(got, w.ID)
		}
		if l.NextCursor == "" {
			break
		}
		cursor = l.NextCursor
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("paged = %v, want %v", got, ids)
	}
	e.must(200, e.do("GET", "/api/v1/workspaces?limit=100000", e.ownerToken, nil)) // clamped
	e.must(400, e.do("GET", "/api/v1/workspaces?limit=-1", e.ownerToken, nil))
	e.must(400, e.do("GET", "/api/v1/workspaces?limit=x", e.ownerToken, nil))
	e.must(400, e.do("GET", "/api/v1/workspaces?cursor=%25%25", e.ownerToken, nil))

	// ?name= resolves one visible workspace.
	u, tok := e.newUser("v@example.com")
	e.addMember(ids[2], u.ID, authz.RoleViewer)
	var l forj.List[forj.Workspace]
	e.must(200, e.do("GET", "/api/v1/workspaces?name=ws-02", tok, nil)).decode(t, &l)
	if len(l.Data) != 1 || l.Data[0].ID != ids[2] {
		t.Errorf("name=ws-02: %+v", l.Data)
	}
	e.must(200, e.do("GET", "/api/v1/workspaces?name=ws-03", tok, nil)).decode(t, &l)
	if len(l.Data) != 0 {
		t.Errorf("name of an invisible workspace: %+v", l.Data)
	}
	e.must(200, e.do("GET", "/api/v1/workspaces", tok, nil)).decode(t, &l)
	if len(l.Data) != 1 {
		t.Errorf("member sees %d workspaces", len(l.Data))
	}
	// A custom role without workspace.read sees the workspace exists (403, not 404) but it
	// is not listed.
	e.update(func(tx forj.Tx) error {
		return tx.CreateRole(&forj.Role{Name: "auditor", Permissions: []string{authz.AuditRead}})
	})
	e.addMember(ids[3], u.ID, "auditor")
	e.must(403, e.do("GET", "/api/v1/workspace/"+ids[3], tok, nil))
	e.must(200, e.do("GET", "/api/v1/workspace/"+ids[3]+"/audit", tok, nil))
	e.must(200, e.do("GET", "/api/v1/workspaces", tok, nil)).decode(t, &l)
	if len(l.Data) != 1 || l.Data[0].ID != ids[2] {
		t.Errorf("list with a custom role: %+v", l.Data)
	}
}

func TestMembers(t *testing.T) {
	e := newEnv(t)
	ws := e.newWorkspace("alpha")
	admin, adminTok := e.newUser("admin@example.com")
	e.addMember(ws.ID, admin.ID, authz.RoleAdmin)
	dev, _ := e.newUser("dev@example.com")
	path := "/api/v1/workspace/" + ws.ID

	var ar forj.AddUserResponse
	e.must(201, e.do("POST", path+"/add-user", adminTok, `{"email":"Dev@Example.com","role":"developer"}`)).decode(t, &ar)
	if ar.Invited || ar.InviteCode != "" || ar.Member.UserID != dev.ID || ar.Member.Role != "developer" {
		t.Errorf("add existing user = %+v", ar)
	}
	r := e.must(409, e.do("POST", path+"/add-user", adminTok, `{"userId":"`+dev.ID+`","role":"viewer"}`))
	if !strings.Contains(r.String(), "set-role") {
		t.Errorf("conflict hint: %s", r)
	}
	r = e.must(400, e.do("POST", path+"/add-user", adminTok, `{"email":"x@example.com","role":"superuser"}`))
	if !strings.Contains(r.String(), "viewer, tester, developer, admin") {
		t.Errorf("unknown role hint: %s", r)
	}
	e.must(400, e.do("POST", path+"/add-user", adminTok, `{"role":"viewer"}`))
	e.must(400, e.do("POST", path+"/add-user", adminTok, `{"email":"a@example.com","userId":"usr_x","role":"viewer"}`))
	e.must(400, e.do("POST", path+"/add-user", adminTok, `{"email":"nope","role":"viewer"}`))
	e.must(404, e.do("POST", path+"/add-user", adminTok, `{"userId":"usr_missing","role":"viewer"}`))
	e.must(400, e.do("POST", path+"/add-user", adminTok, `{"userId":"`+e.owner.ID+`","role":"viewer"}`))
	// A custom role works.
	e.update(func(tx forj.Tx) error {
		return tx.CreateRole(&forj.Role{Name: "ops", Permissions: []string{authz.WorkspaceRead}})
	})
	e.must(201, e.do("POST", path+"/add-user", adminTok, `{"email":"ops@example.com","role":"ops"}`)).decode(t, &ar)
	if !ar.Invited || ar.InviteCode == "" || ar.Member.Role != "ops" {
		t.Errorf("invite with a custom role = %+v", ar)
	}
	if len(e.audit("member.add")) != 2 || len(e.audit("user.invite")) != 1 {
		t.Errorf("events: %d member.add, %d user.invite", len(e.audit("member.add")), len(e.audit("user.invite")))
	}
	if inv := e.audit("user.invite")[0]; inv.WorkspaceID != ws.ID || strings.Contains(string(inv.Changes), ar.InviteCode) {
		t.Errorf("user.invite event = %+v %s", inv, inv.Changes)
	}

	// Members list and ?email=.
	var ml forj.List[forj.Member]
	e.must(200, e.do("GET", path+"/members", adminTok, nil)).decode(t, &ml)
	if len(ml.Data) != 3 {
		t.Errorf("members = %+v", ml.Data)
	}
	e.must(200, e.do("GET", path+"/members?email=DEV@example.com", adminTok, nil)).decode(t, &ml)
	if len(ml.Data) != 1 || ml.Data[0].UserID != dev.ID {
		t.Errorf("members?email = %+v", ml.Data)
	}
	e.must(200, e.do("GET", path+"/members?email=ghost@example.com", adminTok, nil)).decode(t, &ml)
	if len(ml.Data) != 0 {
		t.Errorf("members?email=ghost = %+v", ml.Data)
	}
	e.must(200, e.do("GET", path+"/members?limit=1", adminTok, nil)).decode(t, &ml)
	if len(ml.Data) != 1 || ml.NextCursor == "" {
		t.Errorf("members?limit=1 = %+v", ml)
	}

	// set-role.
	var m forj.Member
	e.must(200, e.do("PATCH", path+"/members/"+dev.ID, adminTok, `{"role":"tester"}`)).decode(t, &m)
	if m.Role != "tester" {
		t.Errorf("set-role = %+v", m)
	}
	if ev := e.audit("member.role_change"); len(ev) != 1 || !strings.Contains(string(ev[0].Changes), `"from":"developer","to":"tester"`) {
		t.Errorf("member.role_change = %+v", ev)
	}
	e.must(400, e.do("PATCH", path+"/members/"+dev.ID, adminTok, `{"role":"nope"}`))
	e.must(403, e.do("PATCH", path+"/members/"+admin.ID, adminTok, `{"role":"viewer"}`)) // own role
	if ev := e.audit("access.denied"); len(ev) != 1 || ev[0].WorkspaceID != ws.ID || !strings.Contains(string(ev[0].Changes), "own role") {
		t.Errorf("refusal not audited: %+v", ev)
	}
	e.must(404, e.do("PATCH", path+"/members/"+e.owner.ID, adminTok, `{"role":"viewer"}`))
	e.must(404, e.do("PATCH", path+"/members/usr_missing", adminTok, `{"role":"viewer"}`))

	// remove-user.
	e.must(200, e.do("POST", path+"/remove-user", adminTok, `{"email":"dev@example.com"}`)).decode(t, &m)
	if m.UserID != dev.ID || m.Role != "tester" {
		t.Errorf("removed = %+v", m)
	}
	e.must(404, e.do("POST", path+"/remove-user", adminTok, `{"email":"dev@example.com"}`)) // not a member
	e.must(404, e.do("POST", path+"/remove-user", adminTok, `{"userId":"`+e.owner.ID+`"}`)) // the owner is never a member
	e.must(403, e.do("POST", path+"/remove-user", adminTok, `{"userId":"`+admin.ID+`"}`))   // yourself
	e.must(400, e.do("POST", path+"/remove-user", adminTok, `{}`))
	if n := len(e.audit("member.remove")); n != 1 {
		t.Errorf("%d member.remove events", n)
	}
}

func TestUsers(t *testing.T) {
	e := newEnv(t)
	u, tok := e.newUser("dev@example.com")
	var ir forj.InviteUserResponse
	e.must(201, e.do("POST", "/api/v1/users", e.ownerToken, `{"email":"Inv@example.com","name":"Inv"}`)).decode(t, &ir)
	if ir.User.Status != forj.UserInvited || ir.User.Email != "inv@example.com" || ir.InviteCode == "" {
		t.Errorf("invite = %+v", ir)
	}
	e.must(409, e.do("POST", "/api/v1/users", e.ownerToken, `{"email":"dev@example.com"}`))
	e.must(400, e.do("POST", "/api/v1/users", e.ownerToken, `{"email":"bad"}`))

	var l forj.List[forj.User]
	e.must(200, e.do("GET", "/api/v1/users", e.ownerToken, nil)).decode(t, &l)
	if len(l.Data) != 3 {
		t.Errorf("users = %+v", l.Data)
	}
	e.must(200, e.do("GET", "/api/v1/users?status=invited", e.ownerToken, nil)).decode(t, &l)
	if len(l.Data) != 1 || l.Data[0].ID != ir.User.ID {
		t.Errorf("invited users = %+v", l.Data)
	}
	e.must(200, e.do("GET", "/api/v1/users?email=DEV@example.com", e.ownerToken, nil)).decode(t, &l)
	if len(l.Data) != 1 || l.Data[0].ID != u.ID {
		t.Errorf("users?email = %+v", l.Data)
	}
	e.must(400, e.do("GET", "/api/v1/users?status=sleeping", e.ownerToken, nil))
	if strings.Contains(e.do("GET", "/api/v1/users", e.ownerToken, nil).String(), "argon2") {
		t.Error("user list shows password hashes")
	}

	var got forj.User
	e.must(200, e.do("GET", "/api/v1/users/"+u.ID, e.ownerToken, nil)).decode(t, &got)
	if got.Email != "dev@example.com" {
		t.Errorf("user = %+v", got)
	}
	e.must(404, e.do("GET", "/api/v1/users/usr_missing", e.ownerToken, nil))

	// disable / enable.
	e.must(200, e.do("POST", "/api/v1/users/"+u.ID+"/disable", e.ownerToken, nil)).decode(t, &got)
	if got.Status != forj.UserDisabled {
		t.Errorf("disabled = %+v", got)
	}
	e.must(401, e.do("GET", "/api/v1/auth/me", tok, nil))
	e.must(200, e.do("POST", "/api/v1/users/"+u.ID+"/disable", e.ownerToken, nil)) // already: no change
	e.must(403, e.do("POST", "/api/v1/users/"+e.owner.ID+"/disable", e.ownerToken, nil))
	e.must(400, e.do("POST", "/api/v1/users/"+u.ID+"/enable", e.ownerToken, `{"force":true}`))
	e.must(200, e.do("POST", "/api/v1/users/"+u.ID+"/enable", e.ownerToken, `{}`)).decode(t, &got)
	if got.Status != forj.UserActive {
		t.Errorf("enabled = %+v", got)
	}
	// An invited user disabled and enabled again is invited again.
	e.must(200, e.do("POST", "/api/v1/users/"+ir.User.ID+"/disable", e.ownerToken, nil))
	e.must(200, e.do("POST", "/api/v1/users/"+ir.User.ID+"/enable", e.ownerToken, nil)).decode(t, &got)
	if got.Status != forj.UserInvited {
		t.Errorf("re-enabled invitee = %+v", got)
	}
	if len(e.audit("user.disable")) != 2 || len(e.audit("user.enable")) != 2 {
		t.Errorf("events: %d disable, %d enable", len(e.audit("user.disable")), len(e.audit("user.enable")))
	}
}

func TestRoles(t *testing.T) {
	e := newEnv(t)
	_, tok := e.newUser("dev@example.com")
	var l forj.List[forj.Role]
	e.must(200, e.do("GET", "/api/v1/roles", tok, nil)).decode(t, &l)
	if len(l.Data) != 4 || l.Data[0].Name != "viewer" || !l.Data[3].BuiltIn {
		t.Errorf("roles = %+v", l.Data)
	}
	var r forj.Role
	e.must(201, e.do("POST", "/api/v1/roles", e.ownerToken, `{"name":"qa","description":"QA","permissions":["audit.read","asset.read","audit.read"]}`)).decode(t, &r)
	if r.Name != "qa" || strings.Join(r.Permissions, ",") != "asset.read,audit.read" || r.BuiltIn {
		t.Errorf("created role = %+v", r)
	}
	e.must(200, e.do("GET", "/api/v1/roles", tok, nil)).decode(t, &l)
	if len(l.Data) != 5 || l.Data[4].Name != "qa" {
		t.Errorf("roles = %+v", l.Data)
	}
	e.must(200, e.do("GET", "/api/v1/roles/qa", tok, nil))
	r = forj.Role{}
	e.must(200, e.do("GET", "/api/v1/roles/admin", tok, nil)).decode(t, &r)
	if want, _ := authz.Builtin(authz.RoleAdmin); !r.BuiltIn || !slices.Equal(r.Permissions, want.Permissions) || r.CreatedAt != nil {
		t.Errorf("admin = %+v", r)
	}
	e.must(404, e.do("GET", "/api/v1/roles/nope", tok, nil))

	for body, code := range map[string]int{
		`{"name":"qa","permissions":["asset.read"]}`:       409,
		`{"name":"admin","permissions":["asset.read"]}`:    409,
		`{"name":"Bad Name","permissions":["asset.read"]}`: 400,
		`{"name":"x","permissions":[]}`:                    400,
		`{"name":"x","permissions":["user.write"]}`:        400, // global
		`{"name":"x","permissions":["fly"]}`:               400,
	} {
		if got := e.do("POST", "/api/v1/roles", e.ownerToken, body); got.Code != code {
			t.Errorf("%s: %d %s, want %d", body, got.Code, got.Body, code)
		}
	}

	ws := e.newWorkspace("alpha")
	e.must(201, e.do("POST", "/api/v1/workspace/"+ws.ID+"/add-user", e.ownerToken, `{"email":"dev@example.com","role":"qa"}`))
	if got := e.must(409, e.do("DELETE", "/api/v1/roles/qa", e.ownerToken, nil)); !strings.Contains(got.String(), "1 membership") {
		t.Errorf("in use: %s", got)
	}
	e.must(400, e.do("DELETE", "/api/v1/roles/viewer", e.ownerToken, nil))
	e.must(404, e.do("DELETE", "/api/v1/roles/nope", e.ownerToken, nil))
	e.must(200, e.do("POST", "/api/v1/workspace/"+ws.ID+"/remove-user", e.ownerToken, `{"email":"dev@example.com"}`))
	e.must(204, e.do("DELETE", "/api/v1/roles/qa", e.ownerToken, nil))
	if len(e.audit("role.create")) != 1 || len(e.audit("role.delete")) != 1 {
		t.Error("role events missing")
	}
	var pl forj.List[forj.Permission]
	e.must(200, e.do("GET", "/api/v1/permissions", tok, nil)).decode(t, &pl)
	if len(pl.Data) != len(authz.Catalog()) {
		t.Errorf("permissions = %d", len(pl.Data))
	}
}

func TestAudit(t *testing.T) {
	e := newEnv(t)
	a, b := e.newWorkspace("alpha"), e.newWorkspace("bravo")
	tester, testerTok := e.newUser("tester@example.com")
	e.addMember(a.ID, tester.ID, authz.RoleTester)
	viewer, viewerTok := e.newUser("viewer@example.com")
	e.addMember(a.ID, viewer.ID, authz.RoleViewer)
	e.must(200, e.do("PATCH", "/api/v1/workspace/"+a.ID, e.ownerToken, `{"description":"a1"}`))
	e.must(200, e.do("PATCH", "/api/v1/workspace/"+b.ID, e.ownerToken, `{"description":"b1"}`))
	e.must(201, e.do("POST", "/api/v1/workspace/"+a.ID+"/add-user", e.ownerToken, `{"email":"n@example.com","role":"viewer"}`))
	e.must(403, e.do("PATCH", "/api/v1/workspace/"+a.ID, viewerTok, `{"description":"nope"}`)) // a denial in A

	var l forj.List[forj.AuditEvent]
	e.must(200, e.do("GET", "/api/v1/workspace/"+a.ID+"/audit", testerTok, nil)).decode(t, &l)
	var actions []string
	for _, ev := range l.Data {
		if ev.WorkspaceID != a.ID {
			t.Errorf("event of another workspace: %+v", ev)
		}
		actions = append(actions, ev.Action)
	}
	if strings.Join(actions, ",") != "access.denied,member.add,user.invite,workspace.update" {
		t.Errorf("A's audit = %v", actions)
	}
	e.must(200, e.do("GET", "/api/v1/workspace/"+a.ID+"/audit?action=member.", testerTok, nil)).decode(t, &l)
	if len(l.Data) != 1 || l.Data[0].Action != "member.add" {
		t.Errorf("?action=member. = %+v", l.Data)
	}
	for _, actor := range []string{e.owner.ID, "OWNER@example.com"} {
		e.must(200, e.do("GET", "/api/v1/workspace/"+a.ID+"/audit?actor="+url.QueryEscape(actor), testerTok, nil)).decode(t, &l)
		if len(l.Data) != 3 {
			t.Errorf("?actor=%s: %d events", actor, len(l.Data))
		}
	}
	e.must(200, e.do("GET", "/api/v1/workspace/"+a.ID+"/audit?actor=ghost@example.com", testerTok, nil)).decode(t, &l)
	if len(l.Data) != 0 {
		t.Errorf("?actor=ghost: %+v", l.Data)
	}
	e.must(400, e.do("GET", "/api/v1/workspace/"+a.ID+"/audit?actor=not-an-email", testerTok, nil))
	e.must(400, e.do("GET", "/api/v1/workspace/"+a.ID+"/audit?since=yesterday", testerTok, nil))
	e.must(400, e.do("GET", "/api/v1/workspace/"+a.ID+"/audit?after=-3", testerTok, nil))
	// ?after= lists ascending from a sequence number (follow).
	e.must(200, e.do("GET", "/api/v1/workspace/"+a.ID+"/audit?after=0", testerTok, nil)).decode(t, &l)
	if len(l.Data) != 4 || l.Data[0].Action != "workspace.update" {
		t.Errorf("?after=0 = %+v", l.Data)
	}
	last := l.Data[3].Seq
	e.must(200, e.do("GET", fmt.Sprintf("/api/v1/workspace/%s/audit?after=%d", a.ID, last), testerTok, nil)).decode(t, &l)
	if len(l.Data) != 0 {
		t.Errorf("after the last: %+v", l.Data)
	}
	e.must(200, e.do("GET", "/api/v1/workspace/"+a.ID+"/audit?since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z&limit=2", testerTok, nil)).decode(t, &l)
	if len(l.Data) != 2 || l.NextCursor == "" {
		t.Errorf("limit=2: %+v", l)
	}

	// Across workspaces: the tester sees A's events only, the viewer none, the owner all.
	e.must(200, e.do("GET", "/api/v1/audit", testerTok, nil)).decode(t, &l)
	if len(l.Data) != 4 {
		t.Errorf("tester's audit: %d events", len(l.Data))
	}
	e.must(200, e.do("GET", "/api/v1/audit", viewerTok, nil)).decode(t, &l)
	if len(l.Data) != 0 {
		t.Errorf("viewer's audit: %+v", l.Data)
	}
	e.must(200, e.do("GET", "/api/v1/audit?limit=500", e.ownerToken, nil)).decode(t, &l)
	seen := map[string]bool{}
	for _, ev := range l.Data {
		seen[ev.WorkspaceID] = true
	}
	if !seen[a.ID] || !seen[b.ID] || !seen[""] {
		t.Errorf("owner's audit covers %v", seen)
	}
}

func TestRouting(t *testing.T) {
	e := newEnv(t)
	r := e.must(404, e.do("GET", "/api/v1/nothing", e.ownerToken, nil))
	if r.errCode() != forj.ENotFound || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("unknown route: %s", r)
	}
	r = e.must(405, e.do("PUT", "/api/v1/workspaces", e.ownerToken, nil))
	if r.Header.Get("Allow") != "GET" || r.errCode() != forj.EInvalid {
		t.Errorf("wrong method: %v %s", r.Header, r)
	}
	// Every route in the table answers something other than the fallback's 404/405.
	for _, rt := range routes() {
		path := strings.NewReplacer("{id}", "ws_x", "{userId}", "usr_x", "{tokenId}", "tok_x", "{name}", "x").Replace(rt.pattern)
		if r := e.do(rt.method, path, "", nil); strings.Contains(r.String(), "no such route") || r.Code == 405 {
			t.Errorf("%s %s is not routed: %d %s", rt.method, path, r.Code, r.Body)
		}
	}
}
