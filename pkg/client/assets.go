package client

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/forjinn/forjctl/pkg/forj"
)

// AssetListOptions filter the assets of a workspace (or, for SearchAssets, of every visible
// workspace). Empty fields do not filter.
type AssetListOptions struct {
	ListOptions
	Kind   string            // one of forj.Kinds()
	Name   string            // exact
	Labels map[string]string // every pair must match
}

func (o AssetListOptions) query() url.Values {
	q := o.ListOptions.query()
	if o.Kind != "" {
		q.Set("kind", o.Kind)
	}
	if o.Name != "" {
		q.Set("name", o.Name)
	}
	keys := make([]string, 0, len(o.Labels))
	for k := range o.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		q.Add("label", k+"="+o.Labels[k])
	}
	return q
}

func assetsPath(workspaceID string) string { return workspacePath(workspaceID) + "/assets" }

func assetPath(workspaceID, assetID string) string {
	return assetsPath(workspaceID) + "/" + escape(assetID)
}

// ifMatch is the If-Match option for a version; none when version ≤ 0.
func ifMatch(version int64) []RequestOption {
	if version <= 0 {
		return nil
	}
	return []RequestOption{WithHeader("If-Match", strconv.Quote(strconv.FormatInt(version, 10)))}
}

// ListAssets returns one page of a workspace's assets, sorted by kind then name.
func (c *Client) ListAssets(ctx context.Context, workspaceID string, opts AssetListOptions) (*forj.List[forj.Asset], error) {
	return getList[forj.Asset](ctx, c, assetsPath(workspaceID), opts.query())
}

// AllAssets iterates over a workspace's assets, page after page (opts.Limit is the page
// size), sorted by kind then name.
func (c *Client) AllAssets(ctx context.Context, workspaceID string, opts AssetListOptions) iter.Seq2[forj.Asset, error] {
	return Iterate[forj.Asset](ctx, c, assetsPath(workspaceID), opts.query())
}

