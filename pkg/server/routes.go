package server

import (
	"github.com/forjinn/forjctl/pkg/authz"
)

// access says who may call a route. The router, the authorization middleware, the access
// matrix test and docs/api.md all read the same table below.
type access int

const (
	// public routes need no token; an Authorization header is ignored.
	public access = iota
	// authenticated routes accept any valid token (personal access token or API key).
	authenticated
	// userOnly routes accept personal access tokens only: API keys cannot manage a user's
	// own tokens.
	userOnly
	// global routes need perm, a global permission (the owner's, never an API key's).
	global
	// workspace routes need perm in the workspace named by the {id} path value.
	workspace
	// bodyWorkspace routes need perm in a workspace named in the request body; the handler
	// decodes the body and calls call.authorizeWorkspace with it.
	bodyWorkspace
	// apiKey routes accept workspace API keys only; any other token is 401 (the check a
	// flow runtime makes on its key).
	apiKey
	// keyWorkspace routes need perm in the calling API key's own workspace; a personal
	// token is 403 (the route is for flow runtimes, which hold keys).
	keyWorkspace
)

func (a access) String() string {
	switch a {
	case public:
		return "public"
	case authenticated:
		return "any token"
	case userOnly:
		return "any user token"
	case global:
		return "global"
	case workspace:
		return "workspace"
	case bodyWorkspace:
		return "workspace (from body)"
	case apiKey:
		return "any API key"
	case keyWorkspace:
		return "workspace (of the API key)"
	}
	return "unknown"
}

// route is one row of the route table.
type route struct {
	method  string
	pattern string
	access  access
	perm    string // for global, workspace and bodyWorkspace
	handle  func(*Server, *call) error
}

