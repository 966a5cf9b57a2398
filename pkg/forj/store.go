package forj

import (
	"context"
	"time"
)

// Store is the persistence boundary. Every read and write happens inside one transaction
// started by View or Update, so a handler can make a change, its audit event and its
// idempotency record atomic. Implementations: pkg/store/sqlite, pkg/store/postgres; both pass
// pkg/store/storetest. A store never makes authorization decisions; it only filters by what
// it is asked for.
type Store interface {
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction; an error from fn rolls everything back and
	// is returned unchanged.
	Update(ctx context.Context, fn func(Tx) error) error
	// Close releases the database.
	Close() error
}

// Tx is one transaction. Errors are *Error values with ENotFound, EConflict or EInvalid
// where those apply (e.g. a unique violation is EConflict); anything else is internal.
// Create methods fill in the id (when empty), version and timestamps of the value passed.
type Tx interface {
	Now() time.Time

	// AuthGeneration is a store-wide counter that every method changing who may do what
	// (RevokeToken, UpdateUser, AddMember, SetMemberRole, RemoveMember, DeleteWorkspace,
	// CreateRole, DeleteRole) increments in its own transaction. A server caches resolved
	// tokens per generation, so a change by any replica on the same database is seen on the
	// next request. Cheap: one row by primary key.
	AuthGeneration() (int64, error)

	// Users. Emails are stored normalized (lower-case); lookups by email are exact.
	CreateUser(u *User) error
	GetUser(id string) (*User, error)
	GetUserByEmail(email string) (*User, error)
	ListUsers(f UserFilter) ([]User, string, error)
	UpdateUser(u *User) error // every field but id and createdAt; bumps updatedAt
	CountUsers() (int, error)

	// Workspaces. Names are unique (exact match).
	CreateWorkspace(w *Workspace) error
	GetWorkspace(id string) (*Workspace, error)
	GetWorkspaceByName(name string) (*Workspace, error)
	ListWorkspaces(f WorkspaceFilter) ([]Workspace, string, error)
	// UpdateWorkspace writes w if the stored version equals w.Version (else EConflict),
	// then increments w.Version and sets w.UpdatedAt.
	UpdateWorkspace(w *Workspace) error
	// DeleteWorkspace removes the workspace with its memberships and workspace tokens.
	DeleteWorkspace(id string) error

	// Memberships.
	AddMember(workspaceID, userID, role string) (*Member, error) // EConflict if already a member
	GetMember(workspaceID, userID string) (*Member, error)
	ListMembers(f MemberFilter) ([]Member, string, error)
	ListMemberships(userID string) ([]Member, error) // every workspace of a user
	SetMemberRole(workspaceID, userID, role string) (*Member, error)
	RemoveMember(workspaceID, userID string) error
	CountMembersWithRole(role string) (int, error)

	// Custom roles (built-in ones live in pkg/authz).
	CreateRole(r *Role) error
	GetRole(name string) (*Role, error)
	ListRoles() ([]Role, error)
	DeleteRole(name string) error // EConflict while any membership uses it

	// Tokens.
	CreateToken(t *Token) error
	GetToken(id string) (*Token, error)
	ListTokens(f TokenFilter) ([]Token, error)
	RevokeToken(id string, at time.Time) error
	TouchToken(id string, at time.Time) error // sets lastUsedAt

	// Audit trail: append-only, no update or delete.
	AppendAudit(e *AuditEvent) error // assigns Seq and ID; Time defaults to Now()
	ListAudit(f AuditFilter) ([]AuditEvent, string, error)

	// Usage events: appended in batches, reported in aggregate (see UsageFilter).
	// AppendUsage assigns each event's Seq; a workspace that does not exist is ENotFound.
	AppendUsage(events []UsageEvent) error
	// UsageReport sums the selected events per group (workspace id, assistant, or UTC day
	// of Time), rows sorted by Key; Label is left empty for the caller to fill in.
	UsageReport(f UsageFilter) ([]UsageRow, error)

	// Assets. Names are unique per workspace and kind (EConflict). GetAsset and the list
	// never return Secret unless asked (GetAssetSecret), so a handler cannot leak it by
	// encoding an asset.
	CreateAsset(a *Asset) error
	GetAsset(id string) (*Asset, error)
	GetAssetByName(workspaceID, kind, name string) (*Asset, error)
	GetAssetSecret(id string) ([]byte, error) // nil when the asset holds none
	ListAssets(f AssetFilter) ([]Asset, string, error)
	// UpdateAsset writes every field but id, kind, createdBy and createdAt if the stored
	// version equals a.Version (else EConflict), then increments a.Version and sets
	// a.UpdatedAt. WorkspaceID may change: that is a move, and documents follow the asset.
	// Secret is written as given (nil clears it).
	UpdateAsset(a *Asset) error
	// DeleteAsset removes the asset and its documents (their blobs stay until
	// DeleteOrphanBlobs).
	DeleteAsset(id string) error
	CountAssets(workspaceID string) (int, error)

	// Dataset documents. A document points at a blob, which may be shared by documents of
	// copied datasets; blobs are immutable once written.
	// PutDocument creates or replaces the document (AssetID, Name).
	PutDocument(d *Document) error
	GetDocument(assetID, name string) (*Document, error)
	ListDocuments(assetID string) ([]Document, error) // sorted by name
	DeleteDocument(assetID, name string) error

	// Blobs: written chunk by chunk (each chunk may be its own transaction), then
	// referenced by PutDocument. CreateBlob records a blob in progress.
	CreateBlob(id string) error
	PutBlobChunk(blobID string, seq int, data []byte) error // seq from 0
	// CompleteBlob records the size and sha256 of a fully written blob.
	CompleteBlob(id string, size int64, sha256 string) error
	// BlobChunk returns chunk seq of a blob (ENotFound past the last one).
	BlobChunk(blobID string, seq int) ([]byte, error)
	// DeleteOrphanBlobs removes blobs created before olderThan that no document
	// references, with their chunks, and reports how many it removed.
	DeleteOrphanBlobs(olderThan time.Time) (int, error)

	// Idempotency records.
	GetIdempotency(scope, key string) (*IdempotencyRecord, error)
	PutIdempotency(r *IdempotencyRecord) error // EConflict if (scope, key) exists
}

// Paging: Limit ≤ 0 means DefaultLimit; larger than MaxLimit is clamped by the server.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// UserFilter selects users, sorted by email.
type UserFilter struct {
	Status string
	Cursor string
	Limit  int
}

// WorkspaceFilter selects workspaces, sorted by name. MemberID restricts to workspaces the
// user is a member of; IDs restricts to the listed ids (nil: no restriction).
type WorkspaceFilter struct {
	MemberID string
	IDs      []string
	Cursor   string
	Limit    int
}

// MemberFilter selects members of a workspace, sorted by email.
type MemberFilter struct {
	WorkspaceID string
	Cursor      string
	Limit       int
}

// TokenFilter selects tokens, newest first. Empty fields do not filter.
type TokenFilter struct {
	Kind           string
	UserID         string
	WorkspaceID    string
	IncludeRevoked bool
}

// AuditFilter selects audit events. Newest first, unless Ascending (used by --follow with
// AfterSeq). WorkspaceIDs restricts to events of those workspaces (nil: all).
type AuditFilter struct {
	WorkspaceIDs []string
	ActorID      string
	ActionPrefix string
	Since        time.Time
	Until        time.Time
	AfterSeq     int64
	Ascending    bool
	Cursor       string
	Limit        int
}
