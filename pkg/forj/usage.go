package forj

import "time"

// UsageEvent is one measurement of a workspace's consumption, ingested with a workspace API
// key (POST /api/v1/usage). WorkspaceID and KeyID come from the key, never from the body.
type UsageEvent struct {
	Seq          int64     `json:"seq,omitempty"`
	WorkspaceID  string    `json:"workspaceId,omitempty"`
	KeyID        string    `json:"keyId,omitempty"`
	Assistant    string    `json:"assistant"`
	Environment  string    `json:"environment"`
	TokensIn     int64     `json:"tokensIn"`
	TokensOut    int64     `json:"tokensOut"`
	ComputeMs    int64     `json:"computeMs"`
	APICalls     int64     `json:"apiCalls"`
	VoiceMinutes float64   `json:"voiceMinutes"`
	Time         time.Time `json:"time"`
}

// Usage report groupings.
const (
	UsageByWorkspace = "workspace"
	UsageByAssistant = "assistant"
	UsageByDay       = "day"
)

// UsageFilter selects usage events for a report. WorkspaceIDs nil means every workspace;
// an empty non-nil slice means none. Since is inclusive, Until exclusive.
type UsageFilter struct {
	WorkspaceIDs []string
	Environment  string
	Since        time.Time
	Until        time.Time
	By           string // UsageByWorkspace, UsageByAssistant or UsageByDay
}

// UsageRow is one group of a usage report: Key is the workspace id, the assistant or the
// day (YYYY-MM-DD, UTC); Label is a display name (the workspace's name) where there is one.
type UsageRow struct {
	Key          string  `json:"key"`
	Label        string  `json:"label,omitempty"`
	Events       int64   `json:"events"`
	TokensIn     int64   `json:"tokensIn"`
	TokensOut    int64   `json:"tokensOut"`
	ComputeMs    int64   `json:"computeMs"`
	APICalls     int64   `json:"apiCalls"`
	VoiceMinutes float64 `json:"voiceMinutes"`
}

// UsageIngestRequest is the body of POST /api/v1/usage: at most 1,000 events.
type UsageIngestRequest struct {
	Events []UsageEvent `json:"events"`
}

// UsageIngestResponse answers an ingest.
type UsageIngestResponse struct {
	Accepted int `json:"accepted"`
}

// UsageReport is GET /api/v1/usage/report.
type UsageReport struct {
	By          string     `json:"by"`
	Environment string     `json:"environment,omitempty"`
	Since       time.Time  `json:"since"`
	Until       time.Time  `json:"until"`
	Rows        []UsageRow `json:"rows"`
	Total       UsageRow   `json:"total"`
}

// CreateKeyRequest is the body of POST /api/v1/workspace/{id}/keys. Scopes default to the
// creator's permissions in the workspace and may not exceed them.
type CreateKeyRequest struct {
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes,omitempty"`
	ExpiresIn string   `json:"expiresIn,omitempty"` // Go duration or Nd, e.g. "90d"; "" = never
}

// RotateKeyRequest is the body of POST /api/v1/workspace/{id}/keys/{keyId}/rotate. Grace
// is how long the old secret stays valid ("0" or "" = revoked at once).
type RotateKeyRequest struct {
	Grace string `json:"grace,omitempty"`
}

// RotateKeyResponse carries the new key (secret shown once) and when the old one stops.
type RotateKeyResponse struct {
	TokenResponse
	Replaced      string    `json:"replaced"`
	OldValidUntil time.Time `json:"oldValidUntil"`
}

// KeyVerifyResponse is GET /api/v1/keys/verify: who the calling workspace API key is.
type KeyVerifyResponse struct {
	KeyID       string     `json:"keyId"`
	Name        string     `json:"name"`
	WorkspaceID string     `json:"workspaceId"`
	Scopes      []string   `json:"scopes"`
	ExpiresAt   *time.Time `json:"expiresAt,omitempty"`
}
