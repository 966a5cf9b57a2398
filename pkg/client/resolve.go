package client

import (
	"context"
	"strings"

	"github.com/forjinn/forjctl/pkg/forj"
)

const (
	workspaceListHint = "see the workspaces you can use with: forjctl workspace list"
	memberListHint    = "see the workspace's members with: forjctl user list"
)

// ResolveWorkspace finds a workspace by id (ws_…) or exact name among those the caller may
// see. Not found is an ENotFound *forj.Error that says how to list the workspaces.
func (c *Client) ResolveWorkspace(ctx context.Context, nameOrID string) (*forj.Workspace, error) {
	if strings.TrimSpace(nameOrID) == "" {
		return nil, forj.Errorf(forj.EInvalid, "no workspace given").
			WithHint("pass -w NAME, or pick one with: forjctl workspace switch NAME")
	}
	if !forj.HasPrefix(nameOrID, forj.PrefixWorkspace) {
		// Names never look like ids (forj.ValidateWorkspaceName), so this is unambiguous.
		return c.WorkspaceByName(ctx, nameOrID)
	}
	w, err := c.GetWorkspace(ctx, nameOrID)
	if forj.IsNotFound(err) {
		return nil, notFound("workspace", nameOrID, workspaceListHint)
	}
	return w, err
}

// ResolveMember finds a member of a workspace by email or user id (usr_…).
func (c *Client) ResolveMember(ctx context.Context, workspaceID, emailOrID string) (*forj.Member, error) {
	if forj.HasPrefix(emailOrID, forj.PrefixUser) {
		// No route reads one membership by user id; walk the members.
		for m, err := range c.AllMembers(ctx, workspaceID, MemberListOptions{ListOptions: ListOptions{Limit: forj.MaxLimit}}) {
			if err != nil {
				return nil, err
			}
			if m.UserID == emailOrID {
				return &m, nil
			}
		}
		return nil, notFound("member", emailOrID, memberListHint)
	}
	email, err := forj.NormalizeEmail(emailOrID)
	if err != nil {
		return nil, forj.Errorf(forj.EInvalid, "%q is neither an email address nor a user id", emailOrID).
			WithHint("name a member by email, e.g. ada@example.com, or by user id (usr_…)")
	}
	l, err := c.ListMembers(ctx, workspaceID, MemberListOptions{Email: email})
	if err != nil {
		return nil, err
	}
	for _, m := range l.Data {
		if strings.EqualFold(m.Email, email) {
			return &m, nil
		}
	}
	return nil, notFound("member", emailOrID, memberListHint)
}
