package forj

import (
	"encoding/json"
	"time"
)

// User statuses and global roles.
const (
	UserInvited  = "invited"
	UserActive   = "active"
	UserDisabled = "disabled"

	GlobalOwner  = "owner"
	GlobalMember = "member"
)

// User is a person on the platform. The owner (global role "owner") is created on first start.
type User struct {
	ID         string    `json:"id"`
	Email      string    `json:"email"`
	Name       string    `json:"name"`
	Status     string    `json:"status"`
	GlobalRole string    `json:"globalRole"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`

	// PasswordHash is an encoded argon2id hash ("" when no password is set).
	PasswordHash string `json:"-"`
	// InviteHash is the HMAC of the pending invite code ("" when none); InviteExpiresAt bounds it.
	InviteHash      string     `json:"-"`
	InviteExpiresAt *time.Time `json:"-"`
}

// Workspace is an isolated environment with its own members, keys, assets and audit trail.
type Workspace struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Color       string    `json:"color"`
	Icon        string    `json:"icon"`
	Environment string    `json:"environment"`
	Version     int64     `json:"version"`
	CreatedBy   string    `json:"createdBy"`
	UpdatedBy   string    `json:"updatedBy"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// Member is a user's membership of one workspace, with the user's email, name and status
// joined in for display.
type Member struct {
	WorkspaceID string    `json:"workspaceId"`
	UserID      string    `json:"userId"`
	Email       string    `json:"email"`
	Name        string    `json:"name"`
	Status      string    `json:"status"`
	Role        string    `json:"role"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// Role is a named set of permissions. Built-in roles live in pkg/authz; custom roles are
// stored and defined by the owner.
type Role struct {
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Permissions []string   `json:"permissions"`
	BuiltIn     bool       `json:"builtIn"`
	CreatedAt   *time.Time `json:"createdAt,omitempty"`
}

// Token kinds.
const (
	TokenPAT = "pat" // personal access token: forj_pat_<id>_<secret>
	TokenKey = "key" // workspace API key:     forj_key_<id>_<secret>
)

// Token is a personal access token or a workspace API key. Only an HMAC of the secret is kept.
type Token struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	Name        string     `json:"name"`
	UserID      string     `json:"userId"`
	WorkspaceID string     `json:"workspaceId,omitempty"`
	Scopes      []string   `json:"scopes"`
	Prefix      string     `json:"prefix"`
	CreatedAt   time.Time  `json:"createdAt"`
	ExpiresAt   *time.Time `json:"expiresAt,omitempty"`
	LastUsedAt  *time.Time `json:"lastUsedAt,omitempty"`
	RevokedAt   *time.Time `json:"revokedAt,omitempty"`

	// SecretHash is hex(HMAC-SHA256(pepper, secret)).
	SecretHash string `json:"-"`
}

// Audit results.
const (
	ResultSuccess = "success"
	ResultDenied  = "denied"
	ResultFailure = "failure"
)

// Actor types in audit events.
const (
	ActorUser      = "user"
	ActorKey       = "key"
	ActorAnonymous = "anonymous"
)

// AuditEvent is one append-only record of a mutation, a login or a denial.
type AuditEvent struct {
	ID          string          `json:"id"`  // "evt_<seq>"
	Seq         int64           `json:"seq"` // assigned by the store, strictly increasing
	Time        time.Time       `json:"time"`
	ActorType   string          `json:"actorType"`
	ActorID     string          `json:"actorId,omitempty"`
	ActorEmail  string          `json:"actorEmail,omitempty"`
	WorkspaceID string          `json:"workspaceId,omitempty"`
	Action      string          `json:"action"`
	TargetType  string          `json:"targetType,omitempty"`
	TargetID    string          `json:"targetId,omitempty"`
	Result      string          `json:"result"`
	RequestID   string          `json:"requestId,omitempty"`
	RemoteAddr  string          `json:"remoteAddr,omitempty"`
	Changes     json.RawMessage `json:"changes,omitempty"` // never secret values
}

// IdempotencyRecord remembers the response to a POST sent with an Idempotency-Key.
type IdempotencyRecord struct {
	Scope     string    // the caller (token id) the key belongs to
	Key       string    // the Idempotency-Key header
	Request   string    // hash of method, path and body: same key + other request is a conflict
	Status    int       // HTTP status of the stored response
	Body      []byte    // the stored response body
	CreatedAt time.Time //
}
