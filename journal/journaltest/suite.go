package journaltest

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
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
)

// Factory returns a new, empty journal with the given number of partitions.
// The suite closes it; the factory registers any other clean-up with t.
type Factory func(t testing.TB, partitions int) journal.Journal

// Run runs the conformance suite against journals made by newJournal.
func Run(t *testing.T, newJournal Factory) { RunWith(t, newJournal, Features{}) }

// RunWith runs the conformance suite against journals made by newJournal,
// which have the given features.
func RunWith(t *testing.T, newJournal Factory, features Features) {
	tests := []struct {
		name string
		fn   func(*testing.T, Factory)
	}{
		{"RoundTrip", func(t *testing.T, f Factory) { testRoundTrip(t, f, features) }},
		{"ReadRange", testReadRange},
		{"UnknownAggregate", testUnknownAggregate},
		{"StaleExpectedVersion", testStaleExpectedVersion},
		{"BatchAllOrNothing", testBatchAllOrNothing},
		{"InvalidAppend", testInvalidAppend},
		{"RaceSameVersion", testRaceSameVersion},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Select", testSelect},
		{"Partitions", testPartitions},
		{"Wait", testWait},
		{"Tail", testTail},
		{"TailMany", testTailMany},
		{"CancelledContext", testCancelledContext},
		{"Close", testClose},
		{"AppendMany", func(t *testing.T, f Factory) { testAppendMany(t, f, features) }},
		{"AppendManyRace", testAppendManyRace},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newJournal) })
	}
}

func open(t testing.TB, f Factory, partitions int) journal.Journal {
	j := f(t, partitions)
	t.Cleanup(func() { _ = j.Close() })
	return j
}

// Records returns n records for aggregate id at versions from, from+1, ...
// with payloads that name the aggregate and version.
func Records(id uuid.UUID, from uint64, n int) []journal.Record {
	out := make([]journal.Record, n)
	for i := range out {
		v := from + uint64(i)
		out[i] = journal.Record{
			AggregateID: id, Version: v, Type: "test.Event", SchemaVersion: 1,
			Time: time.Date(2026, 1, 2, 3, 4, 5, int(v)*1000, time.UTC),
			Data: []byte(fmt.Sprintf(`{"id":%q,"v":%d}`, id, v)),
			Meta: domain.Metadata{CorrelationID: "corr-" + id.String()[:8], CausationID: fmt.Sprintf("cmd-%d", v)},
		}
	}
	return out
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func testRoundTrip(t *testing.T, f Factory, features Features) {
	j := open(t, f, 1)
	c := ctx(t)
	id := uuid.New()
	recs := Records(id, 1, 3)
	recs[1].Meta.Extra = map[string]string{"k": "v"}
	recs[2].Headers = map[string]string{"enc": "x"}
	recs[2].SchemaVersion = 2
	last, err := j.Append(c, id, 0, recs)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), last)
	got, err := j.Read(c, id, 1, 0)
	require.NoError(t, err)
	require.Len(t, got, 3)
	for i := range recs {
		assertSameRecord(t, recs[i], got[i], features)
	}
	last, err = j.Append(c, id, 3, Records(id, 4, 1))
	require.NoError(t, err)
	assert.Equal(t, uint64(4), last)
	got, err = j.Read(c, id, 1, 0)
	require.NoError(t, err)
	assert.Len(t, got, 4)
}

