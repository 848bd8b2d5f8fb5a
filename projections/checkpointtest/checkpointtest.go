// Package checkpointtest is the conformance suite every projections.CheckpointStore
// (and projections.TxStore) must pass.
//
// # Caveats
//
// The suite checks the checkpoint itself; whether a TxStore writes its
// read-model changes in the same atomic step as the checkpoint is the
// backend's own test to make, since read models differ.
package checkpointtest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/projections"
)

// Run runs the suite on stores that newStore makes; each call must return
// an empty store.
func Run(t *testing.T, newStore func(t *testing.T) projections.CheckpointStore) {
	ctx := context.Background()
	t.Run("EmptyIsZero", func(t *testing.T) {
		s := newStore(t)
		got, err := s.Load(ctx, "p", 0)
		require.NoError(t, err)
		require.Zero(t, got)
	})
	t.Run("SaveLoad", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Save(ctx, "p", 0, 7))
		require.NoError(t, s.Save(ctx, "p", 1, 9))
		require.NoError(t, s.Save(ctx, "q", 0, 3))
		for _, c := range []struct {
			name string
			part int
			want uint64
		}{{"p", 0, 7}, {"p", 1, 9}, {"q", 0, 3}, {"q", 1, 0}, {"r", 0, 0}} {
			got, err := s.Load(ctx, c.name, c.part)
			require.NoError(t, err)
			require.Equal(t, c.want, got, "projection %q partition %d", c.name, c.part)
		}
		require.NoError(t, s.Save(ctx, "p", 0, 8))
		got, err := s.Load(ctx, "p", 0)
		require.NoError(t, err)
		require.Equal(t, uint64(8), got)
	})
	t.Run("NamesWithSeparators", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Save(ctx, "a:b/c{d}", 2, 5))
		got, err := s.Load(ctx, "a:b/c{d}", 2)
		require.NoError(t, err)
		require.Equal(t, uint64(5), got)
	})
	t.Run("Concurrent", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		for p := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := uint64(1); i <= 50; i++ {
					if err := s.Save(ctx, fmt.Sprint("p", p), p, i); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		for p := range 8 {
			got, err := s.Load(ctx, fmt.Sprint("p", p), p)
			require.NoError(t, err)
			require.Equal(t, uint64(50), got)
		}
	})
	t.Run("CancelledContext", func(t *testing.T) {
		s := newStore(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		require.Error(t, s.Save(cctx, "p", 0, 1))
	})
	t.Run("Tx", func(t *testing.T) {
		s, ok := newStore(t).(projections.TxStore)
		if !ok {
			t.Skip("not a TxStore")
		}
		_, tx, err := s.Begin(ctx, "p", 0)
		require.NoError(t, err)
		require.NoError(t, tx.Commit(ctx, 10))
		got, err := s.Load(ctx, "p", 0)
		require.NoError(t, err)
		require.Equal(t, uint64(10), got)

		_, tx, err = s.Begin(ctx, "p", 0)
		require.NoError(t, err)
		tx.Rollback()
		got, err = s.Load(ctx, "p", 0)
		require.NoError(t, err)
		require.Equal(t, uint64(10), got, "a rolled back batch leaves the checkpoint")
		require.Error(t, tx.Commit(ctx, 11), "commit after rollback")

		_, tx, err = s.Begin(ctx, "p", 1)
		require.NoError(t, err)
		require.NoError(t, tx.Commit(ctx, 4))
		got, err = s.Load(ctx, "p", 1)
		require.NoError(t, err)
		require.Equal(t, uint64(4), got)
	})
}
