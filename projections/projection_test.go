package projections_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/eventlog"
	"github.com/factum-dev/factum/inmem"
	"github.com/factum-dev/factum/journal"
	jmemory "github.com/factum-dev/factum/journal/memory"
	"github.com/factum-dev/factum/projections"
	"github.com/factum-dev/factum/projections/checkpointtest"
)

func TestMemoryCheckpoints(t *testing.T) {
	checkpointtest.Run(t, func(*testing.T) projections.CheckpointStore { return projections.NewMemoryCheckpoints() })
}

func TestMemoryReadModelCheckpoints(t *testing.T) {
	checkpointtest.Run(t, func(*testing.T) projections.CheckpointStore { return projections.NewMemoryReadModel[string, string]() },
		checkpointtest.ReadModel{
			Put: func(ctx context.Context, s projections.TxStore, key, value string) {
				s.(*projections.MemoryReadModel[string, string]).Tx(ctx).Put(key, value)
			},
			Get: func(_ context.Context, s projections.TxStore, key string) (string, error) {
				v, _ := s.(*projections.MemoryReadModel[string, string]).Get(key)
				return v, nil
			},
		})
}

// newPartitionedSystem is a system with the counter on a memory journal
// of the given number of partitions.
func newPartitionedSystem(t *testing.T, partitions int) *actors.System {
	j, err := jmemory.New(jmemory.Config{Partitions: partitions})
	require.NoError(t, err)
	reg := domain.NewRegistry()
	registerCounterEvents(reg)
	app, err := inmem.NewApplication(app.Config{Registry: reg, Journal: j})
	require.NoError(t, err)
	sys, err := actors.NewSystem(actors.SystemConfig{App: app})
	require.NoError(t, err)
	require.NoError(t, actors.Register(sys, counterAggregate()))
	t.Cleanup(func() {
		require.NoError(t, sys.Close())
		_ = j.Close()
	})
	return sys
}

