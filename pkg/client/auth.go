package client

import (
	"context"
	"iter"
	"net/http"

	"github.com/forjinn/forjctl/pkg/forj"
)

// CurrentToken names the calling token in RevokeToken: revoking it is logging out.
const CurrentToken = "current"

// post sends a POST carrying a fresh Idempotency-Key (opts may replace it), so that it can be
// retried safely.
func (c *Client) post(ctx context.Context, path string, body, out any, opts []RequestOption) error {
	opts = append([]RequestOption{WithIdempotencyKey(NewIdempotencyKey())}, opts...)
	return c.Do(ctx, http.MethodPost, path, nil, body, out, opts...)
}

// Healthz checks that the server answers (GET /healthz).
func (c *Client) Healthz(ctx context.Context) error {
	return c.Do(ctx, http.MethodGet, "/healthz", nil, nil, nil)
}

// Readyz checks that the server and its database answer (GET /readyz).
func (c *Client) Readyz(ctx context.Context) error {
	return c.Do(ctx, http.MethodGet, "/readyz", nil, nil, nil)
}

// Login exchanges an email and password (or an invite code and a new password) for a new
// personal access token. It sends no Idempotency-Key (the server has no caller to scope one
// to), so it is never retried after it may have reached the server.
func (c *Client) Login(ctx context.Context, req forj.LoginRequest) (*forj.TokenResponse, error) {
	var out forj.TokenResponse
	if err := c.Do(ctx, http.MethodPost, "/api/v1/auth/login", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Me returns the caller, its token and its memberships with their permissions.
func (c *Client) Me(ctx context.Context) (*forj.MeResponse, error) {
	var out forj.MeResponse
	if err := c.Do(ctx, http.MethodGet, "/api/v1/auth/me", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SwitchWorkspace returns the workspace and the caller's role and permissions in it.
func (c *Client) SwitchWorkspace(ctx context.Context, workspaceID string, opts ...RequestOption) (*forj.SwitchWorkspaceResponse, error) {
	var out forj.SwitchWorkspaceResponse
	req := forj.SwitchWorkspaceRequest{WorkspaceID: workspaceID}
	if err := c.post(ctx, "/api/v1/auth/switch-workspace", req, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListTokens returns a page of the caller's personal access tokens.
func (c *Client) ListTokens(ctx context.Context, opts ListOptions) (*forj.List[forj.Token], error) {
	return getList[forj.Token](ctx, c, "/api/v1/auth/tokens", opts.query())
}

// AllTokens iterates over the caller's personal access tokens.
func (c *Client) AllTokens(ctx context.Context, opts ListOptions) iter.Seq2[forj.Token, error] {
	return Iterate[forj.Token](ctx, c, "/api/v1/auth/tokens", opts.query())
}

// CreateToken makes a new personal access token for the caller; the secret is in the answer
// only.
func (c *Client) CreateToken(ctx context.Context, req forj.CreateTokenRequest, opts ...RequestOption) (*forj.TokenResponse, error) {
	var out forj.TokenResponse
	if err := c.post(ctx, "/api/v1/auth/tokens", req, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeToken revokes one of the caller's tokens by id; CurrentToken revokes the calling one.
func (c *Client) RevokeToken(ctx context.Context, tokenID string) error {
	return c.Do(ctx, http.MethodDelete, "/api/v1/auth/tokens/"+escape(tokenID), nil, nil, nil)
}
