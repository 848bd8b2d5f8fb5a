package encryption

import (
	"crypto/cipher"
	"sync"
)

type keyEntry struct {
	id   string
	aead cipher.AEAD
}

// keyCache keeps up to about size unwrapped data keys in two generations:
// when the young one is full it becomes the old one, and the old one is
// dropped. A hit in the old generation moves the key to the young one.
//
// A key fetched from the KeyStore before a subject was shredded must not
// be cached after Shred has removed it: put takes the epoch read before
// the fetch and drops the key if a remove came in between.
type keyCache struct {
	size       int
	mu         sync.Mutex
	young, old map[string]keyEntry
	removes    uint64 // the epoch: calls of remove so far
}

func newKeyCache(size int) *keyCache {
	return &keyCache{size: size, young: map[string]keyEntry{}}
}

func (c *keyCache) get(subject string) (keyEntry, bool) {
	if c.size < 0 {
		return keyEntry{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.young[subject]; ok {
		return e, true
	}
	if e, ok := c.old[subject]; ok {
		c.putLocked(subject, e)
		return e, true
	}
	return keyEntry{}, false
}

// epoch returns the epoch to pass to put; read it before fetching a key.
func (c *keyCache) epoch() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.removes
}

// put caches subject's key unless a remove happened since epoch.
func (c *keyCache) put(subject string, e keyEntry, epoch uint64) {
	if c.size < 0 {
		return
	}
	c.mu.Lock()
	if c.removes == epoch {
		c.putLocked(subject, e)
	}
	c.mu.Unlock()
}

func (c *keyCache) putLocked(subject string, e keyEntry) {
	if len(c.young) >= (c.size+1)/2 {
		c.old, c.young = c.young, make(map[string]keyEntry, len(c.young))
	}
	c.young[subject] = e
}

func (c *keyCache) remove(subject string) {
	c.mu.Lock()
	c.removes++
	delete(c.young, subject)
	delete(c.old, subject)
	c.mu.Unlock()
}
