package actors_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/internal/countertest"
	"github.com/factum-dev/factum/journal"
	jmemory "github.com/factum-dev/factum/journal/memory"
	"github.com/factum-dev/factum/snapshots"
	smemory "github.com/factum-dev/factum/snapshots/memory"
)

// The counter of internal/countertest, under the names the tests use.

const counterType = countertest.Type

type (
	Counter = countertest.Counter
	Opened  = countertest.Opened
	Added   = countertest.Added
	Open    = countertest.Open
	Add     = countertest.Add
	Double  = countertest.Double
	Noop    = countertest.Noop
	Reject  = countertest.Reject
	Boom    = countertest.Boom
)

func counterAggregate(opts ...actors.AggregateOption) *actors.AggregateType[*Counter] {
	return countertest.Aggregate(opts...)
}

func registerCounterEvents(reg *domain.Registry) { countertest.RegisterEvents(reg) }

// faultyJournal wraps a memory journal and fails appends on demand.
type faultyJournal struct {
	*jmemory.Journal
	mu sync.Mutex
	// faults are consumed one per append, in order.
	faults []fault
	reads  atomic.Int64 // Read calls with from > 1 (tail reads after a snapshot)
}

type fault int

const (
	failUnavailable fault = iota + 1 // nothing written
	failUnknown                      // written, but the caller is told the outcome is unknown
	failConflict                     // nothing written, a version conflict
)

func newFaultyJournal(t *testing.T) *faultyJournal {
	j, err := jmemory.New(jmemory.Config{})
	require.NoError(t, err)
	return &faultyJournal{Journal: j}
}

func (f *faultyJournal) inject(fs ...fault) {
	f.mu.Lock()
	f.faults = append(f.faults, fs...)
	f.mu.Unlock()
}

func (f *faultyJournal) Append(ctx context.Context, id uuid.UUID, expected uint64, records []journal.Record) (uint64, error) {
	f.mu.Lock()
	var next fault
	if len(f.faults) > 0 {
		next, f.faults = f.faults[0], f.faults[1:]
	}
	f.mu.Unlock()
	switch next {
	case failUnavailable:
		return 0, journal.ErrUnavailable
	case failUnknown:
		if _, err := f.Journal.Append(ctx, id, expected, records); err != nil {
			return 0, err
		}
		return 0, journal.ErrOutcomeUnknown
	case failConflict:
		return 0, &journal.ConflictError{AggregateID: id, Expected: expected, Actual: expected + 1}
	}
	return f.Journal.Append(ctx, id, expected, records)
}

func (f *faultyJournal) Read(ctx context.Context, id uuid.UUID, from, to uint64) ([]journal.Record, error) {
	if from > 1 {
		f.reads.Add(1)
	}
	return f.Journal.Read(ctx, id, from, to)
}

// env is a system with the counter registered, on stores that outlive it.
type env struct {
	t       *testing.T
	journal *faultyJournal
	snaps   snapshots.Store
	sys     *actors.System
}

func newEnv(t *testing.T, opts ...actors.AggregateOption) *env {
	e := &env{t: t, journal: newFaultyJournal(t), snaps: smemory.New()}
	e.start(opts...)
	t.Cleanup(func() {
		require.NoError(t, e.sys.Close())
		_ = e.journal.Close()
		_ = e.snaps.Close()
	})
	return e
}

// start starts a new system on the env's stores (after a restart).
func (e *env) start(opts ...actors.AggregateOption) {
	reg := domain.NewRegistry()
	registerCounterEvents(reg)
	app, err := app.New(app.Config{Registry: reg, Journal: e.journal, Snapshots: e.snaps})
	require.NoError(e.t, err)
	sys, err := actors.NewSystem(actors.SystemConfig{App: app})
	require.NoError(e.t, err)
	require.NoError(e.t, actors.Register(sys, counterAggregate(opts...)))
	e.sys = sys
}

func (e *env) restart(opts ...actors.AggregateOption) {
	require.NoError(e.t, e.sys.Close())
	e.start(opts...)
}

func (e *env) open(id uuid.UUID, start int) actors.Reply {
	rep, err := actors.Send(ctx(e.t), e.sys, counterType, id, Open{Start: start})
	require.NoError(e.t, err)
	return rep
}

func (e *env) add(id uuid.UUID, by int, opts ...actors.SendOption) (actors.Reply, error) {
	return actors.Send(ctx(e.t), e.sys, counterType, id, Add{By: by}, opts...)
}

func (e *env) get(id uuid.UUID) *Counter {
	c, err := actors.Get[*Counter](ctx(e.t), e.sys, counterType, id)
	require.NoError(e.t, err)
	return c
}

// fromJournal rebuilds a counter from all its events, bypassing actors
// and snapshots.
func (e *env) fromJournal(id uuid.UUID) (*Counter, []domain.Envelope) {
	events, err := e.sys.App().Events().Load(ctx(e.t), id, 1, 0)
	require.NoError(e.t, err)
	c, err := domain.Rebuild(func() *Counter { return &Counter{} }, events...)
	require.NoError(e.t, err)
	return c, events
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