// writeCounters opens n counters and adds to them at random, from a few
// goroutines; it returns the sum of every counter.
func writeCounters(t *testing.T, sys *actors.System, rng *rand.Rand, n, adds int) (ids []uuid.UUID, total int) {
	for range n {
		id := uuid.New()
		_, err := actors.Send(ctx(t), sys, counterType, id, Open{Start: 0})
		require.NoError(t, err)
		ids = append(ids, id)
	}
	bys := make([]int, adds)
	for i := range bys {
		bys[i] = 1 + rng.IntN(9)
		total += bys[i]
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < adds; i += 4 {
				if _, err := actors.Send(ctx(t), sys, counterType, ids[i%n], Add{By: bys[i]}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return ids, total
}

func seed(t *testing.T) *rand.Rand {
	s := uint64(time.Now().UnixNano())
	t.Logf("seed %d", s)
	return rand.New(rand.NewPCG(s, s))
}

func startRunner(t *testing.T, cfg projections.RunnerConfig, ps ...projections.Runnable) *projections.Runner {
	r, err := projections.NewRunner(cfg)
	require.NoError(t, err)
	require.NoError(t, r.Add(ps...))
	require.NoError(t, r.Start(ctx(t)))
	t.Cleanup(func() { require.NoError(t, r.Stop(context.Background())) })
	return r
}

// caughtUp waits until every projection of r is level with every
// partition's head.
func caughtUp(t *testing.T, sys *actors.System, r *projections.Runner) {
	t.Helper()
	j := sys.App().Events().Journal()
	require.Eventually(t, func() bool {
		for _, s := range r.Status() {
			head, err := j.Head(context.Background(), s.Partition)
			if err != nil || s.Position != head {
				return false
			}
		}
		return true
	}, 20*time.Second, 2*time.Millisecond)
}

func TestProjectionOrderFilterAndSum(t *testing.T) {
	rng := seed(t)
	sys := newPartitionedSystem(t, 4)
	// Half the history before the projection starts (catch-up), half after
	// (live).
	_, before := writeCounters(t, sys, rng, 20, 500)

	var mu sync.Mutex
	last := map[int]uint64{}
	sum, opened := 0, 0
	p := projections.NewProjection("sum", projections.BatchSize(64))
	projections.On(p, func(ctx context.Context, e Added, n projections.Notification) error {
		mu.Lock()
		defer mu.Unlock()
		if n.Position <= last[n.Partition] {
			t.Errorf("partition %d: position %d after %d", n.Partition, n.Position, last[n.Partition])
		}
		last[n.Partition] = n.Position
		sum += e.By
		require.Equal(t, "test.Added", n.Type)
		return nil
	})
	// A filtered subscription: only Opened.
	q := projections.NewProjection("opened")
	projections.On(q, func(ctx context.Context, e Opened, n projections.Notification) error {
		mu.Lock()
		opened++
		mu.Unlock()
		return nil
	})
	r := startRunner(t, projections.RunnerConfig{System: sys}, p, q)
	_, after := writeCounters(t, sys, rng, 20, 500)
	caughtUp(t, sys, r)
	mu.Lock()
	require.Equal(t, before+after, sum)
	require.Equal(t, 40, opened)
	mu.Unlock()
	for _, s := range r.Status() {
		require.Zero(t, s.PositionLag)
		require.Zero(t, s.TimeLag)
		require.Zero(t, s.Failures)
	}
}

// sumModel is a projection into a MemoryReadModel of each counter's value;
// it is not idempotent (it adds), so a duplicate would show.
func sumModel(name string, rm *projections.MemoryReadModel[uuid.UUID, int], opts ...projections.ProjectionOption) *projections.Projection {
	p := projections.NewProjection(name, append([]projections.ProjectionOption{projections.Checkpoints(rm)}, opts...)...)
	projections.On(p, func(ctx context.Context, e Opened, n projections.Notification) error {
		rm.Tx(ctx).Put(n.AggregateID, e.Start)
		return nil
	})
	projections.On(p, func(ctx context.Context, e Added, n projections.Notification) error {
		tx := rm.Tx(ctx)
		v, _ := tx.Get(n.AggregateID)
		tx.Put(n.AggregateID, v+e.By)
		return nil
	})
	return p
}

func TestProjectionRestartAndRebuild(t *testing.T) {
	rng := seed(t)
	sys := newPartitionedSystem(t, 3)
	rm := projections.NewMemoryReadModel[uuid.UUID, int]()
	r, err := projections.NewRunner(projections.RunnerConfig{System: sys})
	require.NoError(t, err)
	require.NoError(t, r.Add(sumModel("values", rm, projections.BatchSize(16))))
	require.NoError(t, r.Start(ctx(t)))
	ids, _ := writeCounters(t, sys, rng, 10, 300)
	// Stop part way (maybe), write more, start again from the checkpoint.
	require.NoError(t, r.Stop(ctx(t)))
	require.NoError(t, r.Stop(ctx(t)), "Stop twice")
	for i := range 200 {
		_, err := actors.Send(ctx(t), sys, counterType, ids[i%len(ids)], Add{By: 1})
		require.NoError(t, err)
	}
	r2 := startRunner(t, projections.RunnerConfig{System: sys}, sumModel("values", rm, projections.BatchSize(16)))
	caughtUp(t, sys, r2)
	for _, id := range ids {
		v, _ := rm.Get(id)
		require.Equal(t, getCounter(t, sys, id), v, "counter %s: no gap and no duplicate after the restart", id)
	}

	// A rebuild from position 0 into a new read model gives the same.
	rebuilt := projections.NewMemoryReadModel[uuid.UUID, int]()
	r3 := startRunner(t, projections.RunnerConfig{System: sys}, sumModel("values", rebuilt, projections.Start(projections.FromBeginning)))
	caughtUp(t, sys, r3)
	require.Equal(t, rm.Snapshot(), rebuilt.Snapshot())
}

func getCounter(t *testing.T, sys *actors.System, id uuid.UUID) int {
	c, err := actors.Get[*Counter](ctx(t), sys, counterType, id)
	require.NoError(t, err)
	return c.Value
}

func TestProjectionRetriesAndHoldsCheckpoint(t *testing.T) {
	sys := newPartitionedSystem(t, 1)
	id := uuid.New()
	_, err := actors.Send(ctx(t), sys, counterType, id, Open{})
	require.NoError(t, err)
	for range 5 {
		_, err := actors.Send(ctx(t), sys, counterType, id, Add{By: 1})
		require.NoError(t, err)
	}
	boom := errors.New("read model down")
	var fails atomic.Int32
	fails.Store(3)
	var seen []uint64
	var mu sync.Mutex
	cps := projections.NewMemoryCheckpoints()
	p := projections.NewProjection("flaky", projections.Backoff(time.Millisecond, 4*time.Millisecond))
	projections.On(p, func(ctx context.Context, e Added, n projections.Notification) error {
		if n.Position == 4 && fails.Add(-1) >= 0 {
			return boom
		}
		mu.Lock()
		seen = append(seen, n.Position)
		mu.Unlock()
		return nil
	})
	r := startRunner(t, projections.RunnerConfig{System: sys, Checkpoints: cps}, p)
	caughtUp(t, sys, r)
	mu.Lock()
	require.Equal(t, []uint64{2, 3, 4, 5, 6}, seen, "each handled once, in order, the failed one after its retries")
	mu.Unlock()
	st := r.Status()[0]
	require.Equal(t, uint64(3), st.Failures)
	require.False(t, st.Retrying)
	require.Contains(t, st.LastError, `projection "flaky" partition 0 position 4`)
	cp, err := cps.Load(ctx(t), "flaky", 0)
	require.NoError(t, err)
	require.Equal(t, uint64(6), cp)
}

func TestProjectionFailureStopsCheckpoint(t *testing.T) {
	sys := newPartitionedSystem(t, 1)
	id := uuid.New()
	_, err := actors.Send(ctx(t), sys, counterType, id, Open{})
	require.NoError(t, err)
	for range 5 {
		_, err := actors.Send(ctx(t), sys, counterType, id, Add{By: 1})
		require.NoError(t, err)
	}
	rm := projections.NewMemoryReadModel[uuid.UUID, int]()
	p := projections.NewProjection("stuck", projections.Checkpoints(rm), projections.Backoff(time.Millisecond, 2*time.Millisecond))
	projections.On(p, func(ctx context.Context, e Added, n projections.Notification) error {
		if n.Position == 4 {
			return fmt.Errorf("the read model's database: %w", actors.ErrUnavailable) // transient: retried for as long as it lasts
		}
		tx := rm.Tx(ctx)
		v, _ := tx.Get(n.AggregateID)
		tx.Put(n.AggregateID, v+e.By)
		return nil
	})
	r := startRunner(t, projections.RunnerConfig{System: sys}, p)
	require.Eventually(t, func() bool { return r.Status()[0].Failures >= 3 }, 10*time.Second, time.Millisecond)
	st := r.Status()[0]
	require.True(t, st.Retrying)
	require.Equal(t, uint64(3), st.Position, "the checkpoint stops right before the failing position")
	require.Equal(t, uint64(3), st.PositionLag)
	cp, err := rm.Load(ctx(t), "stuck", 0)
	require.NoError(t, err)
	require.Equal(t, uint64(3), cp)
	v, _ := rm.Get(id)
	require.Equal(t, 2, v, "positions 2 and 3 are committed, nothing after")
}

func TestProjectionAbortAndFromLatest(t *testing.T) {
	sys := newPartitionedSystem(t, 1)
	id := uuid.New()
	_, err := actors.Send(ctx(t), sys, counterType, id, Open{})
	require.NoError(t, err)
	cps := projections.NewMemoryCheckpoints()
	var n1 atomic.Int32
	p := projections.NewProjection("lazy", projections.CheckpointEvery(time.Hour))
	projections.On(p, func(ctx context.Context, e Added, n projections.Notification) error { n1.Add(1); return nil })
	r, err := projections.NewRunner(projections.RunnerConfig{System: sys, Checkpoints: cps})
	require.NoError(t, err)
	require.NoError(t, r.Add(p))
	require.NoError(t, r.Start(ctx(t)))
	for range 3 {
		_, err := actors.Send(ctx(t), sys, counterType, id, Add{By: 1})
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return n1.Load() == 3 }, 10*time.Second, time.Millisecond)
	r.Abort()
	cp, err := cps.Load(ctx(t), "lazy", 0)
	require.NoError(t, err)
	require.Zero(t, cp, "an aborted projection saves nothing on the way out")

	var n2 atomic.Int32
	q := projections.NewProjection("latest", projections.Start(projections.FromLatest))
	projections.On(q, func(ctx context.Context, e Added, n projections.Notification) error { n2.Add(1); return nil })
	r2 := startRunner(t, projections.RunnerConfig{System: sys, Checkpoints: cps}, q)
	_, err = actors.Send(ctx(t), sys, counterType, id, Add{By: 1})
	require.NoError(t, err)
	caughtUp(t, sys, r2)
	require.Equal(t, int32(1), n2.Load(), "FromLatest skips the history")
}

func TestRunnerErrors(t *testing.T) {
	sys := newPartitionedSystem(t, 1)
	r, err := projections.NewRunner(projections.RunnerConfig{System: sys})
	require.NoError(t, err)
	require.ErrorIs(t, r.Add(projections.NewProjection("")), projections.ErrProjection)
	empty := projections.NewProjection("empty")
	require.NoError(t, r.Add(empty))
	require.ErrorIs(t, r.Add(projections.NewProjection("empty")), projections.ErrProjection)
	require.ErrorIs(t, r.Start(ctx(t)), projections.ErrProjection, "a projection without handlers")
	type unregistered struct{}
	p := projections.NewProjection("p", projections.Follow("elsewhere"))
	projections.On(p, func(context.Context, unregistered, projections.Notification) error { return nil })
	require.ErrorIs(t, r.Add(p), projections.ErrProjection)
	_ = journal.ErrClosed
}

func TestProjectionStopInterruptsBackoff(t *testing.T) {
	sys := newPartitionedSystem(t, 1)
	_, err := actors.Send(ctx(t), sys, counterType, uuid.New(), Open{})
	require.NoError(t, err)
	p := projections.NewProjection("hopeless", projections.Backoff(time.Hour, time.Hour))
	projections.On(p, func(context.Context, Opened, projections.Notification) error { return errors.New("always fails") })
	r, err := projections.NewRunner(projections.RunnerConfig{System: sys})
	require.NoError(t, err)
	require.NoError(t, r.Add(p))
	require.NoError(t, r.Start(ctx(t)))
	require.Eventually(t, func() bool { return r.Status()[0].Retrying }, 10*time.Second, time.Millisecond)
	stopCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	require.NoError(t, r.Stop(stopCtx), "Stop does not wait out a retry's backoff")
}

// gatedLog is a log whose Wait blocks until open is closed, so that the
// notification actor reads everything written before in one section.
type gatedLog struct {
	eventlog.Log
	open chan struct{}
}

func (l gatedLog) Wait(ctx context.Context, p int, after uint64) (uint64, error) {
	select {
	case <-l.open:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return l.Log.Wait(ctx, p, after)
}

func TestProjectionPushedSectionKeepsBatchSize(t *testing.T) {
	sys := newPartitionedSystem(t, 1)
	log := gatedLog{Log: sys.App().Log(), open: make(chan struct{})}
	cps := projections.NewMemoryCheckpoints()
	release := make(chan struct{})
	p := projections.NewProjection("small-batches", projections.BatchSize(2))
	projections.On(p, func(ctx context.Context, e Added, n projections.Notification) error {
		if n.Position == 5 {
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	// Start on an empty log: the worker waits for the notifier's push.
	r := startRunner(t, projections.RunnerConfig{System: sys, Logs: map[string]eventlog.Log{"": log}, Checkpoints: cps}, p)
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // before the runner's Stop
	id := uuid.New()
	_, err := actors.Send(ctx(t), sys, counterType, id, Open{})
	require.NoError(t, err)
	for range 9 {
		_, err := actors.Send(ctx(t), sys, counterType, id, Add{By: 1})
		require.NoError(t, err)
	}
	close(log.open) // one section of 10 is pushed
	require.Eventually(t, func() bool {
		cp, err := cps.Load(ctx(t), "small-batches", 0)
		return err == nil && cp == 4
	}, 5*time.Second, time.Millisecond, "a pushed section is handled BatchSize at a time, with a checkpoint after each batch")
	unblock()
	caughtUp(t, sys, r)
}

// shortLog is a log whose head is ahead of what Select returns, as a
// remote log that answers an empty page might be.
type shortLog struct {
	eventlog.Log
	selects atomic.Int64
}

func (l *shortLog) Head(context.Context, int) (uint64, error) { return 5, nil }
func (l *shortLog) Select(context.Context, int, uint64, int) ([]journal.Notification, error) {
	l.selects.Add(1)
	return nil, nil
}
func (l *shortLog) Wait(ctx context.Context, _ int, _ uint64) (uint64, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}

func TestProjectionEmptyPageBacksOff(t *testing.T) {
	sys := newPartitionedSystem(t, 1)
	log := &shortLog{Log: sys.App().Log()}
	p := projections.NewProjection("short", projections.Backoff(time.Hour, time.Hour))
	projections.On(p, func(context.Context, Added, projections.Notification) error { return nil })
	r := startRunner(t, projections.RunnerConfig{System: sys, Logs: map[string]eventlog.Log{"": log}}, p)
	require.Eventually(t, func() bool { return r.Status()[0].Retrying }, 5*time.Second, time.Millisecond,
		"an empty page below the head is a failure, retried with backoff, not a busy loop")
	require.Contains(t, r.Status()[0].LastError, "position 1")
	require.LessOrEqual(t, log.selects.Load(), int64(2))
}

// lostReplyStore is a TxStore whose first commit goes through but reports
// an error, as a commit whose reply is lost.
type lostReplyStore struct {
	*projections.MemoryReadModel[uuid.UUID, int]
	lost atomic.Bool
}

type lostReplyTx struct {
	projections.Tx
	s *lostReplyStore
}

func (s *lostReplyStore) Begin(ctx context.Context, projection string, partition int) (context.Context, projections.Tx, error) {
	ctx, tx, err := s.MemoryReadModel.Begin(ctx, projection, partition)
	return ctx, lostReplyTx{tx, s}, err
}

func (t lostReplyTx) Commit(ctx context.Context, position uint64) error {
	if err := t.Tx.Commit(ctx, position); err != nil {
		return err
	}
	if t.s.lost.CompareAndSwap(false, true) {
		return errors.New("connection reset: the outcome is unknown")
	}
	return nil
}

func TestProjectionCommitWithLostReplyIsNotAppliedTwice(t *testing.T) {
	sys := newPartitionedSystem(t, 1)
	id := uuid.New()
	_, err := actors.Send(ctx(t), sys, counterType, id, Open{})
	require.NoError(t, err)
	for range 5 {
		_, err := actors.Send(ctx(t), sys, counterType, id, Add{By: 1})
		require.NoError(t, err)
	}
	store := &lostReplyStore{MemoryReadModel: projections.NewMemoryReadModel[uuid.UUID, int]()}
	p := projections.NewProjection("lost-reply", projections.Checkpoints(store), projections.Backoff(time.Millisecond, time.Millisecond))
	projections.On(p, func(ctx context.Context, e Added, n projections.Notification) error {
		tx := store.Tx(ctx)
		v, _ := tx.Get(n.AggregateID)
		tx.Put(n.AggregateID, v+e.By)
		return nil
	})
	r := startRunner(t, projections.RunnerConfig{System: sys}, p)
	caughtUp(t, sys, r)
	require.True(t, store.lost.Load())
	v, _ := store.Get(id)
	require.Equal(t, 5, v, "the batch whose commit went through is not applied again")
	require.Equal(t, uint64(1), r.Status()[0].Failures)
}

// On a transactional store, Status().Position is what is committed: the
// notifications of a batch still in its transaction do not count.
func TestStatusCountsOnlyCommitted(t *testing.T) {
	sys := newPartitionedSystem(t, 1)
	id := uuid.New()
	_, err := actors.Send(ctx(t), sys, counterType, id, Open{})
	require.NoError(t, err)
	for range 9 {
		_, err := actors.Send(ctx(t), sys, counterType, id, Add{By: 1})
		require.NoError(t, err)
	}
	rm := projections.NewMemoryReadModel[string, int]()
	reached, release := make(chan struct{}), make(chan struct{})
	p := projections.NewProjection("tx-status", projections.Checkpoints(rm), projections.BatchSize(10))
	projections.On(p, func(ctx context.Context, e Added, n projections.Notification) error {
		if n.Position == 5 {
			close(reached)
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	r := startRunner(t, projections.RunnerConfig{System: sys, Checkpoints: rm}, p)
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	<-reached
	require.Len(t, r.Status(), 1)
	require.Zero(t, r.Status()[0].Position, "positions 1-4 are handled but not committed")
	unblock()
	caughtUp(t, sys, r)
	cp, err := rm.Load(ctx(t), "tx-status", 0)
	require.NoError(t, err)
	require.EqualValues(t, 10, cp)
}
