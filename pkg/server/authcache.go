package server

import (
	"sync"

	"github.com/forjinn/forjctl/pkg/authz"
	"github.com/forjinn/forjctl/pkg/forj"
)

// authCacheMax bounds the number of cached tokens; when full the cache starts afresh,
// which costs one reload per active token.
const authCacheMax = 10000

// authEntry is a token resolved into its user, memberships and subject, valid while the
// store's auth generation equals gen. Entries are shared by concurrent requests and never
// changed once cached.
type authEntry struct {
	gen     int64
	tok     *forj.Token
	user    *forj.User
	members []forj.Member
	subj    *authz.Subject
}

// authCache holds resolved tokens by token id. It saves authentication the token, user and
// membership reads: a request reads only the store's auth generation, which every change
// to who may do what increments (in this process or any other on the same database), and
// uses the entry when its generation is still current. The secret, expiry and revocation
// time are still checked on every request, against the cached token.
type authCache struct {
	mu sync.RWMutex
	m  map[string]*authEntry
}

func newAuthCache() *authCache { return &authCache{m: make(map[string]*authEntry)} }

// get returns the entry for tokenID when it was resolved at generation gen.
func (c *authCache) get(tokenID string, gen int64) *authEntry {
	c.mu.RLock()
	e := c.m[tokenID]
	c.mu.RUnlock()
	if e == nil || e.gen != gen {
		return nil
	}
	return e
}

// put caches e unless a concurrent request already cached a newer generation.
func (c *authCache) put(e *authEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[e.tok.ID]; old != nil && old.gen > e.gen {
		return
	}
	if len(c.m) >= authCacheMax {
		clear(c.m)
	}
	c.m[e.tok.ID] = e
}

// drop forgets a token, e.g. after its lastUsedAt was written.
func (c *authCache) drop(tokenID string) {
	c.mu.Lock()
	delete(c.m, tokenID)
	c.mu.Unlock()
}
