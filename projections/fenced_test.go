package projections_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/projections"
)

// staleRunners starts two runners of projection "shared" (a sum per
// counter, not idempotent) on one read model, over a counter opened and
// added to 10 times. The first runner's handler blocks at position 1 until
// release is called, so that its batch is stale by the time the second
// runner has caught up and committed.
func staleRunners(t *testing.T, placed bool) (stale, fresh *projections.Runner, rm *projections.MemoryReadModel[uuid.UUID, int], id uuid.UUID, release func()) {
	sys := newPartitionedSystem(t, 1)
	id = uuid.New()
	_, err := actors.Send(ctx(t), sys, counterType, id, Open{})
	require.NoError(t, err)
	for range 10 {
		_, err := actors.Send(ctx(t), sys, counterType, id, Add{By: 1})
		require.NoError(t, err)
	}
	rm = projections.NewMemoryReadModel[uuid.UUID, int]()
	reached, released := make(chan struct{}), make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(released) }) }
	t.Cleanup(release)

	blocking := projections.NewProjection("shared", projections.Checkpoints(rm), projections.BatchSize(100),
		projections.Backoff(time.Millisecond, 10*time.Millisecond))
	var first sync.Once
	projections.On(blocking, func(ctx context.Context, e Opened, n projections.Notification) error {
		first.Do(func() { close(reached) })
		select {
		case <-released:
		case <-ctx.Done():
			return ctx.Err()
		}
		rm.Tx(ctx).Put(n.AggregateID, e.Start)
		return nil
	})
	projections.On(blocking, func(ctx context.Context, e Added, n projections.Notification) error {
		tx := rm.Tx(ctx)
		v, _ := tx.Get(n.AggregateID)
		tx.Put(n.AggregateID, v+e.By)
		return nil
	})
	start := func(p *projections.Projection) *projections.Runner {
		r, err := projections.NewRunner(projections.RunnerConfig{System: sys, Placed: placed})
		require.NoError(t, err)
		require.NoError(t, r.Add(p))
		require.NoError(t, r.Start(ctx(t)))
		t.Cleanup(func() { require.NoError(t, r.Stop(context.Background())) })
		if placed {
			require.NoError(t, r.StartPartition(ctx(t), 0))
		}
		return r
	}
	stale = start(blocking)
	<-reached
	fresh = start(sumModel("shared", rm))
	caughtUp(t, sys, fresh)
	v, _ := rm.Get(id)
	require.Equal(t, 10, v)
	return stale, fresh, rm, id, release
}

// A second runner of a projection on the same store: its commit, stale,
// writes nothing, and its partition stops with an error that says why.
func TestStaleCommitWritesNothing(t *testing.T) {
	stale, _, rm, id, release := staleRunners(t, false)
	release()
	require.Eventually(t, func() bool { return stale.Status()[0].Stopped != "" }, 20*time.Second, time.Millisecond,
		"the stale runner's partition stops")
	st := stale.Status()[0]
	require.Contains(t, st.Stopped, "checkpoint moved")
	require.Contains(t, st.Stopped, "two runners")
	require.Zero(t, st.Position, "the stale runner committed nothing")
	v, _ := rm.Get(id)
	require.Equal(t, 10, v, "the stale batch added nothing to the read model")
	cp, err := rm.Load(ctx(t), "shared", 0)
	require.NoError(t, err)
	require.EqualValues(t, 11, cp, "the stale batch did not move the checkpoint")
}

// In a cluster (Placed runners) the worker whose commit is stale drops its
// batch and resumes from the stored checkpoint: the new owner of a
// partition may be the one whose commit is refused, when the last owner's
// commit landed after it loaded the checkpoint.
func TestPlacedStaleCommitResumes(t *testing.T) {
	stale, _, rm, id, release := staleRunners(t, true)
	release()
	require.Eventually(t, func() bool {
		st := stale.Status()[0]
		return st.Position == 11 && st.Failures > 0
	}, 20*time.Second, time.Millisecond, "the stale worker resumes from the stored checkpoint")
	st := stale.Status()[0]
	require.Empty(t, st.Stopped)
	require.Contains(t, st.LastError, "checkpoint moved")
	v, _ := rm.Get(id)
	require.Equal(t, 10, v, "every Added applied once")
}

// A reset through one of two Placed runners (a cluster of two): the read
// model is cleared and rebuilt in the partitions of both, by Restart on
// the other, or, without it, at the other's next commit, which the reset
// makes refused.
func TestPlacedReset(t *testing.T) {
	for _, restart := range []bool{true, false} {
		t.Run(map[bool]string{true: "Restart", false: "NextCommit"}[restart], func(t *testing.T) {
			rng := seed(t)
			sys := newPartitionedSystem(t, 2)
			ids, _ := writeCounters(t, sys, rng, 10, 100)
			rm := projections.NewMemoryReadModel[uuid.UUID, int]()
			start := func(part int) *projections.Runner {
				r, err := projections.NewRunner(projections.RunnerConfig{System: sys, Placed: true})
				require.NoError(t, err)
				require.NoError(t, r.Add(sumModel("values", rm, projections.Backoff(time.Millisecond, 10*time.Millisecond))))
				require.NoError(t, r.Start(ctx(t)))
				t.Cleanup(func() { require.NoError(t, r.Stop(context.Background())) })
				require.NoError(t, r.StartPartition(ctx(t), part))
				return r
			}
			a, b := start(0), start(1)
			caughtUp(t, sys, a)
			caughtUp(t, sys, b)
			right := func() bool {
				for _, id := range ids {
					if v, _ := rm.Get(id); v != getCounter(t, sys, id) {
						return false
					}
				}
				return true
			}
			require.True(t, right())

			require.NoError(t, a.Reset(ctx(t), "values"))
			if restart {
				require.NoError(t, b.Restart(ctx(t), "values"))
			} else {
				// b's worker is idle at its old position: a new event
				// in each partition makes it commit, which is refused.
				for _, id := range ids {
					_, err := actors.Send(ctx(t), sys, counterType, id, Add{By: 1})
					require.NoError(t, err)
				}
			}
			require.Eventually(t, right, 20*time.Second, 5*time.Millisecond, "every counter rebuilt once")
			require.ErrorIs(t, a.Reset(ctx(t), "nope"), projections.ErrUnknownProjection)
		})
	}
}
