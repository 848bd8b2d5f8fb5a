package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/app/historytest"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/internal/countertest"
	"github.com/factum-dev/factum/journal"
	jmemory "github.com/factum-dev/factum/journal/memory"
	"github.com/factum-dev/factum/snapshots"
	smemory "github.com/factum-dev/factum/snapshots/memory"
)

type Counter = countertest.Counter

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// env is an application on memory stores that the test owns.
type env struct {
	app      *app.Application
	journal  *jmemory.Journal
	snaps    snapshots.Store
	counters *app.Repository[*Counter]
}

func newEnv(t *testing.T, opts ...app.AggregateOption) *env {
	reg := domain.NewRegistry()
	countertest.RegisterEvents(reg)
	j, err := jmemory.New(jmemory.Config{Partitions: 2})
	require.NoError(t, err)
	e := &env{journal: j, snaps: smemory.New()}
	e.app, err = app.New(app.Config{Registry: reg, Journal: j, Snapshots: e.snaps})
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, e.app.Close())
		require.NoError(t, j.Close())
		require.NoError(t, e.snaps.Close())
	})
	e.counters, err = app.NewRepository(e.app, countertest.Type, func() *Counter { return &Counter{} }, opts...)
	require.NoError(t, err)
	return e
}

// newCounter saves a new counter raised to version n.
func (e *env) newCounter(t *testing.T, n int) *Counter {
	c := e.counters.New()
	require.NoError(t, domain.Raise(c, countertest.Opened{Start: 0}))
	for range n - 1 {
		require.NoError(t, domain.Raise(c, countertest.Added{By: 1}))
	}
	_, err := e.app.Save(ctx(t), c)
	require.NoError(t, err)
	return c
}

// Snapshots are taken at the versions the seeds take them: exactly at
// multiples of N, even when one save passes a multiple (3 -> 5 with N = 4
// stores the snapshot of version 4).
func TestSnapshotAtMultiplesOfN(t *testing.T) {
	e := newEnv(t, app.SnapshotEvery(4))
	c := e.newCounter(t, 3)
	_, err := e.snaps.Latest(ctx(t), c.ID(), 0)
	require.ErrorIs(t, err, snapshots.ErrNotFound)

	require.NoError(t, domain.Raise(c, countertest.Added{By: 10}))
	require.NoError(t, domain.Raise(c, countertest.Added{By: 100}))
	_, err = e.app.Save(ctx(t), c)
	require.NoError(t, err)
	s, err := e.snaps.Latest(ctx(t), c.ID(), 0)
	require.NoError(t, err)
	assert.EqualValues(t, 4, s.Version, "the snapshot of version 4, not of 5")
	assert.JSONEq(t, `{"value":12}`, string(s.Data), "the state at version 4")

	got, err := e.counters.Get(ctx(t), c.ID())
	require.NoError(t, err)
	assert.EqualValues(t, 5, got.Version())
	assert.Equal(t, 112, got.Value)
}

// A second NewRepository for the same name and Go type is fine (two parts
// of a program may each make one); a different Go type under a name that
// is taken is an error.
func TestNewRepositoryTwice(t *testing.T) {
	e := newEnv(t)
	again, err := app.NewRepository(e.app, countertest.Type, func() *Counter { return &Counter{} })
	require.NoError(t, err)
	c := e.newCounter(t, 2)
	got, err := again.Get(ctx(t), c.ID())
	require.NoError(t, err)
	assert.Equal(t, c.Value, got.Value)

	type otherCounter struct{ Counter }
	_, err = app.NewRepository(e.app, countertest.Type, func() *otherCounter { return &otherCounter{} })
	require.ErrorIs(t, err, domain.ErrDuplicateType)
	assert.Contains(t, err.Error(), countertest.Type)
}

