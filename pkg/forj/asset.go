package forj

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Asset kinds. Kinds is the one table the server, the CLI groups and bundles read.
const (
	KindFlow        = "flow"
	KindAgent       = "agent"
	KindTool        = "tool"
	KindDataset     = "dataset"
	KindCredential  = "credential"
	KindIntegration = "integration"
)

// KindInfo describes one asset kind.
type KindInfo struct {
	Name     string // "flow": the CLI group, the URL's ?kind= and the bundle directory
	Plural   string // "flows"
	Short    string // one line for help texts
	Secret   bool   // holds write-only secret data (credentials)
	Document bool   // holds streamed documents (datasets)
}

// Kinds lists the asset kinds in their display order.
func Kinds() []KindInfo {
	return []KindInfo{
		{Name: KindFlow, Plural: "flows", Short: "Chatflows and agentflows"},
		{Name: KindAgent, Plural: "agents", Short: "Agents"},
		{Name: KindTool, Plural: "tools", Short: "Custom tools"},
		{Name: KindDataset, Plural: "datasets", Short: "Datasets and their documents", Document: true},
		{Name: KindCredential, Plural: "credentials", Short: "Credentials (secret data is write-only)", Secret: true},
		{Name: KindIntegration, Plural: "integrations", Short: "Integrations with outside services"},
	}
}

// LookupKind returns the kind named name.
func LookupKind(name string) (KindInfo, bool) {
	for _, k := range Kinds() {
		if k.Name == name {
			return k, true
		}
	}
	return KindInfo{}, false
}

// PrefixAsset and PrefixBlob are the id prefixes of assets and document contents.
const (
	PrefixAsset = "ast"
	PrefixBlob  = "blb"
)

