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
type keyCache struct {
	size       int
	mu         sync.Mutex
	young, old map[string]keyEntry
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

func (c *keyCache) put(subject string, e keyEntry) {
	if c.size < 0 {
		return
	}
	c.mu.Lock()
	c.putLocked(subject, e)
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
	delete(c.young, subject)
	delete(c.old, subject)
	c.mu.Unlock()
}
