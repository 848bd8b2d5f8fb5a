// Package checkpointtest is the conformance suite every projections.CheckpointStore
// (and projections.TxStore) must pass.
//
// # Caveats
//
// The suite checks the checkpoint itself; read models differ, so it checks
// that a TxStore writes its read-model changes with the checkpoint (or
// not at all) only when the backend gives it a ReadModel to write and
// read through.
package checkpointtest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/projections"
)

// ReadModel lets the suite write and read a TxStore's read model.
type ReadModel struct {
	// Put queues key = value in the transaction of the batch whose
	// context (from Begin) is ctx.
	Put func(ctx context.Context, s projections.TxStore, key, value string)
	// Get reads key's committed value ("" when it has none).
	Get func(ctx context.Context, s projections.TxStore, key string) (string, error)
}

// Run runs the suite on stores that newStore makes; each call must return
// an empty store. A TxStore's backend passes a ReadModel so that the
// suite checks the read-model writes too.
func Run(t *testing.T, newStore func(t *testing.T) projections.CheckpointStore, rm ...ReadModel) {
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
	t.Run("SaveIf", func(t *testing.T) {
		s, ok := newStore(t).(projections.FencedCheckpoints)
		if !ok {
			t.Skip("not FencedCheckpoints")
		}
		require.NoError(t, s.SaveIf(ctx, "p", 0, 0, 5))
		err := s.SaveIf(ctx, "p", 0, 0, 6)
		require.ErrorIs(t, err, projections.ErrCheckpointMoved, "a stale save")
		require.ErrorContains(t, err, `"p"`)
		got, err := s.Load(ctx, "p", 0)
		require.NoError(t, err)
		require.Equal(t, uint64(5), got, "a stale save writes nothing")
		require.NoError(t, s.SaveIf(ctx, "p", 0, 5, 9))
		require.NoError(t, s.SaveIf(ctx, "p", 1, 0, 2), "another partition has its own checkpoint")
		got, err = s.Load(ctx, "p", 0)
		require.NoError(t, err)
		require.Equal(t, uint64(9), got)
	})
	t.Run("StaleCommitWritesNothing", func(t *testing.T) {
		s, ok := newStore(t).(projections.TxStore)
		if !ok {
			t.Skip("not a TxStore")
		}
		// Two workers loaded checkpoint 0; the first commits, the second
		// is stale.
		ctxA, a, err := s.Begin(ctx, "p", 0)
		require.NoError(t, err)
		ctxB, b, err := s.Begin(ctx, "p", 0)
		require.NoError(t, err)
		fa, ok := a.(projections.FencedTx)
		if !ok {
			t.Skip("its Tx is not a FencedTx")
		}
		fb := b.(projections.FencedTx)
		for _, m := range rm {
			m.Put(ctxA, s, "k1", "a")
			m.Put(ctxB, s, "k1", "b")
			m.Put(ctxB, s, "k2", "b")
		}
		require.NoError(t, fa.CommitIf(ctx, 0, 5))
		err = fb.CommitIf(ctx, 0, 3)
		require.ErrorIs(t, err, projections.ErrCheckpointMoved, "a stale commit")
		got, err := s.Load(ctx, "p", 0)
		require.NoError(t, err)
		require.Equal(t, uint64(5), got, "a stale commit leaves the checkpoint")
		for _, m := range rm {
			v, err := m.Get(ctx, s, "k1")
			require.NoError(t, err)
			require.Equal(t, "a", v, "a stale commit writes no row")
			v, err = m.Get(ctx, s, "k2")
			require.NoError(t, err)
			require.Empty(t, v, "a stale commit writes no row")
		}

		// The next commit expects 5.
		ctxC, c, err := s.Begin(ctx, "p", 0)
		require.NoError(t, err)
		for _, m := range rm {
			m.Put(ctxC, s, "k2", "c")
		}
		require.NoError(t, c.(projections.FencedTx).CommitIf(ctx, 5, 8))
		got, err = s.Load(ctx, "p", 0)
		require.NoError(t, err)
		require.Equal(t, uint64(8), got)
		for _, m := range rm {
			v, err := m.Get(ctx, s, "k2")
			require.NoError(t, err)
			require.Equal(t, "c", v)
		}
		require.ErrorIs(t, c.(projections.FencedTx).CommitIf(ctx, 8, 9), projections.ErrTxDone)
	})
	t.Run("ResetProjection", func(t *testing.T) {
		store := newStore(t)
		s, ok := store.(projections.ResettableStore)
		if !ok {
			t.Skip("not a ResettableStore")
		}
		// A row and checkpoints 5 (partition 0) and 6 (partition 1) of
		// "p"; checkpoint 7 of "q".
		if txs, ok := store.(projections.TxStore); ok {
			txCtx, tx, err := txs.Begin(ctx, "p", 0)
			require.NoError(t, err)
			for _, m := range rm {
				m.Put(txCtx, txs, "k1", "a")
			}
			require.NoError(t, tx.Commit(ctx, 5))
		} else {
			require.NoError(t, s.Save(ctx, "p", 0, 5))
		}
		require.NoError(t, s.Save(ctx, "p", 1, 6))
		require.NoError(t, s.Save(ctx, "q", 0, 7))
		// A worker loaded partition 0's checkpoint before the reset.
		var stale projections.FencedTx
		if txs, ok := store.(projections.TxStore); ok {
			txCtx, tx, err := txs.Begin(ctx, "p", 0)
			require.NoError(t, err)
			for _, m := range rm {
				m.Put(txCtx, txs, "k2", "stale")
			}
			stale, _ = tx.(projections.FencedTx)
		}

		require.NoError(t, s.ResetProjection(ctx, "p", 2))
		for _, c := range []struct {
			name string
			part int
			want uint64
		}{{"p", 0, 0}, {"p", 1, 0}, {"q", 0, 7}} {
			got, err := s.Load(ctx, c.name, c.part)
			require.NoError(t, err)
			require.Equal(t, c.want, got, "projection %q partition %d", c.name, c.part)
		}
		if stale != nil {
			require.ErrorIs(t, stale.CommitIf(ctx, 5, 9), projections.ErrCheckpointMoved, "a commit of a worker that loaded the checkpoint before the reset")
		}
		if fs, ok := store.(projections.FencedCheckpoints); ok {
			require.ErrorIs(t, fs.SaveIf(ctx, "p", 1, 6, 8), projections.ErrCheckpointMoved)
			require.NoError(t, fs.SaveIf(ctx, "p", 1, 0, 8), "after the reset the checkpoint is 0")
		}
		txs, _ := store.(projections.TxStore)
		for _, m := range rm {
			for _, k := range []string{"k1", "k2"} {
				v, err := m.Get(ctx, txs, k)
				require.NoError(t, err)
				require.Empty(t, v, "row %s: the read model is cleared, and the stale commit wrote nothing", k)
			}
		}
	})
}
