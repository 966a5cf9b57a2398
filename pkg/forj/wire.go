package forj

// Request and response bodies of the HTTP API (docs/openapi.yaml), shared by server and client.

// List is the envelope of every list response.
type List[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// ErrorBody is the envelope of every error response.
type ErrorBody struct {
	Error *Error `json:"error"`
}

// CreateWorkspaceRequest is the body of POST /api/v1/workspace.
type CreateWorkspaceRequest struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Color       string `json:"color,omitempty"`
	Icon        string `json:"icon,omitempty"`
	Environment string `json:"environment,omitempty"`
}

// UpdateWorkspaceRequest is the body of PATCH /api/v1/workspace/{id}; nil fields are unchanged.
type UpdateWorkspaceRequest struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	Color       *string `json:"color,omitempty"`
	Icon        *string `json:"icon,omitempty"`
	Environment *string `json:"environment,omitempty"`
}

// AddUserRequest is the body of POST /api/v1/workspace/{id}/add-user: userId or email.
// An unknown email creates an invited user.
type AddUserRequest struct {
	UserID string `json:"userId,omitempty"`
	Email  string `json:"email,omitempty"`
	Role   string `json:"role"`
}

// AddUserResponse answers add-user; InviteCode is set once, when the user was invited.
type AddUserResponse struct {
	Member     Member `json:"member"`
	Invited    bool   `json:"invited"`
	InviteCode string `json:"inviteCode,omitempty"`
}

// RemoveUserRequest is the body of POST /api/v1/workspace/{id}/remove-user.
type RemoveUserRequest struct {
	UserID string `json:"userId,omitempty"`
	Email  string `json:"email,omitempty"`
}

// SetMemberRoleRequest is the body of PATCH /api/v1/workspace/{id}/members/{userId}.
type SetMemberRoleRequest struct {
	Role string `json:"role"`
}

// SwitchWorkspaceRequest is the body of POST /api/v1/auth/switch-workspace.
type SwitchWorkspaceRequest struct {
	WorkspaceID string `json:"workspaceId"`
}

// SwitchWorkspaceResponse is the workspace and the caller's role and permissions in it.
type SwitchWorkspaceResponse struct {
	Workspace   Workspace `json:"workspace"`
	Role        string    `json:"role"`
	Permissions []string  `json:"permissions"`
}

// LoginRequest is the body of POST /api/v1/auth/login. An invited user sends InviteCode and
// the password to set; everyone else sends email and password.
type LoginRequest struct {
	Email      string `json:"email"`
	Password   string `json:"password"`
	InviteCode string `json:"inviteCode,omitempty"`
	TokenName  string `json:"tokenName,omitempty"`
}

// TokenResponse carries a newly made secret, shown once.
type TokenResponse struct {
	Token  Token  `json:"token"`
	Secret string `json:"secret"`
	User   *User  `json:"user,omitempty"`
}

// CreateTokenRequest is the body of POST /api/v1/auth/tokens (a new personal access token).
type CreateTokenRequest struct {
	Name      string `json:"name"`
	ExpiresIn string `json:"expiresIn,omitempty"` // Go duration or Nd, e.g. "90d"; "" = never
}

// MeResponse is GET /api/v1/auth/me: who the caller is and what it may do where.
type MeResponse struct {
	User        User           `json:"user"`
	Token       Token          `json:"token"`
	Memberships []MeMembership `json:"memberships"`
	Global      []string       `json:"globalPermissions"`
}

// MeMembership is one workspace of the caller with its role and effective permissions.
type MeMembership struct {
	WorkspaceID   string   `json:"workspaceId"`
	WorkspaceName string   `json:"workspaceName"`
	Role          string   `json:"role"`
	Permissions   []string `json:"permissions"`
}

// InviteUserRequest is the body of POST /api/v1/users (owner: invite without a workspace).
type InviteUserRequest struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

// InviteUserResponse answers an invite with the one-time invite code.
type InviteUserResponse struct {
	User       User   `json:"user"`
	InviteCode string `json:"inviteCode"`
}

// CreateRoleRequest is the body of POST /api/v1/roles.
type CreateRoleRequest struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Permissions []string `json:"permissions"`
}

// Permission describes one entry of the permission catalog.
type Permission struct {
	Name        string `json:"name"`
	Scope       string `json:"scope"` // "workspace" or "global"
	Description string `json:"description"`
}