// A discarded aggregate, once saved, is gone from its repository (Get is
// not found, Contains is false), is not snapshotted, and its history is
// still readable at earlier versions.
func TestDiscard(t *testing.T) {
	e := newEnv(t, app.SnapshotEvery(1))
	c := e.newCounter(t, 2)
	ok, err := e.counters.Contains(ctx(t), c.ID())
	require.NoError(t, err)
	require.True(t, ok)

	require.NoError(t, domain.Discard(c))
	_, err = e.app.Save(ctx(t), c)
	require.NoError(t, err)

	_, err = e.counters.Get(ctx(t), c.ID())
	require.ErrorIs(t, err, app.ErrAggregateNotFound)
	require.ErrorIs(t, err, app.ErrDiscarded)
	var de *app.DiscardedError
	require.ErrorAs(t, err, &de)
	assert.EqualValues(t, 3, de.Version)
	ok, err = e.counters.Contains(ctx(t), c.ID())
	require.NoError(t, err)
	assert.False(t, ok, "a discarded aggregate is not in the repository")
	ok, err = e.counters.Contains(ctx(t), uuid.New())
	require.NoError(t, err)
	assert.False(t, ok)

	s, err := e.snaps.Latest(ctx(t), c.ID(), 0)
	require.NoError(t, err)
	assert.EqualValues(t, 2, s.Version, "no snapshot of the discarded aggregate")

	old, err := e.counters.GetAt(ctx(t), c.ID(), 2)
	require.NoError(t, err)
	assert.EqualValues(t, 2, old.Version())
	assert.Equal(t, 1, old.Value)

	require.ErrorIs(t, domain.Raise(c, countertest.Added{By: 1}), domain.ErrDiscarded)
}

// Save of several aggregates is all or nothing: when one of them is
// stale, none of their events is written, no log position is used, and
// every aggregate keeps its pending events.
func TestSaveSeveralAllOrNothing(t *testing.T) {
	e := newEnv(t)
	a, b := e.newCounter(t, 1), e.newCounter(t, 1)
	staleB, err := e.counters.Get(ctx(t), b.ID())
	require.NoError(t, err)
	require.NoError(t, domain.Raise(b, countertest.Added{By: 1}))
	_, err = e.app.Save(ctx(t), b) // staleB is behind now
	require.NoError(t, err)
	heads := func() []uint64 {
		return []uint64{head(t, e, 0), head(t, e, 1)}
	}
	before := heads()

	require.NoError(t, domain.Raise(a, countertest.Added{By: 10}))
	require.NoError(t, domain.Raise(staleB, countertest.Added{By: 100}))
	_, err = e.app.Save(ctx(t), a, staleB)
	require.ErrorIs(t, err, journal.ErrVersionConflict)
	var ce *journal.ConflictError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, b.ID(), ce.AggregateID)
	assert.Equal(t, before, heads(), "no log position used")
	got, err := e.counters.Get(ctx(t), a.ID())
	require.NoError(t, err)
	assert.EqualValues(t, 1, got.Version(), "a was saved although b conflicted")
	assert.Len(t, a.Pending(), 1, "a keeps its pending events")
	assert.Len(t, staleB.Pending(), 1)

	// With b fresh, both go in at once.
	freshB, err := e.counters.Get(ctx(t), b.ID())
	require.NoError(t, err)
	require.NoError(t, domain.Raise(freshB, countertest.Added{By: 100}))
	pos, err := e.app.Save(ctx(t), a, freshB, e.counters.New())
	require.NoError(t, err)
	require.Len(t, pos, 3)
	assert.Positive(t, pos[0])
	assert.Positive(t, pos[1])
	assert.Zero(t, pos[2], "nothing pending")
	assert.Empty(t, a.Pending())
	gotA, err := e.counters.Get(ctx(t), a.ID())
	require.NoError(t, err)
	assert.Equal(t, 10, gotA.Value)
	gotB, err := e.counters.Get(ctx(t), b.ID())
	require.NoError(t, err)
	assert.Equal(t, 101, gotB.Value)
}

// Over a journal that cannot append to several aggregates at once, a save
// of several is refused whole.
func TestSaveSeveralNeedsAMultiAppender(t *testing.T) {
	reg := domain.NewRegistry()
	countertest.RegisterEvents(reg)
	j, err := jmemory.New(jmemory.Config{})
	require.NoError(t, err)
	defer j.Close()
	a, err := app.New(app.Config{Registry: reg, Journal: plainJournal{j}, Snapshots: smemory.New()})
	require.NoError(t, err)
	defer a.Close()
	counters, err := app.NewRepository(a, countertest.Type, func() *Counter { return &Counter{} })
	require.NoError(t, err)
	x, y := counters.New(), counters.New()
	require.NoError(t, domain.Raise(x, countertest.Opened{}))
	require.NoError(t, domain.Raise(y, countertest.Opened{}))
	_, err = a.Save(ctx(t), x, y)
	require.ErrorIs(t, err, journal.ErrMultiAppend)
	h, err := j.Head(ctx(t), 0)
	require.NoError(t, err)
	assert.Zero(t, h)
	_, err = a.Save(ctx(t), x)
	require.NoError(t, err, "one aggregate needs no MultiAppender")
}

