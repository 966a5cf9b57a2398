package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/forjinn/forjctl/pkg/forj"
)

func keysPath(workspaceID string) string { return workspacePath(workspaceID) + "/keys" }

func keyPath(workspaceID, keyID string) string {
	return keysPath(workspaceID) + "/" + escape(keyID)
}

// ListKeys returns every API key of a workspace, newest first; with includeRevoked the
// revoked ones too. The route is not paged: a workspace has few keys.
func (c *Client) ListKeys(ctx context.Context, workspaceID string, includeRevoked bool) ([]forj.Token, error) {
	q := url.Values{}
	if includeRevoked {
		q.Set("all", "true")
	}
	// Follow next_cursor anyway, so a server that starts paging does not silently cut the list.
	out := []forj.Token{}
	for k, err := range Iterate[forj.Token](ctx, c, keysPath(workspaceID), q) {
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// CreateKey makes a workspace API key; the answer holds its secret, shown once.
func (c *Client) CreateKey(ctx context.Context, workspaceID string, req forj.CreateKeyRequest, opts ...RequestOption) (*forj.TokenResponse, error) {
	var out forj.TokenResponse
	if err := c.post(ctx, keysPath(workspaceID), req, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeKey revokes a workspace API key at once; reason, when set, is recorded in the audit
// trail.
func (c *Client) RevokeKey(ctx context.Context, workspaceID, keyID, reason string) error {
	var q url.Values
	if reason != "" {
		q = url.Values{"reason": {reason}}
	}
	return c.Do(ctx, http.MethodDelete, keyPath(workspaceID, keyID), q, nil, nil)
}

// RotateKey replaces a key by a new one with the same name and scopes; the old secret stays
// valid for req.Grace. The answer holds the new secret, shown once.
func (c *Client) RotateKey(ctx context.Context, workspaceID, keyID string, req forj.RotateKeyRequest, opts ...RequestOption) (*forj.RotateKeyResponse, error) {
	var out forj.RotateKeyResponse
	if err := c.post(ctx, keyPath(workspaceID, keyID)+"/rotate", req, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// VerifyKey asks who the client's token is; it must be a workspace API key (anything else
// is an EUnauthenticated error). This is the check a flow runtime makes.
func (c *Client) VerifyKey(ctx context.Context) (*forj.KeyVerifyResponse, error) {
	var out forj.KeyVerifyResponse
	if err := c.Do(ctx, http.MethodGet, "/api/v1/keys/verify", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
