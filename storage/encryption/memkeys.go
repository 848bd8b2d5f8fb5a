package encryption

import (
	"bytes"
	"context"
	"fmt"
	"sync"
)

// MemoryKeyStore is an in-memory KeyStore, for tests and single-process
// applications whose journal is in memory too: the keys die with the
// process, and with them every encrypted event.
type MemoryKeyStore struct {
	mu       sync.RWMutex
	keys     map[string]WrappedKey
	shredded map[string]bool
}

var _ KeyStore = (*MemoryKeyStore)(nil)

// NewMemoryKeyStore returns an empty MemoryKeyStore.
func NewMemoryKeyStore() *MemoryKeyStore {
	return &MemoryKeyStore{keys: map[string]WrappedKey{}, shredded: map[string]bool{}}
}

func clone(k WrappedKey) WrappedKey {
	k.Wrapped = bytes.Clone(k.Wrapped)
	return k
}

func shredded(subject string) error {
	return fmt.Errorf("encryption: subject %q: %w", subject, ErrShredded)
}

// Get implements KeyStore.
func (m *MemoryKeyStore) Get(ctx context.Context, subject string) (WrappedKey, error) {
	if err := ctx.Err(); err != nil {
		return WrappedKey{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.shredded[subject] {
		return WrappedKey{}, shredded(subject)
	}
	k, ok := m.keys[subject]
	if !ok {
		return WrappedKey{}, fmt.Errorf("encryption: subject %q: %w", subject, ErrNoKey)
	}
	return clone(k), nil
}

// Create implements KeyStore.
func (m *MemoryKeyStore) Create(ctx context.Context, subject string, k WrappedKey) (WrappedKey, error) {
	if err := ctx.Err(); err != nil {
		return WrappedKey{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.shredded[subject] {
		return WrappedKey{}, shredded(subject)
	}
	if old, ok := m.keys[subject]; ok {
		return clone(old), nil
	}
	m.keys[subject] = clone(k)
	return clone(k), nil
}

// Rewrap implements KeyStore.
func (m *MemoryKeyStore) Rewrap(ctx context.Context, subject string, k WrappedKey) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.shredded[subject] {
		return shredded(subject)
	}
	if old, ok := m.keys[subject]; !ok || old.ID != k.ID {
		return fmt.Errorf("encryption: rewrap subject %q: no data key %q: %w", subject, k.ID, ErrNoKey)
	}
	m.keys[subject] = clone(k)
	return nil
}

// Shred implements KeyStore.
func (m *MemoryKeyStore) Shred(ctx context.Context, subject string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.keys, subject)
	m.shredded[subject] = true
	return nil
}

// Range implements KeyStore. fn runs on a copy taken at the start, so it
// may call the store.
func (m *MemoryKeyStore) Range(ctx context.Context, fn func(subject string, k WrappedKey) error) error {
	m.mu.RLock()
	all := make(map[string]WrappedKey, len(m.keys))
	for s, k := range m.keys {
		all[s] = clone(k)
	}
	m.mu.RUnlock()
	for s, k := range all {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(s, k); err != nil {
			return err
		}
	}
	return nil
}
