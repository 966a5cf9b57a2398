package authz

import (
	"slices"
	"testing"
)

func TestBuiltinRolesGrowMonotonically(t *testing.T) {
	roles := BuiltinRoles()
	for i := 1; i < len(roles); i++ {
		for _, p := range roles[i-1].Permissions {
			if !slices.Contains(roles[i].Permissions, p) {
				t.Errorf("%s lacks %s that %s has", roles[i].Name, p, roles[i-1].Name)
			}
		}
	}
	for _, r := range roles {
		for _, p := range r.Permissions {
			if c, ok := Lookup(p); !ok || c.Scope != ScopeWorkspace {
				t.Errorf("role %s holds %q, not a workspace permission of the catalog", r.Name, p)
			}
		}
	}
}

func TestDecide(t *testing.T) {
	viewer, _ := Builtin(RoleViewer)
	admin, _ := Builtin(RoleAdmin)
	member := &Subject{UserID: "usr_a", Workspaces: map[string][]string{"ws_a": viewer.Permissions, "ws_b": admin.Permissions}}
	owner := &Subject{UserID: "usr_o", Owner: true}
	key := &Subject{UserID: "usr_a", Workspaces: member.Workspaces,
		Key: &KeyLimit{WorkspaceID: "ws_b", Scopes: []string{AssetRead, KeyWrite, WorkspaceCreate}}}
	demotedKey := &Subject{UserID: "usr_a", Workspaces: map[string][]string{"ws_b": viewer.Permissions},
		Key: &KeyLimit{WorkspaceID: "ws_b", Scopes: []string{AssetRead, KeyWrite}}}

	cases := []struct {
		name string
		s    *Subject
		perm string
		ws   string
		want Decision
	}{
		{"viewer reads", member, AssetRead, "ws_a", Allow},
		{"viewer cannot write", member, MemberWrite, "ws_a", Forbidden},
		{"admin writes members", member, MemberWrite, "ws_b", Allow},
		{"non-member sees nothing", member, WorkspaceRead, "ws_c", NotFound},
		{"owner everywhere", owner, WorkspaceDelete, "ws_zzz", Allow},
		{"key within scope", key, KeyWrite, "ws_b", Allow},
		{"key outside scope", key, MemberWrite, "ws_b", Forbidden},
		{"key in another workspace", key, AssetRead, "ws_a", NotFound},
		{"key narrowed by its demoted creator", demotedKey, KeyWrite, "ws_b", Forbidden},
		{"demoted key keeps what both allow", demotedKey, AssetRead, "ws_b", Allow},
	}
	for _, c := range cases {
		if got := c.s.Decide(c.perm, c.ws); got != c.want {
			t.Errorf("%s: Decide(%s, %s) = %v, want %v", c.name, c.perm, c.ws, got, c.want)
		}
	}
	if owner.DecideGlobal(WorkspaceCreate) != Allow || member.DecideGlobal(WorkspaceCreate) != Forbidden {
		t.Error("global permissions: only the owner")
	}
	ownerKey := &Subject{Owner: true, Key: &KeyLimit{WorkspaceID: "ws_a", Scopes: []string{WorkspaceCreate}}}
	if ownerKey.DecideGlobal(WorkspaceCreate) != Forbidden {
		t.Error("an API key never holds a global permission, even the owner's")
	}
}

func TestValidateCustomPermissions(t *testing.T) {
	if err := ValidateCustomPermissions([]string{AssetRead, AuditRead}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{nil, {"asset.fly"}, {UserWrite}} {
		if err := ValidateCustomPermissions(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