func assertSameRecord(t testing.TB, want, got journal.Record, features Features) {
	t.Helper()
	assert.Equal(t, want.AggregateID, got.AggregateID)
	assert.Equal(t, want.Version, got.Version)
	assert.Equal(t, want.Type, got.Type)
	assert.Equal(t, want.SchemaVersion, got.SchemaVersion)
	assert.True(t, want.Time.Equal(got.Time), "time: want %v, got %v", want.Time, got.Time)
	assert.Equal(t, string(want.Data), string(got.Data))
	assert.Equal(t, want.Meta.CorrelationID, got.Meta.CorrelationID)
	assert.Equal(t, want.Meta.CausationID, got.Meta.CausationID)
	assert.Equal(t, len(want.Meta.Extra), len(got.Meta.Extra))
	for k, v := range want.Meta.Extra {
		assert.Equal(t, v, got.Meta.Extra[k])
	}
	for k, v := range want.Headers {
		gv, ok := got.Headers[k]
		assert.True(t, ok, "version %d: appended header %q does not read back", want.Version, k)
		assert.Equal(t, v, gv, "version %d: header %q", want.Version, k)
	}
	for k := range got.Headers {
		if _, ok := want.Headers[k]; !ok && !features.adds(k) {
			assert.Fail(t, "header that was not appended",
				"version %d: Read returned header %q, which was not appended (Features.AddedHeaders: %q)", want.Version, k, features.AddedHeaders)
		}
	}
}

func testReadRange(t *testing.T, f Factory) {
	j := open(t, f, 1)
	c := ctx(t)
	id := uuid.New()
	_, err := j.Append(c, id, 0, Records(id, 1, 10))
	require.NoError(t, err)
	versions := func(from, to uint64) []uint64 {
		recs, err := j.Read(c, id, from, to)
		require.NoError(t, err)
		out := []uint64{}
		for _, r := range recs {
			out = append(out, r.Version)
		}
		return out
	}
	assert.Equal(t, []uint64{4, 5, 6}, versions(4, 6))
	assert.Equal(t, []uint64{9, 10}, versions(9, 0))
	assert.Equal(t, []uint64{1, 2}, versions(0, 2))
	assert.Equal(t, []uint64{10}, versions(10, 100))
	assert.Equal(t, []uint64{}, versions(11, 0))
	assert.Equal(t, []uint64{}, versions(5, 4))
}

func testUnknownAggregate(t *testing.T, f Factory) {
	j := open(t, f, 1)
	recs, err := j.Read(ctx(t), uuid.New(), 1, 0)
	require.NoError(t, err)
	assert.Empty(t, recs)
}

func testStaleExpectedVersion(t *testing.T, f Factory) {
	j := open(t, f, 1)
	c := ctx(t)
	id := uuid.New()
	_, err := j.Append(c, id, 0, Records(id, 1, 2))
	require.NoError(t, err)

	for _, expected := range []uint64{0, 1, 3} {
		recs := Records(id, expected+1, 1)
		_, err = j.Append(c, id, expected, recs)
		require.Error(t, err, "expected version %d", expected)
		assert.ErrorIs(t, err, journal.ErrVersionConflict)
		var ce *journal.ConflictError
		if assert.ErrorAs(t, err, &ce) {
			assert.Equal(t, id, ce.AggregateID)
			assert.Equal(t, expected, ce.Expected)
		}
	}
	got, err := j.Read(c, id, 1, 0)
	require.NoError(t, err)
	assert.Len(t, got, 2, "a conflicting append wrote records")
	head, err := j.Head(c, 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), head, "a conflicting append took log positions")
}

func testBatchAllOrNothing(t *testing.T, f Factory) {
	j := open(t, f, 1)
	c := ctx(t)
	id := uuid.New()
	_, err := j.Append(c, id, 0, Records(id, 1, 1))
	require.NoError(t, err)
	// A batch whose first record would conflict: none of it is written.
	_, err = j.Append(c, id, 0, Records(id, 1, 5))
	require.ErrorIs(t, err, journal.ErrVersionConflict)
	// A batch with a gap in the middle: none of it is written.
	bad := Records(id, 2, 5)
	bad[3].Version = 9
	_, err = j.Append(c, id, 1, bad)
	require.ErrorIs(t, err, journal.ErrInvalidAppend)
	got, err := j.Read(c, id, 1, 0)
	require.NoError(t, err)
	assert.Len(t, got, 1)
	head, err := j.Head(c, 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), head)
	// The whole good batch goes in at once.
	last, err := j.Append(c, id, 1, Records(id, 2, 5))
	require.NoError(t, err)
	assert.Equal(t, uint64(6), last)
}