// plainJournal hides every ability of the journal under it but the port.
type plainJournal struct{ journal.Journal }

func head(t *testing.T, e *env, p int) uint64 {
	h, err := e.journal.Head(ctx(t), p)
	require.NoError(t, err)
	return h
}

// The notification log serves stored records (Select) and decoded domain
// events (SelectEvents), in the order they were saved.
func TestNotificationLogSelectEvents(t *testing.T) {
	e := newEnv(t)
	c := e.newCounter(t, 3)
	p := journal.PartitionOf(c.ID(), 2)
	nlog := e.app.NotificationLog()
	events, err := nlog.SelectPartitionEvents(ctx(t), p, 1, 10)
	require.NoError(t, err)
	require.Len(t, events, 3)
	assert.Equal(t, countertest.Opened{Start: 0}, events[0].Data)
	assert.Equal(t, countertest.Added{By: 1}, events[2].Data)
	assert.EqualValues(t, 3, events[2].Position)
	assert.EqualValues(t, 3, events[2].Version)
	assert.Equal(t, c.ID(), events[2].AggregateID)
	assert.Equal(t, "test.Added", events[2].Type)

	stored, err := nlog.SelectPartition(ctx(t), p, 1, 10)
	require.NoError(t, err)
	require.Len(t, stored, 3)
	assert.JSONEq(t, `{"by":1}`, string(stored[2].Data), "Select gives the stored bytes")
	_, err = nlog.SelectPartitionEvents(ctx(t), p, 1, 5000)
	require.Error(t, err, "over the maximum limit")
}

// TestHistoryReaderConformance holds the reference reader (the snapshot,
// then the records) to the suite, on the memory stores.
func TestHistoryReaderConformance(t *testing.T) {
	historytest.Run(t, func(t *testing.T) (journal.Journal, snapshots.Store, app.HistoryReader) {
		j, err := jmemory.New(jmemory.Config{})
		require.NoError(t, err)
		s := smemory.New()
		return j, s, app.NewHistoryReader(j, s)
	})
}

// countingHistory counts the reads of a HistoryReader.
type countingHistory struct {
	app.HistoryReader
	reads int
}

func (c *countingHistory) ReadHistory(ctx context.Context, id uuid.UUID, maxVersion uint64) (domain.Snapshot, bool, []journal.Record, error) {
	c.reads++
	return c.HistoryReader.ReadHistory(ctx, id, maxVersion)
}

// noLatest is a snapshot store whose Latest must not be called.
type noLatest struct {
	snapshots.Store
	t *testing.T
}

func (n noLatest) Latest(context.Context, uuid.UUID, uint64) (domain.Snapshot, error) {
	n.t.Error("Latest called although the application has a HistoryReader")
	return domain.Snapshot{}, snapshots.ErrNotFound
}

// TestRebuildWithHistoryReader checks that an application with a
// HistoryReader rebuilds aggregates with one read of it (and no Latest of
// its own), to the same state and version as one without, at the latest
// version and at older ones, with snapshots and without.
func TestRebuildWithHistoryReader(t *testing.T) {
	e := newEnv(t, app.SnapshotEvery(4))
	reads := &countingHistory{HistoryReader: app.NewHistoryReader(e.journal, e.snaps)}
	with, err := app.New(app.Config{Registry: e.app.Registry(), Journal: e.journal, Snapshots: noLatest{e.snaps, t}, History: reads})
	require.NoError(t, err)
	defer with.Close()
	counters, err := app.NewRepository(with, countertest.Type, func() *Counter { return &Counter{} }, app.SnapshotEvery(4))
	require.NoError(t, err)
	for _, n := range []int{1, 3, 4, 10} {
		c := e.newCounter(t, n)
		for v := uint64(0); v <= uint64(n); v++ {
			want, err := e.counters.GetAt(ctx(t), c.ID(), v)
			require.NoError(t, err)
			before := reads.reads
			got, err := counters.GetAt(ctx(t), c.ID(), v)
			require.NoError(t, err)
			assert.Equal(t, 1, reads.reads-before, "reads of the history reader")
			assert.Equal(t, want.Version(), got.Version(), "counter of %d events at version %d", n, v)
			assert.Equal(t, want.Value, got.Value, "counter of %d events at version %d", n, v)
		}
	}
	_, err = counters.Get(ctx(t), uuid.New())
	require.ErrorIs(t, err, app.ErrAggregateNotFound)
}
