// Package snapshottest is the conformance suite every snapshot store must
// pass.
package snapshottest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/snapshots"
)

// Factory returns a new, empty store. The suite closes it.
type Factory func(t testing.TB) snapshots.Store

// Run runs the conformance suite against stores made by newStore.
func Run(t *testing.T, newStore Factory) {
	open := func(t *testing.T) snapshots.Store {
		s := newStore(t)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	ctx := context.Background()
	snap := func(id uuid.UUID, v uint64) domain.Snapshot {
		return domain.Snapshot{AggregateID: id, Type: "test.Aggregate", SchemaVersion: 1, Version: v,
			CreatedAt:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			ModifiedAt: time.Date(2026, 1, 1, 0, 0, int(v), 0, time.UTC),
			Data:       []byte(fmt.Sprintf(`{"v":%d}`, v)), Headers: map[string]string{"h": "1"}}
	}

	t.Run("SaveAndLatest", func(t *testing.T) {
		s := open(t)
		id := uuid.New()
		want := snap(id, 5)
		require.NoError(t, s.Save(ctx, want))
		got, err := s.Latest(ctx, id, 0)
		require.NoError(t, err)
		assert.Equal(t, want.AggregateID, got.AggregateID)
		assert.Equal(t, want.Type, got.Type)
		assert.Equal(t, want.SchemaVersion, got.SchemaVersion)
		assert.Equal(t, want.Version, got.Version)
		assert.True(t, want.CreatedAt.Equal(got.CreatedAt))
		assert.True(t, want.ModifiedAt.Equal(got.ModifiedAt))
		assert.Equal(t, string(want.Data), string(got.Data))
		assert.Equal(t, want.Headers, got.Headers)
	})
	t.Run("LatestIsHighest", func(t *testing.T) {
		s := open(t)
		id := uuid.New()
		for _, v := range []uint64{10, 30, 20} {
			require.NoError(t, s.Save(ctx, snap(id, v)))
		}
		got, err := s.Latest(ctx, id, 0)
		require.NoError(t, err)
		assert.Equal(t, uint64(30), got.Version)
		assert.Equal(t, `{"v":30}`, string(got.Data))
	})
	t.Run("LatestAtOrBelow", func(t *testing.T) {
		s := open(t)
		id := uuid.New()
		for _, v := range []uint64{10, 20, 30} {
			require.NoError(t, s.Save(ctx, snap(id, v)))
		}
		for maxV, want := range map[uint64]uint64{10: 10, 19: 10, 20: 20, 29: 20, 30: 30, 1000: 30} {
			got, err := s.Latest(ctx, id, maxV)
			require.NoError(t, err, "at or below %d", maxV)
			assert.Equal(t, want, got.Version, "at or below %d", maxV)
		}
		_, err := s.Latest(ctx, id, 9)
		assert.ErrorIs(t, err, snapshots.ErrNotFound)
	})
	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.Latest(ctx, uuid.New(), 0)
		assert.ErrorIs(t, err, snapshots.ErrNotFound)
	})
	t.Run("Replace", func(t *testing.T) {
		s := open(t)
		id := uuid.New()
		require.NoError(t, s.Save(ctx, snap(id, 3)))
		again := snap(id, 3)
		again.Data = []byte(`{"again":true}`)
		require.NoError(t, s.Save(ctx, again))
		got, err := s.Latest(ctx, id, 0)
		require.NoError(t, err)
		assert.Equal(t, `{"again":true}`, string(got.Data))
	})
	t.Run("Isolation", func(t *testing.T) {
		s := open(t)
		a, b := uuid.New(), uuid.New()
		require.NoError(t, s.Save(ctx, snap(a, 7)))
		_, err := s.Latest(ctx, b, 0)
		assert.ErrorIs(t, err, snapshots.ErrNotFound)
	})
	t.Run("Invalid", func(t *testing.T) {
		s := open(t)
		bad := []domain.Snapshot{snap(uuid.Nil, 1), snap(uuid.New(), 0), func() domain.Snapshot { x := snap(uuid.New(), 1); x.Type = ""; return x }()}
		for _, b := range bad {
			assert.ErrorIs(t, s.Save(ctx, b), snapshots.ErrInvalid)
		}
	})
	t.Run("CancelledContext", func(t *testing.T) {
		s := open(t)
		c, cancel := context.WithCancel(ctx)
		cancel()
		id := uuid.New()
		assert.ErrorIs(t, s.Save(c, snap(id, 1)), context.Canceled)
		_, err := s.Latest(ctx, id, 0)
		assert.ErrorIs(t, err, snapshots.ErrNotFound)
	})
	t.Run("Close", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Close())
		require.NoError(t, s.Close())
		assert.ErrorIs(t, s.Save(ctx, snap(uuid.New(), 1)), snapshots.ErrClosed)
	})
}
