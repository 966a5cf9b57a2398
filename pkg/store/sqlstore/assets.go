package sqlstore

import (
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/forjinn/forjctl/pkg/forj"
)

// assetCols are the columns an Asset is read from: never the secret itself, only whether
// there is one.
const assetCols = `id, workspace_id, kind, name, description, version, origin,
	created_by, updated_by, created_at, updated_at, labels, spec, secret IS NOT NULL`

// assetRow holds the scan destinations of one asset row; scanning many rows reuses one.
type assetRow struct {
	a                forj.Asset
	origin           sql.NullString
	created, updated int64
	labels, spec     []byte
	dest             []any
}

func newAssetRow() *assetRow {
	r := &assetRow{}
	a := &r.a
	r.dest = []any{&a.ID, &a.WorkspaceID, &a.Kind, &a.Name, &a.Description, &a.Version, &r.origin,
		&a.CreatedBy, &a.UpdatedBy, &r.created, &r.updated, &r.labels, &r.spec, &a.HasSecret}
	return r
}

// scan reads the next row into r and returns the asset.
func (r *assetRow) scan(s scanner) (forj.Asset, error) {
	if err := s.Scan(r.dest...); err != nil {
		return forj.Asset{}, err
	}
	a := r.a
	a.Origin = r.origin.String
	a.CreatedAt, a.UpdatedAt = fromNanos(r.created), fromNanos(r.updated)
	var err error
	if a.Labels, err = decodeLabels(r.labels); err != nil {
		return a, err
	}
	a.Spec = r.spec // both drivers scan into a new slice each time
	return a, nil
}

func decodeLabels(b []byte) (map[string]string, error) {
	labels := map[string]string{}
	if len(b) > 2 { // not "{}"
		if err := json.Unmarshal(b, &labels); err != nil {
			return nil, err
		}
	}
	return labels, nil
}

func encodeLabels(labels map[string]string) string {
	if len(labels) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(labels) // cannot fail for strings
	return string(b)
}

func encodeSpec(spec json.RawMessage) string {
	if len(spec) == 0 {
		return "{}"
	}
	return string(spec)
}

// assetConflict turns a unique violation into EConflict (nil for any other error).
func (t *Tx) assetConflict(err error, a *forj.Asset) error {
	key, ok := t.d.UniqueViolation(err)
	switch {
	case !ok:
		return nil
	case key == "assets(id)":
		return forj.Errorf(forj.EConflict, "asset %s already exists", a.ID)
	}
	return forj.Errorf(forj.EConflict, "%s named %q already exists in this workspace", a.Kind, a.Name).
		WithHint("choose another name, or update the existing %s", a.Kind)
}

