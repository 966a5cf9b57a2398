package client

import (
	"context"
	"iter"
	"net/http"

	"github.com/forjinn/forjctl/pkg/forj"
)

func rolePath(name string) string { return "/api/v1/roles/" + escape(name) }

// ListRoles returns the roles: built-in first, then custom.
func (c *Client) ListRoles(ctx context.Context, opts ListOptions) (*forj.List[forj.Role], error) {
	return getList[forj.Role](ctx, c, "/api/v1/roles", opts.query())
}

// AllRoles iterates over the roles.
func (c *Client) AllRoles(ctx context.Context, opts ListOptions) iter.Seq2[forj.Role, error] {
	return Iterate[forj.Role](ctx, c, "/api/v1/roles", opts.query())
}

// GetRole returns a role by name.
func (c *Client) GetRole(ctx context.Context, name string) (*forj.Role, error) {
	var out forj.Role
	if err := c.Do(ctx, http.MethodGet, rolePath(name), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateRole defines a custom role (owner).
func (c *Client) CreateRole(ctx context.Context, req forj.CreateRoleRequest, opts ...RequestOption) (*forj.Role, error) {
	var out forj.Role
	if err := c.post(ctx, "/api/v1/roles", req, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteRole deletes a custom role that no membership uses (owner).
func (c *Client) DeleteRole(ctx context.Context, name string) error {
	return c.Do(ctx, http.MethodDelete, rolePath(name), nil, nil, nil)
}

// ListPermissions returns the permission catalog.
func (c *Client) ListPermissions(ctx context.Context, opts ListOptions) (*forj.List[forj.Permission], error) {
	return getList[forj.Permission](ctx, c, "/api/v1/permissions", opts.query())
}

// AllPermissions iterates over the permission catalog.
func (c *Client) AllPermissions(ctx context.Context, opts ListOptions) iter.Seq2[forj.Permission, error] {
	return Iterate[forj.Permission](ctx, c, "/api/v1/permissions", opts.query())
}