// Asset is a flow, agent, tool, dataset, credential or integration of one workspace. Its
// name is unique per workspace and kind. Moving an asset keeps its id; copying makes a new
// asset whose Origin is the source's id, which is how a re-run copy finds what it already
// copied.
type Asset struct {
	ID          string            `json:"id"`
	WorkspaceID string            `json:"workspaceId"`
	Kind        string            `json:"kind"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Labels      map[string]string `json:"labels"`
	Spec        json.RawMessage   `json:"spec"`
	Version     int64             `json:"version"`
	Origin      string            `json:"origin,omitempty"`
	// HasSecret says a credential holds secret data; the data itself is never returned.
	HasSecret bool      `json:"hasSecret,omitempty"`
	CreatedBy string    `json:"createdBy"`
	UpdatedBy string    `json:"updatedBy"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`

	// Secret is a credential's secret data sealed by the server (AES-256-GCM with the server
	// key); nil when there is none. The store keeps it as it is given.
	Secret []byte `json:"-"`
}

// Document is one file of a dataset. Its content is a blob: an immutable sequence of
// chunks that documents (of this or copied datasets) reference by id.
type Document struct {
	AssetID   string    `json:"assetId"`
	Name      string    `json:"name"`
	Size      int64     `json:"size"`
	SHA256    string    `json:"sha256"` // hex
	BlobID    string    `json:"-"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// BlobChunkSize is the size of every chunk of a blob but its last.
const BlobChunkSize = 1 << 20

// AssetFilter selects assets, sorted by kind then name. Empty fields do not filter.
type AssetFilter struct {
	WorkspaceID  string
	WorkspaceIDs []string // restricts to these workspaces (nil: no restriction)
	Kind         string
	Name         string            // exact
	IDs          []string          // restricts to these ids (nil: no restriction)
	Origins      []string          // restricts to assets copied from these ids (nil: no restriction)
	Labels       map[string]string // every pair must match
	Cursor       string
	Limit        int
}

// Limits on assets.
const (
	MaxAssetSpecBytes  = 1 << 20 // an asset's spec, as JSON
	MaxLabels          = 64
	MaxTransferItems   = 1000 // ids in one transfer request
	MaxDocumentBytes   = 4 << 30
	MaxSecretDataBytes = 64 << 10
)

// ValidateAssetName checks an asset name: 1–128 characters, no control characters, no
// slash (names are bundle file names and URL segments), not "." or "..".
func ValidateAssetName(name string) error {
	return validateFileName("asset name", name, 128)
}

// ValidateDocumentName checks a dataset document's name with the same rules (up to 255).
func ValidateDocumentName(name string) error {
	return validateFileName("document name", name, 255)
}

func validateFileName(what, name string, max int) error {
	switch {
	case name == "":
		return Errorf(EInvalid, "%s is empty", what)
	case len(name) > max:
		return Errorf(EInvalid, "%s %q is longer than %d bytes", what, name, max)
	case name == "." || name == "..":
		return Errorf(EInvalid, "%s %q is not allowed", what, name)
	case strings.TrimSpace(name) != name:
		return Errorf(EInvalid, "%s %q starts or ends with a space", what, name)
	case strings.ContainsAny(name, `/\`):
		return Errorf(EInvalid, "%s %q contains a slash", what, name)
	}
	for _, r := range name {
		if isControl(r) {
			return Errorf(EInvalid, "%s %q contains a control character", what, name)
		}
	}
	return nil
}

// ValidateLabels checks label keys and values: at most MaxLabels pairs, keys 1–63 of
// [a-z0-9._-/], values up to 255 characters without control characters.
func ValidateLabels(labels map[string]string) error {
	if len(labels) > MaxLabels {
		return Errorf(EInvalid, "%d labels, at most %d allowed", len(labels), MaxLabels)
	}
	for k, v := range labels {
		if k == "" || len(k) > 63 {
			return Errorf(EInvalid, "label key %q must be 1–63 characters", k)
		}
		for _, r := range k {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/", r)) {
				return Errorf(EInvalid, "label key %q may hold only a-z, 0-9, '.', '_', '-' and '/'", k)
			}
		}
		if len(v) > 255 {
			return Errorf(EInvalid, "label %q: value longer than 255 characters", k)
		}
		for _, r := range v {
			if isControl(r) {
				return Errorf(EInvalid, "label %q: value contains a control character", k)
			}
		}
	}
	return nil
}

// ParseLabelSelector parses "k=v" into a one-pair map (the CLI's --label).
func ParseLabelSelector(s string) (string, string, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return "", "", fmt.Errorf("label %q: want key=value", s)
	}
	return k, v, nil
}

// Transfer modes and conflict policies (also used by import).
const (
	TransferMove = "move"
	TransferCopy = "copy"

	OnConflictFail      = "fail"
	OnConflictSkip      = "skip"
	OnConflictRename    = "rename"
	OnConflictOverwrite = "overwrite"
)

// ValidOnConflict reports whether p is a conflict policy.
func ValidOnConflict(p string) bool {
	switch p {
	case OnConflictFail, OnConflictSkip, OnConflictRename, OnConflictOverwrite:
		return true
	}
	return false
}

// Per-item outcomes of a transfer or an import. A dry run reports what would happen, with
// the same words.
const (
	ItemMoved       = "moved"       // move: the asset now lives in the target
	ItemCopied      = "copied"      // copy: a new asset in the target
	ItemCreated     = "created"     // import: a new asset
	ItemUpdated     = "updated"     // import: an existing asset of the same kind and name updated
	ItemUnchanged   = "unchanged"   // already done: moved before, copied before (origin), identical on import
	ItemSkipped     = "skipped"     // a name conflict, with --on-conflict skip
	ItemRenamed     = "renamed"     // moved or copied under a new name (NewName), with --on-conflict rename
	ItemOverwritten = "overwritten" // replaced the target's asset of the same name
	ItemFailed      = "failed"      // Error says why; nothing was done for this item
)

// TransferRequest is the body of POST /api/v1/assets/transfer.
type TransferRequest struct {
	Mode       string   `json:"mode"`       // move | copy
	From       string   `json:"from"`       // workspace id
	To         string   `json:"to"`         // workspace id
	IDs        []string `json:"ids"`        // 1..MaxTransferItems asset ids of From (an id already moved to To is "unchanged")
	OnConflict string   `json:"onConflict"` // fail (default) | skip | rename | overwrite
	DryRun     bool     `json:"dryRun,omitempty"`
}

// TransferItem is the outcome for one requested id.
type TransferItem struct {
	ID       string `json:"id"`             // the requested (source) id
	Kind     string `json:"kind,omitempty"` // empty when the id was not found
	Name     string `json:"name,omitempty"` // the source name
	Result   string `json:"result"`         // one of the Item* words
	TargetID string `json:"targetId,omitempty"`
	NewName  string `json:"newName,omitempty"` // the name in the target when it differs
	Error    *Error `json:"error,omitempty"`   // when Result is failed
}

// TransferResponse answers a transfer: the items in request order. The items that did not
// fail were applied together in one transaction (none when DryRun).
type TransferResponse struct {
	Mode    string         `json:"mode"`
	From    string         `json:"from"`
	To      string         `json:"to"`
	DryRun  bool           `json:"dryRun"`
	Items   []TransferItem `json:"items"`
	Summary map[string]int `json:"summary"` // result word → count
}

// CreateAssetRequest is the body of POST /api/v1/workspace/{id}/assets. Secret (a JSON
// object) is accepted for credentials only and is never returned.
type CreateAssetRequest struct {
	Kind        string            `json:"kind"`
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Spec        json.RawMessage   `json:"spec,omitempty"` // a JSON object; default {}
	Secret      json.RawMessage   `json:"secret,omitempty"`
}

// UpdateAssetRequest is the body of PATCH /api/v1/workspace/{id}/assets/{assetId}; nil
// fields are unchanged. Labels, when given, replace the whole set. Secret: a JSON object
// replaces the secret data, JSON null removes it.
type UpdateAssetRequest struct {
	Name        *string            `json:"name,omitempty"`
	Description *string            `json:"description,omitempty"`
	Labels      *map[string]string `json:"labels,omitempty"`
	Spec        json.RawMessage    `json:"spec,omitempty"`
	Secret      json.RawMessage    `json:"secret,omitempty"`
}

// BundlePassphraseHeader carries the passphrase of a bundle's sealed credential secrets
// (export with includeSecrets, import of such a bundle). Never logged; redacted by --debug.
const BundlePassphraseHeader = "Forj-Bundle-Passphrase"

// ImportItem is the outcome of one asset of an imported bundle.
type ImportItem struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`              // the name in the bundle
	Result  string `json:"result"`            // created | updated | unchanged | skipped | renamed | overwritten | failed
	ID      string `json:"id,omitempty"`      // the asset in the workspace (none when skipped or on a dry run of a new one)
	NewName string `json:"newName,omitempty"` // with rename
	Error   *Error `json:"error,omitempty"`
}

// ImportResponse answers POST /api/v1/workspace/{id}/import: the plan (DryRun) or what was
// applied, all of it in one transaction. A bundle with problems is refused as a whole with
// code invalid, every problem in the error's details.
type ImportResponse struct {
	WorkspaceID string         `json:"workspaceId"`
	DryRun      bool           `json:"dryRun"`
	Items       []ImportItem   `json:"items"`
	Summary     map[string]int `json:"summary"`
	Documents   int            `json:"documents"` // dataset documents in the bundle
	Bytes       int64          `json:"bytes"`     // their total size
}
