package server

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/forjinn/forjctl/pkg/authz"
	"github.com/forjinn/forjctl/pkg/forj"
)

// Asset rules:
//   - An asset is reached through its workspace: /workspace/{id}/assets/{assetId} answers
//     404 when the asset lives in another workspace, whoever asks (no existence leaks).
//   - The spec is a JSON object (stored compacted), labels follow forj.ValidateLabels.
//   - Credentials take secret data (a JSON object) on create and update; it is sealed with
//     the server key (AES-256-GCM) before it reaches the store and never returned.

// validateKind checks a kind named in a request or query.
func validateKind(kind string) (forj.KindInfo, error) {
	k, ok := forj.LookupKind(kind)
	if !ok {
		names := make([]string, 0, 6)
		for _, k := range forj.Kinds() {
			names = append(names, k.Name)
		}
		return k, forj.Errorf(forj.EInvalid, "unknown asset kind %q", kind).
			WithHint("kinds are %v", names)
	}
	return k, nil
}

// compactObject checks that raw is a JSON object and returns it compacted ({} when empty).
func compactObject(field string, raw json.RawMessage, max int) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage(`{}`), nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, forj.Errorf(forj.EInvalid, "%s is not valid JSON: %v", field, err)
	}
	if buf.Len() == 0 || buf.Bytes()[0] != '{' {
		return nil, forj.Errorf(forj.EInvalid, "%s must be a JSON object", field)
	}
	if buf.Len() > max {
		return nil, forj.Errorf(forj.ETooLarge, "%s is %d bytes; the maximum is %d", field, buf.Len(), max)
	}
	return buf.Bytes(), nil
}

// isNull reports whether raw is the JSON null.
func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// secretData validates a credential's secret data for kind and returns it compacted.
func secretData(k forj.KindInfo, raw json.RawMessage) ([]byte, error) {
	if !k.Secret {
		return nil, forj.Errorf(forj.EInvalid, "a %s holds no secret data", k.Name).
			WithHint("only credentials take a secret")
	}
	return compactObject("secret", raw, forj.MaxSecretDataBytes)
}

func validateAssetFields(name, description *string, labels *map[string]string) error {
	if name != nil {
		if err := forj.ValidateAssetName(*name); err != nil {
			return err
		}
	}
	if description != nil {
		if err := validateText("description", *description, maxDescription, true); err != nil {
			return err
		}
	}
	if labels != nil {
		if err := forj.ValidateLabels(*labels); err != nil {
			return err
		}
	}
	return nil
}

// assetIn reads an asset of workspace wsID; one in another workspace is not found.
func assetIn(tx forj.Tx, wsID, assetID string) (*forj.Asset, error) {
	a, err := tx.GetAsset(assetID)
	if err == nil && a.WorkspaceID != wsID {
		err = forj.Errorf(forj.ENotFound, "not there")
	}
	if forj.IsNotFound(err) {
		return nil, forj.Errorf(forj.ENotFound, "asset %q not found in workspace %s", assetID, wsID).
			WithHint("list the workspace's assets with: forjctl <kind> list")
	}
	return a, err
}

func assetTaken(err error, kind, name string) error {
	if forj.IsConflict(err) {
		return forj.Errorf(forj.EConflict, "a %s named %q already exists in this workspace", kind, name).
			WithHint("choose another name, or update the existing %s", kind)
	}
	return err
}

// labelQuery reads ?label=k=v (repeatable).
func labelQuery(r *http.Request) (map[string]string, error) {
	vals := r.URL.Query()["label"]
	if len(vals) == 0 {
		return nil, nil
	}
	labels := map[string]string{}
	for _, v := range vals {
		k, val, err := forj.ParseLabelSelector(v)
		if err != nil {
			return nil, forj.Errorf(forj.EInvalid, "%v", err)
		}
		labels[k] = val
	}
	return labels, nil
}