func testInvalidAppend(t *testing.T, f Factory) {
	j := open(t, f, 1)
	c := ctx(t)
	id, other := uuid.New(), uuid.New()
	cases := map[string]struct {
		id       uuid.UUID
		expected uint64
		recs     []journal.Record
	}{
		"no records":        {id, 0, nil},
		"nil id":            {uuid.Nil, 0, Records(uuid.Nil, 1, 1)},
		"other aggregate":   {id, 0, Records(other, 1, 1)},
		"version not next":  {id, 0, Records(id, 2, 1)},
		"no type name":      {id, 0, func() []journal.Record { r := Records(id, 1, 1); r[0].Type = ""; return r }()},
		"repeated versions": {id, 0, append(Records(id, 1, 1), Records(id, 1, 1)...)},
	}
	for name, tc := range cases {
		_, err := j.Append(c, tc.id, tc.expected, tc.recs)
		assert.ErrorIs(t, err, journal.ErrInvalidAppend, name)
	}
	head, err := j.Head(c, 0)
	require.NoError(t, err)
	assert.Zero(t, head)
}

func testRaceSameVersion(t *testing.T, f Factory) {
	j := open(t, f, 1)
	c := ctx(t)
	id := uuid.New()
	_, err := j.Append(c, id, 0, Records(id, 1, 1))
	require.NoError(t, err)
	const n = 100
	var wins, conflicts atomic.Int32
	var winner atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs := Records(id, 2, 2)
			recs[0].Data = []byte(fmt.Sprintf(`{"writer":%d}`, i))
			<-start
			_, err := j.Append(c, id, 1, recs)
			switch {
			case err == nil:
				wins.Add(1)
				winner.Store(int32(i))
			case errors.Is(err, journal.ErrVersionConflict):
				conflicts.Add(1)
			default:
				t.Errorf("writer %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(1), wins.Load(), "exactly one writer must win")
	assert.Equal(t, int32(n-1), conflicts.Load())
	got, err := j.Read(c, id, 1, 0)
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, fmt.Sprintf(`{"writer":%d}`, winner.Load()), string(got[1].Data))
	head, err := j.Head(c, 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), head)
}

func testConcurrentWriters(t *testing.T, f Factory) {
	for _, partitions := range []int{1, 4} {
		t.Run(fmt.Sprintf("P=%d", partitions), func(t *testing.T) {
			concurrentWriters(t, open(t, f, partitions), partitions)
		})
	}
}

func concurrentWriters(t *testing.T, j journal.Journal, partitions int) {
	const writers, aggregates, perAggregate = 50, 1000, 10
	c := ctx(t)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	ids := make([]uuid.UUID, aggregates)
	for i := range ids {
		ids[i] = uuid.New()
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(seed), uint64(w)))
			// Writer w owns aggregates w, w+50, ...; it appends to them in
			// random order and random batch sizes.
			versions := map[uuid.UUID]uint64{}
			var mine []uuid.UUID
			for i := w; i < aggregates; i += writers {
				mine = append(mine, ids[i])
			}
			for len(mine) > 0 {
				k := rng.IntN(len(mine))
				id := mine[k]
				v := versions[id]
				n := min(1+rng.IntN(3), perAggregate-int(v))
				if _, err := j.Append(c, id, v, Records(id, v+1, n)); err != nil {
					t.Errorf("append %s at %d: %v", id, v, err)
					return
				}
				versions[id] = v + uint64(n)
				if versions[id] == perAggregate {
					mine = append(mine[:k], mine[k+1:]...)
				}
			}
		}()
	}
	wg.Wait()
	require.False(t, t.Failed())

	type key struct {
		id uuid.UUID
		v  uint64
	}
	seen := map[key]bool{}
	total := 0
	for p := range partitions {
		var pos uint64 = 1
		for {
			batch, err := j.Select(c, p, pos, 1000)
			require.NoError(t, err)
			if len(batch) == 0 {
				break
			}
			for _, n := range batch {
				require.Equal(t, pos, n.Position, "partition %d: positions must be contiguous", p)
				require.Equal(t, p, n.Partition)
				require.Equal(t, p, journal.PartitionOf(n.AggregateID, partitions), "record in the wrong partition")
				k := key{n.AggregateID, n.Version}
				require.False(t, seen[k], "aggregate %s version %d appears twice in the log", n.AggregateID, n.Version)
				seen[k] = true
				pos++
				total++
			}
		}
		head, err := j.Head(c, p)
		require.NoError(t, err)
		assert.Equal(t, pos-1, head)
	}
	assert.Equal(t, aggregates*perAggregate, total)
	for _, id := range ids {
		recs, err := j.Read(c, id, 1, 0)
		require.NoError(t, err)
		require.Len(t, recs, perAggregate)
		for i, r := range recs {
			require.Equal(t, uint64(i+1), r.Version)
			require.Equal(t, fmt.Sprintf(`{"id":%q,"v":%d}`, id, i+1), string(r.Data))
		}
	}
}