// CreateAsset stores a; it fills in the id (when empty), version 1, the timestamps (when
// zero) and HasSecret. Labels nil are stored as {}, an empty spec as {}.
func (t *Tx) CreateAsset(a *forj.Asset) error {
	if a.ID == "" {
		a.ID = forj.NewID(forj.PrefixAsset)
	}
	a.Version = 1
	if a.CreatedAt.IsZero() {
		a.CreatedAt = t.now
	}
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = a.CreatedAt
	}
	if a.Labels == nil {
		a.Labels = map[string]string{}
	}
	if len(a.Spec) == 0 {
		a.Spec = json.RawMessage(`{}`)
	}
	_, err := t.x.ExecGuarded(`INSERT INTO assets (id, workspace_id, kind, name, description, version, origin,
		created_by, updated_by, created_at, updated_at, labels, spec, secret)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.WorkspaceID, a.Kind, a.Name, a.Description, a.Version, nullString(a.Origin),
		a.CreatedBy, a.UpdatedBy, nanos(a.CreatedAt), nanos(a.UpdatedAt), encodeLabels(a.Labels), encodeSpec(a.Spec), a.Secret)
	switch {
	case err == nil:
		a.HasSecret = a.Secret != nil
		return nil
	case t.d.ForeignKeyViolation(err):
		return forj.Errorf(forj.ENotFound, "workspace %s not found", a.WorkspaceID)
	}
	if cerr := t.assetConflict(err, a); cerr != nil {
		return cerr
	}
	return t.internal("create asset", err)
}

func (t *Tx) getAsset(what, cond string, args ...any) (*forj.Asset, error) {
	a, err := newAssetRow().scan(t.x.QueryRow(`SELECT `+assetCols+` FROM assets WHERE `+cond, args...))
	if t.d.NoRows(err) {
		return nil, forj.Errorf(forj.ENotFound, "%s not found", what)
	}
	if err != nil {
		return nil, t.internal("get asset", err)
	}
	return &a, nil
}

func (t *Tx) GetAsset(id string) (*forj.Asset, error) {
	return t.getAsset("asset "+id, "id = ?", id)
}

func (t *Tx) GetAssetByName(workspaceID, kind, name string) (*forj.Asset, error) {
	return t.getAsset(kind+" "+quote(name), "workspace_id = ? AND kind = ? AND name = ?", workspaceID, kind, name)
}

func (t *Tx) GetAssetSecret(id string) ([]byte, error) {
	var secret []byte
	err := t.x.QueryRow(`SELECT secret FROM assets WHERE id = ?`, id).Scan(&secret)
	if t.d.NoRows(err) {
		return nil, forj.Errorf(forj.ENotFound, "asset %s not found", id)
	}
	if err != nil {
		return nil, t.internal("get asset secret", err)
	}
	return secret, nil
}

// assetCursor is the sort key of an asset: kind, name and id (names repeat across
// workspaces), separated by NUL, which neither kind nor id holds.
func assetCursor(a forj.Asset) string { return a.Kind + "\x00" + a.Name + "\x00" + a.ID }

// ListAssets returns the assets f selects sorted by kind, name and id.
func (t *Tx) ListAssets(f forj.AssetFilter) ([]forj.Asset, string, error) {
	after, err := forj.DecodeCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	var key []string
	if after != "" {
		i, j := strings.IndexByte(after, 0), strings.LastIndexByte(after, 0)
		if i < 0 || i == j {
			return nil, "", forj.Errorf(forj.EInvalid, "malformed cursor %q", f.Cursor)
		}
		key = []string{after[:i], after[i+1 : j], after[j+1:]}
	}
	for _, l := range [][]string{f.WorkspaceIDs, f.IDs, f.Origins} {
		if l != nil && len(l) == 0 {
			return []forj.Asset{}, "", nil // restricted to nothing at all
		}
	}
	limit := pageLimit(f.Limit)
	// Ids and origins name a few rows: find them through their index, then let the other
	// conditions filter those. Left to itself, SQLite would rather walk a whole workspace
	// in list order through the (workspace_id, kind, name) index.
	col := func(c string) string { return c }
	if f.IDs != nil || f.Origins != nil {
		col = t.d.Unindexed
	}
	var w where
	if f.WorkspaceID != "" {
		w.add(col("workspace_id")+" = ?", f.WorkspaceID)
	}
	if f.WorkspaceIDs != nil {
		t.in(&w, col("workspace_id"), f.WorkspaceIDs)
	}
	if f.Kind != "" {
		w.add(col("kind")+" = ?", f.Kind)
	}
	if f.Name != "" {
		w.add(col("name")+" = ?", f.Name)
	}
	if f.IDs != nil {
		t.in(&w, "id", f.IDs)
	}
	if f.Origins != nil {
		t.in(&w, "origin", f.Origins)
	}
	if len(f.Labels) > 0 {
		// One parameter whatever the number of pairs, so the query text stays the same.
		w.add(t.d.LabelsContain, encodeLabels(f.Labels))
	}
	// The order is kind, name and id. Within one workspace kind and name are unique, so the
	// order is theirs alone, as the unique index yields it (PostgreSQL would otherwise sort
	// the rest of the workspace for every page). The cursor's range leaves out the kind
	// when the filter fixes it, so that it follows the index's equality on kind.
	oneWS := f.WorkspaceID != ""
	order := "kind, name, id"
	if oneWS {
		order = "kind, name"
	}
	if key != nil {
		kind, name, id := col("kind"), col("name"), col("id")
		switch kindFixed := f.Kind != "" && f.Kind == key[0]; {
		case oneWS && kindFixed:
			w.add(name+" > ?", key[1])
		case oneWS:
			w.add("("+kind+", "+name+") > (?, ?)", key[0], key[1])
		case kindFixed:
			w.add("("+name+", "+id+") > (?, ?)", key[1], key[2])
		default:
			w.add("("+kind+", "+name+", "+id+") > (?, ?, ?)", key[0], key[1], key[2])
		}
	}
	as, err := t.scanAssets(`SELECT `+assetCols+` FROM assets`+w.String()+` ORDER BY `+order+` LIMIT ?`,
		limit, append(w.args, limit+1)...)
	if err != nil {
		return nil, "", t.internal("list assets", err)
	}
	as, next := page(as, limit, assetCursor)
	return as, next, nil
}

// scanAssets reads up to limit+1 assets with one set of scan destinations.
func (t *Tx) scanAssets(q string, limit int, args ...any) ([]forj.Asset, error) {
	rows, err := t.x.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	r := newAssetRow()
	out := make([]forj.Asset, 0, min(limit+1, 64))
	for rows.Next() {
		a, err := r.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// UpdateAsset writes every field but id, kind, createdBy and createdAt if the stored version
// is a.Version; a new WorkspaceID moves the asset, its documents with it.
func (t *Tx) UpdateAsset(a *forj.Asset) error {
	now := t.now
	if a.Labels == nil {
		a.Labels = map[string]string{}
	}
	if len(a.Spec) == 0 {
		a.Spec = json.RawMessage(`{}`)
	}
	n, err := t.x.ExecGuarded(`UPDATE assets SET workspace_id = ?, name = ?, description = ?, origin = ?,
		updated_by = ?, labels = ?, spec = ?, secret = ?, version = version + 1, updated_at = ?
		WHERE id = ? AND version = ?`,
		a.WorkspaceID, a.Name, a.Description, nullString(a.Origin), a.UpdatedBy, encodeLabels(a.Labels),
		encodeSpec(a.Spec), a.Secret, nanos(now), a.ID, a.Version)
	if err != nil {
		if t.d.ForeignKeyViolation(err) {
			return forj.Errorf(forj.ENotFound, "workspace %s not found", a.WorkspaceID)
		}
		if cerr := t.assetConflict(err, a); cerr != nil {
			return cerr
		}
		return t.internal("update asset", err)
	}
	if n == 0 {
		var current int64
		err := t.x.QueryRow(`SELECT version FROM assets WHERE id = ?`, a.ID).Scan(&current)
		if t.d.NoRows(err) {
			return forj.Errorf(forj.ENotFound, "asset %s not found", a.ID)
		}
		if err != nil {
			return t.internal("update asset", err)
		}
		return forj.Errorf(forj.EConflict, "%s %q was changed by someone else (version %d, not %d)",
			a.Kind, a.Name, current, a.Version).WithHint("get it again and retry")
	}
	a.Version++
	a.UpdatedAt = now
	a.HasSecret = a.Secret != nil
	return nil
}

// DeleteAsset removes the asset; its documents go with it (ON DELETE CASCADE), their blobs
// stay until DeleteOrphanBlobs.
func (t *Tx) DeleteAsset(id string) error {
	n, err := t.x.Exec(`DELETE FROM assets WHERE id = ?`, id)
	if err != nil {
		return t.internal("delete asset", err)
	}
	if n == 0 {
		return forj.Errorf(forj.ENotFound, "asset %s not found", id)
	}
	return nil
}

// CountAssets counts the assets of a workspace ("": of every workspace).
func (t *Tx) CountAssets(workspaceID string) (int, error) {
	var n int
	var err error
	if workspaceID == "" {
		n, err = t.count(`SELECT count(*) FROM assets`)
	} else {
		n, err = t.count(`SELECT count(*) FROM assets WHERE workspace_id = ?`, workspaceID)
	}
	if err != nil {
		return 0, t.internal("count assets", err)
	}
	return n, nil
}