// assetFilter reads the list filters shared by the workspace list and the search.
func assetFilter(r *http.Request) (forj.AssetFilter, error) {
	q := r.URL.Query()
	f := forj.AssetFilter{Kind: q.Get("kind"), Name: q.Get("name")}
	if f.Kind != "" {
		if _, err := validateKind(f.Kind); err != nil {
			return f, err
		}
	}
	lq, err := pageQuery(r)
	if err != nil {
		return f, err
	}
	f.Cursor, f.Limit = lq.cursor, lq.limit
	f.Labels, err = labelQuery(r)
	return f, err
}

func (s *Server) listAssets(c *call) error {
	f, err := assetFilter(c.r)
	if err != nil {
		return err
	}
	f.WorkspaceID = c.r.PathValue("id")
	return s.writeAssetList(c, f)
}

// searchAssets lists assets across the workspaces where the caller may read assets: what
// the CLI asks when a name is not in the active workspace.
func (s *Server) searchAssets(c *call) error {
	f, err := assetFilter(c.r)
	if err != nil {
		return err
	}
	ids, all := c.visibleWorkspaces(authz.AssetRead)
	if !all {
		if len(ids) == 0 {
			return s.writeJSON(c.w, http.StatusOK, forj.List[forj.Asset]{Data: []forj.Asset{}})
		}
		f.WorkspaceIDs = ids
	}
	return s.writeAssetList(c, f)
}

func (s *Server) writeAssetList(c *call, f forj.AssetFilter) error {
	resp := forj.List[forj.Asset]{}
	err := s.store.View(c.ctx(), func(tx forj.Tx) error {
		var err error
		resp.Data, resp.NextCursor, err = tx.ListAssets(f)
		return err
	})
	if err != nil {
		return err
	}
	if resp.Data == nil {
		resp.Data = []forj.Asset{}
	}
	return s.writeJSON(c.w, http.StatusOK, resp)
}

func (s *Server) createAsset(c *call) error {
	wsID := c.r.PathValue("id")
	var req forj.CreateAssetRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	k, err := validateKind(req.Kind)
	if err != nil {
		return err
	}
	if err := validateAssetFields(&req.Name, &req.Description, &req.Labels); err != nil {
		return err
	}
	spec, err := compactObject("spec", req.Spec, forj.MaxAssetSpecBytes)
	if err != nil {
		return err
	}
	var secret []byte
	if len(req.Secret) > 0 && !isNull(req.Secret) {
		if secret, err = secretData(k, req.Secret); err != nil {
			return err
		}
	}
	return c.mutate(http.StatusCreated, func(tx forj.Tx) (any, error) {
		a := &forj.Asset{
			ID: forj.NewID(forj.PrefixAsset), WorkspaceID: wsID, Kind: k.Name, Name: req.Name,
			Description: req.Description, Labels: req.Labels, Spec: spec,
			CreatedBy: c.user.ID, UpdatedBy: c.user.ID,
		}
		if a.Labels == nil {
			a.Labels = map[string]string{}
		}
		if secret != nil {
			a.Secret = s.sealSecret(a.ID, secret)
		}
		if err := tx.CreateAsset(a); err != nil {
			return nil, assetTaken(err, a.Kind, a.Name)
		}
		a.Secret, a.HasSecret = nil, secret != nil
		changes := map[string]any{"kind": a.Kind, "name": a.Name}
		if secret != nil {
			changes["secret"] = "set"
		}
		if err := tx.AppendAudit(c.event("asset.create", wsID, "asset", a.ID, changes)); err != nil {
			return nil, err
		}
		c.w.Header().Set("ETag", etag(a.Version))
		return a, nil
	})
}

func (s *Server) getAsset(c *call) error {
	var a *forj.Asset
	err := s.store.View(c.ctx(), func(tx forj.Tx) error {
		var err error
		a, err = assetIn(tx, c.r.PathValue("id"), c.r.PathValue("assetId"))
		return err
	})
	if err != nil {
		return err
	}
	c.w.Header().Set("ETag", etag(a.Version))
	return s.writeJSON(c.w, http.StatusOK, a)
}

