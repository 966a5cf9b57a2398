package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/forjinn/forjctl/pkg/forj"
)

// Transfers move or copy up to forj.MaxTransferItems assets between two workspaces in one
// transaction. Each item is answered on its own: one that fails (not found, a name conflict
// under --on-conflict fail) is reported and left alone while the others apply together.
// Re-running a transfer is safe: a moved asset keeps its id, so asking again to move it from
// its old workspace answers "unchanged"; a copy records its source as its origin, so copying
// the same source again answers "unchanged" with the earlier copy's id. That is what makes an
// interrupted CLI batch complete on a re-run without duplicates.
//
// A dry run runs the very same code in a transaction that is then rolled back, so the plan
// is what would have happened, conflicts within the batch included.

// errDryRun rolls a dry run's transaction back.
var errDryRun = errors.New("dry run")

func (s *Server) transfer(c *call) error {
	var req forj.TransferRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	if req.Mode != forj.TransferMove && req.Mode != forj.TransferCopy {
		return forj.Errorf(forj.EInvalid, "mode %q: want move or copy", req.Mode)
	}
	if req.OnConflict == "" {
		req.OnConflict = forj.OnConflictFail
	}
	if !forj.ValidOnConflict(req.OnConflict) {
		return forj.Errorf(forj.EInvalid, "onConflict %q: want fail, skip, rename or overwrite", req.OnConflict)
	}
	if req.From == "" || req.To == "" {
		return forj.Errorf(forj.EInvalid, "from and to workspaces are required")
	}
	if len(req.IDs) == 0 {
		return forj.Errorf(forj.EInvalid, "ids is empty: name at least one asset")
	}
	if len(req.IDs) > forj.MaxTransferItems {
		return forj.Errorf(forj.ETooLarge, "%d ids in one transfer; at most %d", len(req.IDs), forj.MaxTransferItems).
			WithHint("send them in batches (the CLI does)")
	}
	seen := make(map[string]bool, len(req.IDs))
	for _, id := range req.IDs {
		if seen[id] {
			return forj.Errorf(forj.EInvalid, "asset %q is listed twice", id)
		}
		seen[id] = true
	}
	// Developer or more on both sides (asset.transfer).
	if err := c.authorizeWorkspace(req.From); err != nil {
		return err
	}
	if err := c.authorizeWorkspace(req.To); err != nil {
		return err
	}
	run := func(tx forj.Tx) (any, error) {
		t := &transferRun{s: s, c: c, tx: tx, req: &req}
		return t.run()
	}
	if !req.DryRun {
		return c.mutate(http.StatusOK, run)
	}
	var out any
	err := s.store.Update(c.ctx(), func(tx forj.Tx) error {
		var err error
		if out, err = run(tx); err != nil {
			return err
		}
		return errDryRun
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return err
	}
	return s.writeJSON(c.w, http.StatusOK, out)
}

// transferRun is one transfer inside its transaction.
type transferRun struct {
	s   *Server
	c   *call
	tx  forj.Tx
	req *forj.TransferRequest
}

func (t *transferRun) run() (*forj.TransferResponse, error) {
	resp := &forj.TransferResponse{
		Mode: t.req.Mode, From: t.req.From, To: t.req.To, DryRun: t.req.DryRun,
		Items: make([]forj.TransferItem, 0, len(t.req.IDs)), Summary: map[string]int{},
	}
	for _, id := range t.req.IDs {
		item, err := t.item(id)
		if err != nil {
			return nil, err // the store failed: nothing applies
		}
		resp.Items = append(resp.Items, item)
		resp.Summary[item.Result]++
	}
	return resp, nil
}

func failed(it forj.TransferItem, err *forj.Error) forj.TransferItem {
	it.Result, it.Error = forj.ItemFailed, err
	return it
}

// item transfers one asset. An error is a store failure; an item's own failure is a result.
func (t *transferRun) item(id string) (forj.TransferItem, error) {
	it := forj.TransferItem{ID: id}
	from, to := t.req.From, t.req.To
	a, err := t.tx.GetAsset(id)
	if err != nil && !forj.IsNotFound(err) {
		return it, err
	}
	if err == nil && t.req.Mode == forj.TransferMove && a.WorkspaceID == to && from != to {
		it.Kind, it.Name, it.Result, it.TargetID = a.Kind, a.Name, forj.ItemUnchanged, a.ID
		return it, nil // moved by an earlier run
	}
	if err != nil || a.WorkspaceID != from {
		return failed(it, forj.Errorf(forj.ENotFound, "asset %s not found in workspace %s", id, from)), nil
	}
	it.Kind, it.Name = a.Kind, a.Name
	if t.req.Mode == forj.TransferMove && from == to {
		it.Result, it.TargetID = forj.ItemUnchanged, a.ID
		return it, nil
	}
	if t.req.Mode == forj.TransferCopy {
		earlier, _, err := t.tx.ListAssets(forj.AssetFilter{WorkspaceID: to, Origins: []string{a.ID}, Limit: 1})
		if err != nil {
			return it, err
		}
		if len(earlier) > 0 {
			it.Result, it.TargetID = forj.ItemUnchanged, earlier[0].ID
			if earlier[0].Name != a.Name {
				it.NewName = earlier[0].Name
			}
			return it, nil // copied by an earlier run
		}
	}
	name, result := a.Name, ""
	switch existing, err := t.tx.GetAssetByName(to, a.Kind, a.Name); {
	case forj.IsNotFound(err):
	case err != nil:
		return it, err
	default:
		switch t.req.OnConflict {
		case forj.OnConflictFail:
			return failed(it, forj.Errorf(forj.EConflict, "a %s named %q already exists in workspace %s", a.Kind, a.Name, to).
				WithHint("choose --on-conflict skip, rename or overwrite")), nil
		case forj.OnConflictSkip:
			it.Result, it.TargetID = forj.ItemSkipped, existing.ID
			return it, nil
		case forj.OnConflictRename:
			if name, err = freeName(t.tx, to, a.Kind, a.Name); err != nil {
				return it, err
			}
			it.NewName, result = name, forj.ItemRenamed
		case forj.OnConflictOverwrite:
			if existing.ID == a.ID { // copy within one workspace onto itself
				it.Result, it.TargetID = forj.ItemUnchanged, a.ID
				return it, nil
			}
			if err := t.tx.DeleteAsset(existing.ID); err != nil {
				return it, err
			}
			result = forj.ItemOverwritten
		}
	}
	var secret []byte
	if a.HasSecret { // only credentials have one: no read per flow of a bulk move
		if secret, err = t.tx.GetAssetSecret(a.ID); err != nil {
			return it, err
		}
	}
	if t.req.Mode == forj.TransferMove {
		err = t.move(a, name, secret)
		it.TargetID = a.ID
	} else {
		it.TargetID, err = t.copy(a, name, secret)
	}
	if err != nil {
		return it, err
	}
	it.Result = result
	if it.Result == "" {
		it.Result = map[string]string{forj.TransferMove: forj.ItemMoved, forj.TransferCopy: forj.ItemCopied}[t.req.Mode]
	}
	return it, nil
}

func (t *transferRun) move(a *forj.Asset, name string, secret []byte) error {
	from := a.WorkspaceID
	a.WorkspaceID, a.Name, a.Secret, a.UpdatedBy = t.req.To, name, secret, t.c.user.ID
	if err := t.tx.UpdateAsset(a); err != nil {
		return err
	}
	changes := map[string]string{"from": from, "to": t.req.To, "kind": a.Kind, "name": a.Name}
	// Both workspaces' trails show the move: one asset left, one arrived.
	for _, ws := range []string{from, t.req.To} {
		if err := t.tx.AppendAudit(t.c.event("asset.move", ws, "asset", a.ID, changes)); err != nil {
			return err
		}
	}
	return nil
}

func (t *transferRun) copy(a *forj.Asset, name string, secret []byte) (string, error) {
	n := *a
	n.ID, n.WorkspaceID, n.Name, n.Origin = forj.NewID(forj.PrefixAsset), t.req.To, name, a.ID
	n.CreatedBy, n.UpdatedBy, n.CreatedAt, n.UpdatedAt = t.c.user.ID, t.c.user.ID, t.tx.Now(), t.tx.Now()
	n.Secret = nil
	if secret != nil {
		data, err := t.s.openSecret(a.ID, secret)
		if err != nil {
			return "", err
		}
		n.Secret = t.s.sealSecret(n.ID, data)
	}
	if err := t.tx.CreateAsset(&n); err != nil {
		return "", err
	}
	var docs []forj.Document
	if k, _ := forj.LookupKind(a.Kind); k.Document {
		var err error
		if docs, err = t.tx.ListDocuments(a.ID); err != nil {
			return "", err
		}
	}
	for _, d := range docs {
		// The copy shares the blob: documents are immutable, so no bytes move.
		d.AssetID = n.ID
		if err := t.tx.PutDocument(&d); err != nil {
			return "", err
		}
	}
	changes := map[string]any{"from": a.WorkspaceID, "to": t.req.To, "kind": a.Kind, "name": n.Name, "origin": a.ID, "documents": len(docs)}
	return n.ID, t.tx.AppendAudit(t.c.event("asset.copy", t.req.To, "asset", n.ID, changes))
}

// freeName finds "NAME-2", "NAME-3", … not taken by an asset of kind in the workspace.
func freeName(tx forj.Tx, wsID, kind, name string) (string, error) {
	for i := 2; ; i++ {
		suffix := fmt.Sprintf("-%d", i)
		cand := name
		if len(cand)+len(suffix) > 128 {
			cand = cand[:128-len(suffix)]
		}
		cand += suffix
		_, err := tx.GetAssetByName(wsID, kind, cand)
		if forj.IsNotFound(err) {
			return cand, nil
		}
		if err != nil {
			return "", err
		}
	}
}