func testSelect(t *testing.T, f Factory) {
	j := open(t, f, 1)
	c := ctx(t)
	a, b := uuid.New(), uuid.New()
	_, err := j.Append(c, a, 0, Records(a, 1, 3))
	require.NoError(t, err)
	_, err = j.Append(c, b, 0, Records(b, 1, 2))
	require.NoError(t, err)
	_, err = j.Append(c, a, 3, Records(a, 4, 1))
	require.NoError(t, err)

	all, err := j.Select(c, 0, 1, 100)
	require.NoError(t, err)
	require.Len(t, all, 6)
	wantIDs := []uuid.UUID{a, a, a, b, b, a}
	wantVersions := []uint64{1, 2, 3, 1, 2, 4}
	for i, n := range all {
		assert.Equal(t, uint64(i+1), n.Position)
		assert.Equal(t, wantIDs[i], n.AggregateID)
		assert.Equal(t, wantVersions[i], n.Version)
	}
	some, err := j.Select(c, 0, 3, 2)
	require.NoError(t, err)
	require.Len(t, some, 2)
	assert.Equal(t, uint64(3), some[0].Position)
	assert.Equal(t, uint64(4), some[1].Position)
	tail, err := j.Select(c, 0, 5, 10)
	require.NoError(t, err)
	assert.Len(t, tail, 2)
	past, err := j.Select(c, 0, 7, 10)
	require.NoError(t, err)
	assert.Empty(t, past)
	_, err = j.Select(c, 0, 1, 0)
	assert.Error(t, err, "limit 0 must be an error")
	_, err = j.Select(c, 1, 1, 10)
	assert.ErrorIs(t, err, journal.ErrPartition)
	_, err = j.Select(c, -1, 1, 10)
	assert.ErrorIs(t, err, journal.ErrPartition)
}

func testPartitions(t *testing.T, f Factory) {
	const partitions = 3
	j := open(t, f, partitions)
	c := ctx(t)
	assert.Equal(t, partitions, j.Partitions())
	counts := make([]uint64, partitions)
	for range 30 {
		id := uuid.New()
		p := journal.PartitionOf(id, partitions)
		last, err := j.Append(c, id, 0, Records(id, 1, 2))
		require.NoError(t, err)
		counts[p] += 2
		assert.Equal(t, counts[p], last, "positions count per partition")
	}
	for p := range partitions {
		head, err := j.Head(c, p)
		require.NoError(t, err)
		assert.Equal(t, counts[p], head)
	}
}

func testWait(t *testing.T, f Factory) {
	j := open(t, f, 2)
	c := ctx(t)
	var id uuid.UUID
	for id = uuid.New(); journal.PartitionOf(id, 2) != 1; id = uuid.New() {
	}
	// Nothing past 0 yet: Wait gives up when its context ends.
	short, cancel := context.WithTimeout(c, 50*time.Millisecond)
	_, err := j.Wait(short, 1, 0)
	cancel()
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	got := make(chan uint64, 1)
	waiting := make(chan struct{})
	go func() {
		close(waiting)
		head, err := j.Wait(c, 1, 0)
		assert.NoError(t, err)
		got <- head
	}()
	<-waiting
	_, err = j.Append(c, id, 0, Records(id, 1, 2))
	require.NoError(t, err)
	select {
	case head := <-got:
		assert.Equal(t, uint64(2), head)
	case <-c.Done():
		t.Fatal("Wait did not return after an append")
	}
	// Already past: returns at once.
	head, err := j.Wait(c, 1, 1)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), head)
}

