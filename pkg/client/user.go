package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"

	"github.com/forjinn/forjctl/pkg/forj"
)

// UserListOptions filter the users of the platform.
type UserListOptions struct {
	ListOptions
	Status string // invited, active or disabled
	Email  string // exact match
}

func (o UserListOptions) query() url.Values {
	q := o.ListOptions.query()
	if o.Status != "" {
		q.Set("status", o.Status)
	}
	if o.Email != "" {
		q.Set("email", o.Email)
	}
	return q
}

func userPath(id string) string { return "/api/v1/users/" + escape(id) }

// ListUsers returns a page of the platform's users, sorted by email (owner).
func (c *Client) ListUsers(ctx context.Context, opts UserListOptions) (*forj.List[forj.User], error) {
	return getList[forj.User](ctx, c, "/api/v1/users", opts.query())
}

// AllUsers iterates over the platform's users (owner).
func (c *Client) AllUsers(ctx context.Context, opts UserListOptions) iter.Seq2[forj.User, error] {
	return Iterate[forj.User](ctx, c, "/api/v1/users", opts.query())
}

// InviteUser invites a user to the platform without a workspace (owner); the answer holds
// the one-time invite code.
func (c *Client) InviteUser(ctx context.Context, req forj.InviteUserRequest, opts ...RequestOption) (*forj.InviteUserResponse, error) {
	var out forj.InviteUserResponse
	if err := c.post(ctx, "/api/v1/users", req, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetUser returns a user by id (owner).
func (c *Client) GetUser(ctx context.Context, id string) (*forj.User, error) {
	var out forj.User
	if err := c.Do(ctx, http.MethodGet, userPath(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DisableUser disables a user; its tokens stop working at once (owner).
func (c *Client) DisableUser(ctx context.Context, id string, opts ...RequestOption) (*forj.User, error) {
	var out forj.User
	if err := c.post(ctx, userPath(id)+"/disable", nil, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// EnableUser enables a disabled user (owner).
func (c *Client) EnableUser(ctx context.Context, id string, opts ...RequestOption) (*forj.User, error) {
	var out forj.User
	if err := c.post(ctx, userPath(id)+"/enable", nil, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}
