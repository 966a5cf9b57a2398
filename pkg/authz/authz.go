// Package authz holds the permission catalog, the built-in roles and the one decision
// function every route goes through. Stores never decide access; they only filter.
package authz

import (
	"slices"
	"sort"

	"github.com/forjinn/forjctl/pkg/forj"
)

// Workspace-scoped permissions.
const (
	WorkspaceRead   = "workspace.read"
	WorkspaceUpdate = "workspace.update"
	WorkspaceDelete = "workspace.delete"
	MemberRead      = "member.read"
	MemberWrite     = "member.write"
	KeyRead         = "key.read"
	KeyWrite        = "key.write"
	AssetRead       = "asset.read"
	AssetWrite      = "asset.write"
	AssetExport     = "asset.export"
	AssetImport     = "asset.import"
	AssetTransfer   = "asset.transfer"
	AuditRead       = "audit.read"
	UsageRead       = "usage.read"
	UsageWrite      = "usage.write"
)

// Global permissions: held by the owner only.
const (
	WorkspaceCreate = "workspace.create"
	UserRead        = "user.read"
	UserWrite       = "user.write"
	RoleWrite       = "role.write"
)

// Scopes of a permission.
const (
	ScopeWorkspace = "workspace"
	ScopeGlobal    = "global"
)

var catalog = []forj.Permission{
	{Name: WorkspaceRead, Scope: ScopeWorkspace, Description: "see the workspace and its settings"},
	{Name: WorkspaceUpdate, Scope: ScopeWorkspace, Description: "change the workspace's name, description, color, icon and environment"},
	{Name: WorkspaceDelete, Scope: ScopeWorkspace, Description: "delete the workspace with everything in it"},
	{Name: MemberRead, Scope: ScopeWorkspace, Description: "list members and their roles"},
	{Name: MemberWrite, Scope: ScopeWorkspace, Description: "add and remove members, change their roles"},
	{Name: KeyRead, Scope: ScopeWorkspace, Description: "list the workspace's API keys (never their secrets)"},
	{Name: KeyWrite, Scope: ScopeWorkspace, Description: "create, rotate and revoke workspace API keys"},
	{Name: AssetRead, Scope: ScopeWorkspace, Description: "list and read assets"},
	{Name: AssetWrite, Scope: ScopeWorkspace, Description: "create, update and delete assets"},
	{Name: AssetExport, Scope: ScopeWorkspace, Description: "export the workspace as a bundle"},
	{Name: AssetImport, Scope: ScopeWorkspace, Description: "import a bundle into the workspace"},
	{Name: AssetTransfer, Scope: ScopeWorkspace, Description: "move and copy assets in and out (needed on both sides)"},
	{Name: AuditRead, Scope: ScopeWorkspace, Description: "read the workspace's audit trail"},
	{Name: UsageRead, Scope: ScopeWorkspace, Description: "read usage reports"},
	{Name: UsageWrite, Scope: ScopeWorkspace, Description: "report usage events (flow runtimes, through an API key)"},
	{Name: WorkspaceCreate, Scope: ScopeGlobal, Description: "create workspaces (owner)"},
	{Name: UserRead, Scope: ScopeGlobal, Description: "list every user of the platform (owner)"},
	{Name: UserWrite, Scope: ScopeGlobal, Description: "invite, enable and disable users (owner)"},
	{Name: RoleWrite, Scope: ScopeGlobal, Description: "create and delete custom roles (owner)"},
}

// Built-in role names, least to most.
const (
	RoleViewer    = "viewer"
	RoleTester    = "tester"
	RoleDeveloper = "developer"
	RoleAdmin     = "admin"
)

var (
	viewerPerms    = []string{WorkspaceRead, MemberRead, AssetRead, UsageRead}
	testerPerms    = append(slices.Clone(viewerPerms), AuditRead, AssetExport)
	developerPerms = append(slices.Clone(testerPerms), AssetWrite, AssetImport, AssetTransfer, UsageWrite)
	adminPerms     = append(slices.Clone(developerPerms), MemberWrite, KeyRead, KeyWrite, WorkspaceUpdate, WorkspaceDelete)
)

var builtins = []forj.Role{
	{Name: RoleViewer, Description: "reads the workspace, its members, assets and usage", Permissions: sorted(viewerPerms), BuiltIn: true},
	{Name: RoleTester, Description: "viewer + the audit trail and export", Permissions: sorted(testerPerms), BuiltIn: true},
	{Name: RoleDeveloper, Description: "tester + writes assets, imports, moves and copies, reports usage", Permissions: sorted(developerPerms), BuiltIn: true},
	{Name: RoleAdmin, Description: "developer + members, keys, settings and delete", Permissions: sorted(adminPerms), BuiltIn: true},
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	sort.Strings(c)
	return c
}

