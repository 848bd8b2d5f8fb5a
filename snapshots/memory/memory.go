// Package memory is the in-memory snapshot store.
package memory

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/snapshots"
)

// Store is an in-memory snapshots.Store. It keeps every snapshot saved, so
// Latest can answer for any version.
type Store struct {
	mu     sync.RWMutex
	byID   map[uuid.UUID][]domain.Snapshot // sorted by version
	closed bool
}

var _ snapshots.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store { return &Store{byID: map[uuid.UUID][]domain.Snapshot{}} }

// Save implements snapshots.Store.
func (s *Store) Save(ctx context.Context, snap domain.Snapshot) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := snapshots.Check(snap); err != nil {
		return err
	}
	snap.Data = append([]byte(nil), snap.Data...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return snapshots.ErrClosed
	}
	list := s.byID[snap.AggregateID]
	i, found := slices.BinarySearchFunc(list, snap.Version, func(x domain.Snapshot, v uint64) int {
		return cmpU64(x.Version, v)
	})
	if found {
		list[i] = snap
	} else {
		list = slices.Insert(list, i, snap)
	}
	s.byID[snap.AggregateID] = list
	return nil
}

// Latest implements snapshots.Store.
func (s *Store) Latest(ctx context.Context, id uuid.UUID, maxVersion uint64) (domain.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return domain.Snapshot{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return domain.Snapshot{}, snapshots.ErrClosed
	}
	list := s.byID[id]
	for i := len(list) - 1; i >= 0; i-- {
		if maxVersion == 0 || list[i].Version <= maxVersion {
			return list[i], nil
		}
	}
	return domain.Snapshot{}, fmt.Errorf("snapshots: aggregate %s at or below version %d: %w", id, maxVersion, snapshots.ErrNotFound)
}

// Close implements snapshots.Store.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