// routes is the route table: exactly docs/api.md. A function, not a package variable, so
// there is no package-level mutable state.
func routes() []route {
	return []route{
		{"GET", "/healthz", public, "", (*Server).healthz},
		{"GET", "/readyz", public, "", (*Server).readyz},

		{"POST", "/api/v1/auth/login", public, "", (*Server).login},
		{"GET", "/api/v1/auth/me", authenticated, "", (*Server).me},
		{"POST", "/api/v1/auth/switch-workspace", bodyWorkspace, authz.WorkspaceRead, (*Server).switchWorkspace},
		{"GET", "/api/v1/auth/tokens", userOnly, "", (*Server).listTokens},
		{"POST", "/api/v1/auth/tokens", userOnly, "", (*Server).createToken},
		{"DELETE", "/api/v1/auth/tokens/{tokenId}", userOnly, "", (*Server).revokeToken},

		{"POST", "/api/v1/workspace", global, authz.WorkspaceCreate, (*Server).createWorkspace},
		{"GET", "/api/v1/workspaces", authenticated, "", (*Server).listWorkspaces},
		{"GET", "/api/v1/workspace/{id}", workspace, authz.WorkspaceRead, (*Server).getWorkspace},
		{"PATCH", "/api/v1/workspace/{id}", workspace, authz.WorkspaceUpdate, (*Server).updateWorkspace},
		{"DELETE", "/api/v1/workspace/{id}", workspace, authz.WorkspaceDelete, (*Server).deleteWorkspace},
		{"POST", "/api/v1/workspace/{id}/add-user", workspace, authz.MemberWrite, (*Server).addUser},
		{"POST", "/api/v1/workspace/{id}/remove-user", workspace, authz.MemberWrite, (*Server).removeUser},
		{"GET", "/api/v1/workspace/{id}/members", workspace, authz.MemberRead, (*Server).listMembers},
		{"PATCH", "/api/v1/workspace/{id}/members/{userId}", workspace, authz.MemberWrite, (*Server).setMemberRole},
		{"GET", "/api/v1/workspace/{id}/audit", workspace, authz.AuditRead, (*Server).listWorkspaceAudit},
		{"GET", "/api/v1/audit", authenticated, "", (*Server).listAudit},
		{"GET", "/api/v1/workspace/{id}/keys", workspace, authz.KeyRead, (*Server).listKeys},
		{"POST", "/api/v1/workspace/{id}/keys", workspace, authz.KeyWrite, (*Server).createKey},
		{"DELETE", "/api/v1/workspace/{id}/keys/{keyId}", workspace, authz.KeyWrite, (*Server).revokeKey},
		{"POST", "/api/v1/workspace/{id}/keys/{keyId}/rotate", workspace, authz.KeyWrite, (*Server).rotateKey},
		{"GET", "/api/v1/keys/verify", apiKey, "", (*Server).verifyKey},
		// usage.read is checked per workspace counted, by the handler (like /api/v1/audit).
		{"POST", "/api/v1/usage", keyWorkspace, authz.UsageWrite, (*Server).ingestUsage},
		{"GET", "/api/v1/usage/report", authenticated, authz.UsageRead, (*Server).usageReport},

		{"GET", "/api/v1/workspace/{id}/assets", workspace, authz.AssetRead, (*Server).listAssets},
		{"POST", "/api/v1/workspace/{id}/assets", workspace, authz.AssetWrite, (*Server).createAsset},
		{"GET", "/api/v1/workspace/{id}/assets/{assetId}", workspace, authz.AssetRead, (*Server).getAsset},
		{"PATCH", "/api/v1/workspace/{id}/assets/{assetId}", workspace, authz.AssetWrite, (*Server).updateAsset},
		{"DELETE", "/api/v1/workspace/{id}/assets/{assetId}", workspace, authz.AssetWrite, (*Server).deleteAsset},
		{"GET", "/api/v1/workspace/{id}/assets/{assetId}/documents", workspace, authz.AssetRead, (*Server).listDocuments},
		{"PUT", "/api/v1/workspace/{id}/assets/{assetId}/documents/{name}", workspace, authz.AssetWrite, (*Server).putDocument},
		{"GET", "/api/v1/workspace/{id}/assets/{assetId}/documents/{name}", workspace, authz.AssetRead, (*Server).getDocument},
		{"DELETE", "/api/v1/workspace/{id}/assets/{assetId}/documents/{name}", workspace, authz.AssetWrite, (*Server).deleteDocument},
		{"GET", "/api/v1/workspace/{id}/export", workspace, authz.AssetExport, (*Server).exportWorkspace},
		{"POST", "/api/v1/workspace/{id}/import", workspace, authz.AssetImport, (*Server).importWorkspace},
		// asset.read is checked per workspace searched, by the handler.
		{"GET", "/api/v1/assets", authenticated, authz.AssetRead, (*Server).searchAssets},
		// asset.transfer is needed in both workspaces of the body.
		{"POST", "/api/v1/assets/transfer", bodyWorkspace, authz.AssetTransfer, (*Server).transfer},

		{"GET", "/api/v1/users", global, authz.UserRead, (*Server).listUsers},
		{"POST", "/api/v1/users", global, authz.UserWrite, (*Server).inviteUser},
		{"GET", "/api/v1/users/{userId}", global, authz.UserRead, (*Server).getUser},
		{"POST", "/api/v1/users/{userId}/disable", global, authz.UserWrite, (*Server).disableUser},
		{"POST", "/api/v1/users/{userId}/enable", global, authz.UserWrite, (*Server).enableUser},

		{"GET", "/api/v1/roles", authenticated, "", (*Server).listRoles},
		{"GET", "/api/v1/roles/{name}", authenticated, "", (*Server).getRole},
		{"POST", "/api/v1/roles", global, authz.RoleWrite, (*Server).createRole},
		{"DELETE", "/api/v1/roles/{name}", global, authz.RoleWrite, (*Server).deleteRole},
		{"GET", "/api/v1/permissions", authenticated, "", (*Server).listPermissions},
	}
}
