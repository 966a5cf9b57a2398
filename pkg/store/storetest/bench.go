package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/forjinn/forjctl/pkg/forj"
)

// BenchAssets benchmarks the bulk asset paths of s, an empty store, each in one
// transaction as the server runs them: an import of 10,000 assets, a copy and a move of
// 1,000 of them into a workspace that holds 10,000 of its own, and paging through a
// workspace of 10,000. Per-asset statements must stay cheap however many assets there are.
func BenchAssets(b *testing.B, s forj.Store) {
	ctx := context.Background()
	const n = 10_000
	newWorkspace := func(name string) *forj.Workspace {
		w := &forj.Workspace{Name: name}
		if err := s.Update(ctx, func(tx forj.Tx) error { return tx.CreateWorkspace(w) }); err != nil {
			b.Fatal(err)
		}
		return w
	}
	importN := func(ws *forj.Workspace) []string {
		ids := make([]string, 0, n)
		err := s.Update(ctx, func(tx forj.Tx) error {
			for i := range n {
				a := &forj.Asset{WorkspaceID: ws.ID, Kind: forj.KindFlow, Name: fmt.Sprintf("flow-%05d", i),
					Labels: map[string]string{"team": "a"}, Spec: []byte(`{"nodes":[1,2,3]}`)}
				if _, err := tx.GetAssetByName(ws.ID, a.Kind, a.Name); !forj.IsNotFound(err) {
					return fmt.Errorf("lookup before import: %v", err)
				}
				if err := tx.CreateAsset(a); err != nil {
					return err
				}
				ids = append(ids, a.ID)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		return ids
	}
	i := 0
	b.Run("import-10000", func(b *testing.B) {
		for b.Loop() {
			i++
			importN(newWorkspace(fmt.Sprintf("import-%d", i)))
		}
	})
	src, dst := newWorkspace("src"), newWorkspace("dst")
	srcIDs := importN(src)
	// dst holds 10,000 assets of another kind, so names never conflict.
	if err := s.Update(ctx, func(tx forj.Tx) error {
		for i := range n {
			if err := tx.CreateAsset(&forj.Asset{WorkspaceID: dst.ID, Kind: forj.KindAgent, Name: fmt.Sprintf("agent-%05d", i)}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.Run("copy-1000", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			s.Update(ctx, func(tx forj.Tx) error { // forget earlier copies
				as, _, err := tx.ListAssets(forj.AssetFilter{WorkspaceID: dst.ID, Kind: forj.KindFlow, Limit: forj.MaxLimit})
				for len(as) > 0 && err == nil {
					for _, a := range as {
						if err = tx.DeleteAsset(a.ID); err != nil {
							return err
						}
					}
					as, _, err = tx.ListAssets(forj.AssetFilter{WorkspaceID: dst.ID, Kind: forj.KindFlow, Limit: forj.MaxLimit})
				}
				return err
			})
			b.StartTimer()
			err := s.Update(ctx, func(tx forj.Tx) error {
				for _, id := range srcIDs[:1000] {
					a, err := tx.GetAsset(id)
					if err != nil {
						return err
					}
					earlier, _, err := tx.ListAssets(forj.AssetFilter{WorkspaceID: dst.ID, Origins: []string{id}, Limit: 1})
					if err != nil || len(earlier) > 0 {
						return fmt.Errorf("earlier copy: %v %v", earlier, err)
					}
					if _, err := tx.GetAssetByName(dst.ID, a.Kind, a.Name); !forj.IsNotFound(err) {
						return fmt.Errorf("name in target: %v", err)
					}
					c := *a
					c.ID, c.WorkspaceID, c.Origin = "", dst.ID, a.ID
					if err := tx.CreateAsset(&c); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("move-1000-and-back", func(b *testing.B) {
		for b.Loop() {
			for _, to := range []string{dst.ID, src.ID} {
				err := s.Update(ctx, func(tx forj.Tx) error {
					for _, id := range srcIDs[1000:2000] {
						a, err := tx.GetAsset(id)
						if err != nil {
							return err
						}
						if a.Secret, err = tx.GetAssetSecret(id); err != nil {
							return err
						}
						a.WorkspaceID = to
						if err := tx.UpdateAsset(a); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("page-through-10000", func(b *testing.B) {
		for b.Loop() {
			err := s.View(ctx, func(tx forj.Tx) error {
				cursor, total := "", 0
				for {
					as, next, err := tx.ListAssets(forj.AssetFilter{WorkspaceID: src.ID, Kind: forj.KindFlow, Cursor: cursor, Limit: 100})
					if err != nil {
						return err
					}
					total += len(as)
					if next == "" {
						break
					}
					cursor = next
				}
				if total != n {
					return fmt.Errorf("paged through %d", total)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