// SearchAssets returns the assets of a kind and exact name in every workspace where the
// caller may read assets (GET /api/v1/assets). Kind or name may be empty.
func (c *Client) SearchAssets(ctx context.Context, kind, name string) ([]forj.Asset, error) {
	q := AssetListOptions{Kind: kind, Name: name, ListOptions: ListOptions{Limit: forj.MaxLimit}}.query()
	out := []forj.Asset{}
	for a, err := range Iterate[forj.Asset](ctx, c, "/api/v1/assets", q) {
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// CreateAsset creates an asset in a workspace.
func (c *Client) CreateAsset(ctx context.Context, workspaceID string, req forj.CreateAssetRequest, opts ...RequestOption) (*forj.Asset, error) {
	var out forj.Asset
	if err := c.post(ctx, assetsPath(workspaceID), req, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetAsset returns an asset of a workspace by id.
func (c *Client) GetAsset(ctx context.Context, workspaceID, assetID string) (*forj.Asset, error) {
	var out forj.Asset
	if err := c.Do(ctx, http.MethodGet, assetPath(workspaceID, assetID), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateAsset changes the non-nil fields of req. With ifMatchVersion > 0 the change applies
// only if the asset is still at that version (else an EConflict error).
func (c *Client) UpdateAsset(ctx context.Context, workspaceID, assetID string, req forj.UpdateAssetRequest, ifMatchVersion int64) (*forj.Asset, error) {
	var out forj.Asset
	if err := c.Do(ctx, http.MethodPatch, assetPath(workspaceID, assetID), nil, req, &out, ifMatch(ifMatchVersion)...); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteAsset deletes an asset (a dataset with its documents). With ifMatchVersion > 0 only
// if it is still at that version.
func (c *Client) DeleteAsset(ctx context.Context, workspaceID, assetID string, ifMatchVersion int64) error {
	return c.Do(ctx, http.MethodDelete, assetPath(workspaceID, assetID), nil, nil, nil, ifMatch(ifMatchVersion)...)
}

// AssetByName returns the asset of a kind and exact name in a workspace, or an ENotFound
// error (without the search of other workspaces that ResolveAsset makes).
func (c *Client) AssetByName(ctx context.Context, workspaceID, kind, name string) (*forj.Asset, error) {
	l, err := c.ListAssets(ctx, workspaceID, AssetListOptions{Kind: kind, Name: name})
	if err != nil {
		return nil, err
	}
	for _, a := range l.Data {
		if a.Kind == kind && a.Name == name {
			return &a, nil
		}
	}
	return nil, forj.Errorf(forj.ENotFound, "%s %q not found", kind, name)
}

// ResolveAsset finds an asset of a kind in a workspace by id (ast_…) or exact name.
//
// When a name is not in the workspace but the caller can see an asset of that kind and name
// in other workspaces, the ENotFound error names them and its hint is the command that
// switches to one: the platform's most common support question ("where did my flow go?").
func (c *Client) ResolveAsset(ctx context.Context, workspaceID, kind, nameOrID string) (*forj.Asset, error) {
	ref := strings.TrimSpace(nameOrID)
	if ref == "" {
		return nil, forj.Errorf(forj.EInvalid, "no %s given", kind)
	}
	listHint := fmt.Sprintf("see the workspace's %s with: forjctl %s list", pluralOf(kind), kind)
	if forj.HasPrefix(ref, forj.PrefixAsset) {
		a, err := c.GetAsset(ctx, workspaceID, ref)
		switch {
		case err == nil && a.Kind == kind:
			return a, nil
		case err == nil:
			return nil, forj.Errorf(forj.ENotFound, "%s is %s, not %s", ref, article(a.Kind), article(kind)).
				WithHint("use: forjctl %s get %s", a.Kind, ref)
		case !forj.IsNotFound(err):
			return nil, err
		}
		// Not an id of this workspace: it may still be a name that looks like one.
	}
	a, err := c.AssetByName(ctx, workspaceID, kind, ref)
	if err == nil || !forj.IsNotFound(err) {
		return a, err
	}
	return nil, c.assetElsewhere(ctx, workspaceID, kind, ref, listHint)
}

// assetElsewhere builds the not-found error of a name, naming the other workspaces where
// the caller can see an asset of that kind and name.
func (c *Client) assetElsewhere(ctx context.Context, workspaceID, kind, name, listHint string) error {
	wsName := workspaceID
	if w, err := c.GetWorkspace(ctx, workspaceID); err == nil {
		wsName = w.Name
	}
	base := forj.Errorf(forj.ENotFound, "%s %q not found in workspace %s", kind, name, wsName).WithHint("%s", listHint)
	found, err := c.SearchAssets(ctx, kind, name)
	if err != nil {
		// The search only improves the message; its failure must not hide the answer.
		return base
	}
	var names []string
	for _, a := range found {
		if a.WorkspaceID == workspaceID || a.Name != name || a.Kind != kind {
			continue
		}
		n := a.WorkspaceID
		if w, err := c.GetWorkspace(ctx, a.WorkspaceID); err == nil {
			n = w.Name
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return base
	}
	slices.Sort(names)
	where := "workspace " + names[0]
	if len(names) > 1 {
		where = "workspaces " + strings.Join(names, ", ")
	}
	return forj.Errorf(forj.ENotFound, "%s %q not found in workspace %s; it is in %s", kind, name, wsName, where).
		WithHint("switch with: forjctl workspace switch %s (or add -w %s to this command)", shellQuote(names[0]), shellQuote(names[0]))
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe characters, so that
// a hint can be pasted as it is.
func shellQuote(s string) string {
	safe := s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.,/:@+=", r))
	})
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func pluralOf(kind string) string {
	if k, ok := forj.LookupKind(kind); ok {
		return k.Plural
	}
	return kind + "s"
}

// article puts "a" or "an" before a kind: "a flow", "an agent".
func article(kind string) string {
	if kind != "" && strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}