// checkIfMatch answers 412 when the request's If-Match does not match the asset.
func checkIfMatch(c *call, a *forj.Asset) error {
	if ok, _ := ifMatch(c.r.Header.Get("If-Match"), a.Version); !ok {
		return &statusError{status: http.StatusPreconditionFailed, err: forj.Errorf(forj.EConflict,
			"%s %q changed since you read it (version is now %d)", a.Kind, a.Name, a.Version).
			WithHint("get it again and retry, or drop the version check")}
	}
	return nil
}

func (s *Server) updateAsset(c *call) error {
	wsID, assetID := c.r.PathValue("id"), c.r.PathValue("assetId")
	var req forj.UpdateAssetRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	if err := validateAssetFields(req.Name, req.Description, req.Labels); err != nil {
		return err
	}
	var spec json.RawMessage
	if len(req.Spec) > 0 {
		var err error
		if spec, err = compactObject("spec", req.Spec, forj.MaxAssetSpecBytes); err != nil {
			return err
		}
	}
	if _, err := ifMatch(c.r.Header.Get("If-Match"), 0); err != nil {
		return err
	}
	return c.mutate(http.StatusOK, func(tx forj.Tx) (any, error) {
		a, err := assetIn(tx, wsID, assetID)
		if err != nil {
			return nil, err
		}
		if err := checkIfMatch(c, a); err != nil {
			return nil, err
		}
		k, _ := forj.LookupKind(a.Kind)
		if a.Secret, err = tx.GetAssetSecret(a.ID); err != nil {
			return nil, err
		}
		changes := map[string]any{}
		if req.Name != nil && *req.Name != a.Name {
			changes["name"] = map[string]string{"from": a.Name, "to": *req.Name}
			a.Name = *req.Name
		}
		if req.Description != nil && *req.Description != a.Description {
			changes["description"] = map[string]string{"from": a.Description, "to": *req.Description}
			a.Description = *req.Description
		}
		if req.Labels != nil {
			changes["labels"] = *req.Labels
			a.Labels = *req.Labels
		}
		if spec != nil && !bytes.Equal(spec, a.Spec) {
			changes["spec"] = "changed"
			a.Spec = spec
		}
		if len(req.Secret) > 0 {
			if isNull(req.Secret) {
				if !k.Secret {
					return nil, forj.Errorf(forj.EInvalid, "a %s holds no secret data", a.Kind)
				}
				if a.Secret != nil {
					changes["secret"] = "removed"
				}
				a.Secret = nil
			} else {
				data, err := secretData(k, req.Secret)
				if err != nil {
					return nil, err
				}
				a.Secret = s.sealSecret(a.ID, data)
				changes["secret"] = "set"
			}
		}
		if len(changes) > 0 {
			a.UpdatedBy = c.user.ID
			if err := tx.UpdateAsset(a); err != nil {
				return nil, assetTaken(err, a.Kind, a.Name)
			}
			if err := tx.AppendAudit(c.event("asset.update", wsID, "asset", a.ID, changes)); err != nil {
				return nil, err
			}
		}
		a.HasSecret, a.Secret = a.Secret != nil, nil
		c.w.Header().Set("ETag", etag(a.Version))
		return a, nil
	})
}

func (s *Server) deleteAsset(c *call) error {
	wsID, assetID := c.r.PathValue("id"), c.r.PathValue("assetId")
	if _, err := ifMatch(c.r.Header.Get("If-Match"), 0); err != nil {
		return err
	}
	return c.mutate(http.StatusNoContent, func(tx forj.Tx) (any, error) {
		a, err := assetIn(tx, wsID, assetID)
		if err != nil {
			return nil, err
		}
		if err := checkIfMatch(c, a); err != nil {
			return nil, err
		}
		if err := tx.DeleteAsset(a.ID); err != nil {
			return nil, err
		}
		return nil, tx.AppendAudit(c.event("asset.delete", wsID, "asset", a.ID, map[string]string{"kind": a.Kind, "name": a.Name}))
	})
}