// testTail checks journal.Tail: the journal's own when it is a
// journal.Tailer, otherwise Wait and Select.
func testTail(t *testing.T, f Factory) {
	j := open(t, f, 2)
	c := ctx(t)
	var id uuid.UUID
	for id = uuid.New(); journal.PartitionOf(id, 2) != 1; id = uuid.New() {
	}
	// tail tails until it gets notifications (none and no error: a
	// bounded wait passed) or an error.
	tail := func(ctx context.Context, after uint64, limit int) ([]journal.Notification, error) {
		for {
			ns, err := journal.Tail(ctx, j, 1, after, limit)
			if err != nil || len(ns) > 0 {
				return ns, err
			}
		}
	}
	// Nothing past 0 yet: Tail gives up when its context ends.
	short, cancel := context.WithTimeout(c, 50*time.Millisecond)
	_, err := tail(short, 0, 10)
	cancel()
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	type result struct {
		ns  []journal.Notification
		err error
	}
	got := make(chan result, 1)
	go func() {
		ns, err := tail(c, 0, 10)
		got <- result{ns, err}
	}()
	_, err = j.Append(c, id, 0, Records(id, 1, 3))
	require.NoError(t, err)
	var r result
	select {
	case r = <-got:
	case <-c.Done():
		t.Fatal("Tail did not return after an append")
	}
	require.NoError(t, r.err)
	require.NotEmpty(t, r.ns)
	// What it returned is the log from position 1 on, as Select has it.
	sel, err := j.Select(c, 1, 1, len(r.ns))
	require.NoError(t, err)
	assert.Equal(t, sel, r.ns)

	// Already past: returns at once, up to limit, from after+1 on.
	ns, err := tail(c, 0, 2)
	require.NoError(t, err)
	require.Len(t, ns, 2)
	assert.Equal(t, []uint64{1, 2}, []uint64{ns[0].Position, ns[1].Position})
	assert.Equal(t, []uint64{1, 2}, []uint64{ns[0].Record.Version, ns[1].Record.Version})
	ns, err = tail(c, 2, 10)
	require.NoError(t, err)
	require.Len(t, ns, 1)
	assert.Equal(t, uint64(3), ns[0].Position)
	assert.Equal(t, 1, ns[0].Partition)
	assert.Equal(t, Records(id, 3, 1)[0].Data, ns[0].Record.Data)

	// The other partition has nothing.
	short, cancel = context.WithTimeout(c, 50*time.Millisecond)
	ns, err = journal.Tail(short, j, 0, 0, 10)
	cancel()
	assert.Empty(t, ns)
	if err != nil {
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	}
	_, err = journal.Tail(c, j, 2, 0, 10)
	assert.ErrorIs(t, err, journal.ErrPartition)
}

