package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"

	"github.com/forjinn/forjctl/pkg/forj"
)

// MemberListOptions filter the members of a workspace.
type MemberListOptions struct {
	ListOptions
	Email string // exact match
}

func (o MemberListOptions) query() url.Values {
	q := o.ListOptions.query()
	if o.Email != "" {
		q.Set("email", o.Email)
	}
	return q
}

func workspacePath(id string) string { return "/api/v1/workspace/" + escape(id) }

// CreateWorkspace creates a workspace (owner).
func (c *Client) CreateWorkspace(ctx context.Context, req forj.CreateWorkspaceRequest, opts ...RequestOption) (*forj.Workspace, error) {
	var out forj.Workspace
	if err := c.post(ctx, "/api/v1/workspace", req, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListWorkspaces returns a page of the workspaces the caller may see, sorted by name.
func (c *Client) ListWorkspaces(ctx context.Context, opts ListOptions) (*forj.List[forj.Workspace], error) {
	return getList[forj.Workspace](ctx, c, "/api/v1/workspaces", opts.query())
}

// AllWorkspaces iterates over the workspaces the caller may see.
func (c *Client) AllWorkspaces(ctx context.Context, opts ListOptions) iter.Seq2[forj.Workspace, error] {
	return Iterate[forj.Workspace](ctx, c, "/api/v1/workspaces", opts.query())
}

// WorkspaceByName returns the workspace of that exact name among those the caller may see.
func (c *Client) WorkspaceByName(ctx context.Context, name string) (*forj.Workspace, error) {
	l, err := getList[forj.Workspace](ctx, c, "/api/v1/workspaces", url.Values{"name": {name}})
	if err != nil {
		return nil, err
	}
	for _, w := range l.Data {
		if w.Name == name {
			return &w, nil
		}
	}
	return nil, notFound("workspace", name, workspaceListHint)
}

// GetWorkspace returns a workspace by id.
func (c *Client) GetWorkspace(ctx context.Context, id string) (*forj.Workspace, error) {
	var out forj.Workspace
	if err := c.Do(ctx, http.MethodGet, workspacePath(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateWorkspace changes the non-nil fields of req. With ifMatchVersion > 0 the change
// applies only if the workspace is still at that version (else an EConflict error).
func (c *Client) UpdateWorkspace(ctx context.Context, id string, req forj.UpdateWorkspaceRequest, ifMatchVersion int64) (*forj.Workspace, error) {
	var opts []RequestOption
	if ifMatchVersion > 0 {
		opts = append(opts, WithHeader("If-Match", strconv.Quote(strconv.FormatInt(ifMatchVersion, 10))))
	}
	var out forj.Workspace
	if err := c.Do(ctx, http.MethodPatch, workspacePath(id), nil, req, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteWorkspace deletes a workspace with everything in it.
func (c *Client) DeleteWorkspace(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, workspacePath(id), nil, nil, nil)
}

// AddUser makes a user (by id or email) a member of a workspace; an unknown email invites.
func (c *Client) AddUser(ctx context.Context, workspaceID string, req forj.AddUserRequest, opts ...RequestOption) (*forj.AddUserResponse, error) {
	var out forj.AddUserResponse
	if err := c.post(ctx, workspacePath(workspaceID)+"/add-user", req, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// RemoveUser ends a user's membership of a workspace and returns the removed membership.
func (c *Client) RemoveUser(ctx context.Context, workspaceID string, req forj.RemoveUserRequest, opts ...RequestOption) (*forj.Member, error) {
	var out forj.Member
	if err := c.post(ctx, workspacePath(workspaceID)+"/remove-user", req, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListMembers returns a page of a workspace's members, sorted by email.
func (c *Client) ListMembers(ctx context.Context, workspaceID string, opts MemberListOptions) (*forj.List[forj.Member], error) {
	return getList[forj.Member](ctx, c, workspacePath(workspaceID)+"/members", opts.query())
}

// AllMembers iterates over a workspace's members.
func (c *Client) AllMembers(ctx context.Context, workspaceID string, opts MemberListOptions) iter.Seq2[forj.Member, error] {
	return Iterate[forj.Member](ctx, c, workspacePath(workspaceID)+"/members", opts.query())
}

// SetMemberRole changes a member's role in a workspace.
func (c *Client) SetMemberRole(ctx context.Context, workspaceID, userID, role string) (*forj.Member, error) {
	var out forj.Member
	path := workspacePath(workspaceID) + "/members/" + escape(userID)
	if err := c.Do(ctx, http.MethodPatch, path, nil, forj.SetMemberRoleRequest{Role: role}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
