package hashchain

import (
	"sync"

	"github.com/google/uuid"
)

// link is the last known record of an aggregate: its version and hash.
// Only what is known to be stored gets here (a successful append, or a
// read), so an entry is never wrong, only perhaps old.
type link struct {
	version uint64
	hash    string
}

const shards = 16

// cache keeps the last link of up to about size aggregates, in shards of
// two generations each: when a shard's young map is full it becomes the
// old one and the old one is dropped; a hit in the old one moves the entry
// back to the young one.
type cache struct {
	perShard int
	shards   [shards]struct {
		mu         sync.Mutex
		young, old map[uuid.UUID]link
	}
}

func newCache(size int) *cache {
	c := &cache{perShard: max(1, (size+2*shards-1)/(2*shards))}
	for i := range c.shards {
		c.shards[i].young = map[uuid.UUID]link{}
	}
	return c
}

func (c *cache) get(id uuid.UUID) (link, bool) {
	s := &c.shards[id[15]%shards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.young[id]; ok {
		return l, true
	}
	if l, ok := s.old[id]; ok {
		c.putLocked(id, l)
		return l, true
	}
	return link{}, false
}

// learn records that aggregate id's record at l.version has hash l.hash,
// unless a later version is known already.
func (c *cache) learn(id uuid.UUID, l link) {
	s := &c.shards[id[15]%shards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.young[id]; ok && old.version > l.version {
		return
	}
	if old, ok := s.old[id]; ok && old.version > l.version {
		return
	}
	c.putLocked(id, l)
}

func (c *cache) putLocked(id uuid.UUID, l link) {
	s := &c.shards[id[15]%shards]
	if _, ok := s.young[id]; !ok && len(s.young) >= c.perShard {
		s.old, s.young = s.young, make(map[uuid.UUID]link, c.perShard)
	}
	s.young[id] = l
}