// testTailMany checks journal.TailMany where the journal can (it
// answers errors.ErrUnsupported otherwise).
func testTailMany(t *testing.T, f Factory) {
	j := open(t, f, 3)
	c := ctx(t)
	if _, err := journal.TailMany(c, j, nil, 10); errors.Is(err, errors.ErrUnsupported) {
		_, isMulti := j.(journal.MultiTailer)
		if !isMulti {
			return // the journal does not tail several partitions at once
		}
		t.Skip("this journal's configuration does not tail several partitions at once")
	} else {
		require.NoError(t, err)
	}
	in := func(p int) uuid.UUID {
		for {
			if id := uuid.New(); journal.PartitionOf(id, 3) == p {
				return id
			}
		}
	}
	// tail tails until it gets notifications or an error.
	tail := func(ctx context.Context, cursors []journal.Cursor, limit int) ([]journal.Notification, error) {
		for {
			ns, err := journal.TailMany(ctx, j, cursors, limit)
			if err != nil || len(ns) > 0 {
				return ns, err
			}
		}
	}
	all := []journal.Cursor{{Partition: 0}, {Partition: 1}, {Partition: 2}}
	short, cancel := context.WithTimeout(c, 50*time.Millisecond)
	_, err := tail(short, all, 10)
	cancel()
	assert.ErrorIs(t, err, context.DeadlineExceeded, "nothing to read: it waits until the context ends")

	a, b, d := in(0), in(2), in(1)
	_, err = j.Append(c, a, 0, Records(a, 1, 3))
	require.NoError(t, err)
	_, err = j.Append(c, b, 0, Records(b, 1, 2))
	require.NoError(t, err)
	// Both partitions' news in one step, grouped by partition, each in
	// position order, as Select has them.
	ns, err := tail(c, all, 10)
	require.NoError(t, err)
	byPart := map[int][]journal.Notification{}
	last := -1
	for _, n := range ns {
		if n.Partition != last {
			require.Empty(t, byPart[n.Partition], "partition %d's notifications are not together", n.Partition)
			last = n.Partition
		}
		byPart[n.Partition] = append(byPart[n.Partition], n)
	}
	for p, want := range map[int]int{0: 3, 2: 2} {
		sel, err := j.Select(c, p, 1, 10)
		require.NoError(t, err)
		require.Len(t, sel, want)
		assert.Equal(t, sel, byPart[p], "partition %d", p)
	}
	assert.Empty(t, byPart[1])

	// Up to limit per partition, from each cursor on.
	ns, err = tail(c, []journal.Cursor{{Partition: 0, After: 1}, {Partition: 2, After: 2}}, 1)
	require.NoError(t, err)
	require.Len(t, ns, 1)
	assert.Equal(t, 0, ns[0].Partition)
	assert.Equal(t, uint64(2), ns[0].Position)

	// Blocked, then woken by an append to any of its partitions.
	got := make(chan []journal.Notification, 1)
	go func() {
		ns, err := tail(c, []journal.Cursor{{Partition: 0, After: 3}, {Partition: 1}, {Partition: 2, After: 2}}, 10)
		assert.NoError(t, err)
		got <- ns
	}()
	_, err = j.Append(c, d, 0, Records(d, 1, 1))
	require.NoError(t, err)
	select {
	case ns = <-got:
	case <-c.Done():
		t.Fatal("TailMany did not return after an append")
	}
	require.Len(t, ns, 1)
	assert.Equal(t, 1, ns[0].Partition)
	assert.Equal(t, d, ns[0].Record.AggregateID)

	_, err = journal.TailMany(c, j, []journal.Cursor{{Partition: 3}}, 10)
	assert.ErrorIs(t, err, journal.ErrPartition)
	_, err = journal.TailMany(c, j, []journal.Cursor{{Partition: 1}, {Partition: 1}}, 10)
	assert.Error(t, err, "a partition twice")
}

func testCancelledContext(t *testing.T, f Factory) {
	j := open(t, f, 1)
	c, cancel := context.WithCancel(context.Background())
	cancel()
	id := uuid.New()
	_, err := j.Append(c, id, 0, Records(id, 1, 2))
	require.ErrorIs(t, err, context.Canceled)
	recs, err := j.Read(ctx(t), id, 1, 0)
	require.NoError(t, err)
	assert.Empty(t, recs, "a cancelled append wrote records")
	head, err := j.Head(ctx(t), 0)
	require.NoError(t, err)
	assert.Zero(t, head)
}

func testClose(t *testing.T, f Factory) {
	j := f(t, 1)
	id := uuid.New()
	_, err := j.Append(ctx(t), id, 0, Records(id, 1, 1))
	require.NoError(t, err)
	require.NoError(t, j.Close())
	require.NoError(t, j.Close(), "Close must be safe to call twice")
	_, err = j.Append(ctx(t), id, 1, Records(id, 2, 1))
	assert.ErrorIs(t, err, journal.ErrClosed)
}