// Catalog returns the permission catalog.
func Catalog() []forj.Permission { return slices.Clone(catalog) }

// BuiltinRoles returns the built-in roles, least to most.
func BuiltinRoles() []forj.Role {
	out := make([]forj.Role, len(builtins))
	for i, r := range builtins {
		r.Permissions = slices.Clone(r.Permissions)
		out[i] = r
	}
	return out
}

// Builtin returns the built-in role of that name.
func Builtin(name string) (forj.Role, bool) {
	for _, r := range BuiltinRoles() {
		if r.Name == name {
			return r, true
		}
	}
	return forj.Role{}, false
}

// Lookup finds a permission in the catalog.
func Lookup(name string) (forj.Permission, bool) {
	for _, p := range catalog {
		if p.Name == name {
			return p, true
		}
	}
	return forj.Permission{}, false
}

// ValidateCustomPermissions checks that a custom role asks only for workspace permissions.
func ValidateCustomPermissions(perms []string) error {
	if len(perms) == 0 {
		return forj.Errorf(forj.EInvalid, "a role needs at least one permission").
			WithHint("see the catalog with: forjctl role list --permissions")
	}
	for _, p := range perms {
		c, ok := Lookup(p)
		if !ok {
			return forj.Errorf(forj.EInvalid, "unknown permission %q", p).
				WithHint("see the catalog with: forjctl role list --permissions")
		}
		if c.Scope != ScopeWorkspace {
			return forj.Errorf(forj.EInvalid, "permission %q is global and held by the owner only", p)
		}
	}
	return nil
}

// Decision is the outcome of a check.
type Decision int

const (
	Allow     Decision = iota
	NotFound           // the caller cannot see the workspace: answer 404, never leak its existence
	Forbidden          // the caller sees the workspace but lacks the permission: 403
)

// Subject is an authenticated caller with everything a decision needs, resolved once per
// request by the server.
type Subject struct {
	UserID string
	Owner  bool
	// Workspaces maps each workspace the user is a member of to its role's permissions.
	Workspaces map[string][]string
	// Key, when the caller authenticated with a workspace API key, limits the subject to
	// that workspace and to the key's scopes intersected with its creator's permissions.
	Key *KeyLimit
}

// KeyLimit narrows a subject acting through a workspace API key.
type KeyLimit struct {
	WorkspaceID string
	Scopes      []string
}

// Permissions returns the subject's effective permissions in a workspace (sorted), or nil
// when it cannot see the workspace.
func (s *Subject) Permissions(workspaceID string) []string {
	var perms []string
	if s.Owner {
		perms = workspacePermissionNames()
	} else if p, ok := s.Workspaces[workspaceID]; ok {
		perms = slices.Clone(p)
	}
	if s.Key != nil {
		if s.Key.WorkspaceID != workspaceID {
			return nil
		}
		perms = slices.DeleteFunc(perms, func(p string) bool { return !slices.Contains(s.Key.Scopes, p) })
	}
	sort.Strings(perms)
	return perms
}

// CanSee reports whether the workspace exists for this subject at all.
func (s *Subject) CanSee(workspaceID string) bool {
	if s.Key != nil && s.Key.WorkspaceID != workspaceID {
		return false
	}
	if s.Owner {
		return true
	}
	_, ok := s.Workspaces[workspaceID]
	return ok
}

// Decide checks a workspace-scoped permission.
func (s *Subject) Decide(permission, workspaceID string) Decision {
	if !s.CanSee(workspaceID) {
		return NotFound
	}
	if slices.Contains(s.Permissions(workspaceID), permission) {
		return Allow
	}
	return Forbidden
}

// DecideGlobal checks a global permission: the owner's, never a key's.
func (s *Subject) DecideGlobal(permission string) Decision {
	if s.Owner && s.Key == nil {
		if _, ok := Lookup(permission); ok {
			return Allow
		}
	}
	return Forbidden
}

// GlobalPermissions lists the subject's global permissions.
func (s *Subject) GlobalPermissions() []string {
	if !s.Owner || s.Key != nil {
		return []string{}
	}
	var out []string
	for _, p := range catalog {
		if p.Scope == ScopeGlobal {
			out = append(out, p.Name)
		}
	}
	sort.Strings(out)
	return out
}

func workspacePermissionNames() []string {
	var out []string
	for _, p := range catalog {
		if p.Scope == ScopeWorkspace {
			out = append(out, p.Name)
		}
	}
	return out
}
