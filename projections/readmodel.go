package projections

import (
	"context"
	"fmt"
	"sync"
)

// MemoryReadModel is an in-memory read model of values V by keys K that is
// also its projection's TxStore: a batch's changes and the checkpoint are
// applied under one lock, so a projection on it is exactly-once in effect.
// Handlers change it through Tx(ctx); readers use Get and Snapshot.
type MemoryReadModel[K comparable, V any] struct {
	mu          sync.RWMutex
	rows        map[K]V
	checkpoints map[checkpointKey]uint64
}

// NewMemoryReadModel returns an empty read model.
func NewMemoryReadModel[K comparable, V any]() *MemoryReadModel[K, V] {
	return &MemoryReadModel[K, V]{rows: map[K]V{}, checkpoints: map[checkpointKey]uint64{}}
}

// Get returns the committed value of key.
func (m *MemoryReadModel[K, V]) Get(key K) (V, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	v, ok := m.rows[key]
	return v, ok
}

// Len returns the number of committed rows.
func (m *MemoryReadModel[K, V]) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.rows)
}

// Snapshot returns a copy of all committed rows.
func (m *MemoryReadModel[K, V]) Snapshot() map[K]V {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[K]V, len(m.rows))
	for k, v := range m.rows {
		out[k] = v
	}
	return out
}

// Load implements CheckpointStore.
func (m *MemoryReadModel[K, V]) Load(ctx context.Context, projection string, partition int) (uint64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.checkpoints[checkpointKey{projection, partition}], ctx.Err()
}

// Save implements CheckpointStore.
func (m *MemoryReadModel[K, V]) Save(ctx context.Context, projection string, partition int, position uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.checkpoints[checkpointKey{projection, partition}] = position
	return nil
}

// SaveIf implements FencedCheckpoints.
func (m *MemoryReadModel[K, V]) SaveIf(ctx context.Context, projection string, partition int, expected, position uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := checkpointKey{projection, partition}
	if cur := m.checkpoints[k]; cur != expected {
		return movedError("memory read model", projection, partition, expected, cur, position)
	}
	m.checkpoints[k] = position
	return nil
}

// ResetProjection implements ResettableStore: every row goes (a
// MemoryReadModel is one projection's), and projection's checkpoints.
func (m *MemoryReadModel[K, V]) ResetProjection(ctx context.Context, projection string, partitions int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.rows)
	for k := range m.checkpoints {
		if k.projection == projection {
			delete(m.checkpoints, k)
		}
	}
	return nil
}

type memoryTxKey[K comparable, V any] struct{ m *MemoryReadModel[K, V] }

// Begin implements TxStore.
func (m *MemoryReadModel[K, V]) Begin(ctx context.Context, projection string, partition int) (context.Context, Tx, error) {
	tx := &MemoryTx[K, V]{m: m, key: checkpointKey{projection, partition}, puts: map[K]V{}, dels: map[K]struct{}{}}
	return context.WithValue(ctx, memoryTxKey[K, V]{m}, tx), tx, nil
}

// Tx returns the batch's transaction that the runner put in ctx; outside
// a handler it returns nil.
func (m *MemoryReadModel[K, V]) Tx(ctx context.Context) *MemoryTx[K, V] {
	tx, _ := ctx.Value(memoryTxKey[K, V]{m}).(*MemoryTx[K, V])
	return tx
}

// MemoryTx is one batch of changes to a MemoryReadModel. It sees its own
// changes; it is used by one handler goroutine at a time.
type MemoryTx[K comparable, V any] struct {
	m    *MemoryReadModel[K, V]
	key  checkpointKey
	puts map[K]V
	dels map[K]struct{}
	done bool
}

// Get returns key's value as this batch sees it.
func (t *MemoryTx[K, V]) Get(key K) (V, bool) {
	if v, ok := t.puts[key]; ok {
		return v, true
	}
	if _, ok := t.dels[key]; ok {
		var zero V
		return zero, false
	}
	return t.m.Get(key)
}

// Put sets key to v.
func (t *MemoryTx[K, V]) Put(key K, v V) {
	delete(t.dels, key)
	t.puts[key] = v
}

// Delete removes key.
func (t *MemoryTx[K, V]) Delete(key K) {
	delete(t.puts, key)
	t.dels[key] = struct{}{}
}

// Commit implements Tx.
func (t *MemoryTx[K, V]) Commit(ctx context.Context, position uint64) error {
	return t.commit(ctx, position, false, 0)
}

// CommitIf implements FencedTx: the changes and the checkpoint are applied
// only if the checkpoint is expected.
func (t *MemoryTx[K, V]) CommitIf(ctx context.Context, expected, position uint64) error {
	return t.commit(ctx, position, true, expected)
}

func (t *MemoryTx[K, V]) commit(ctx context.Context, position uint64, fenced bool, expected uint64) error {
	if t.done {
		return fmt.Errorf("projections: memory read model: projection %q partition %d: commit at %d after the batch ended: %w",
			t.key.projection, t.key.partition, position, ErrTxDone)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	t.done = true
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	if cur := t.m.checkpoints[t.key]; fenced && cur != expected {
		return movedError("memory read model", t.key.projection, t.key.partition, expected, cur, position)
	}
	for k := range t.dels {
		delete(t.m.rows, k)
	}
	for k, v := range t.puts {
		t.m.rows[k] = v
	}
	t.m.checkpoints[t.key] = position
	return nil
}

// Rollback implements Tx.
func (t *MemoryTx[K, V]) Rollback() { t.done = true }
