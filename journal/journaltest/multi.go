package journaltest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/journal"
)

// IDIn returns a new aggregate id in partition p of partitions.
func IDIn(p, partitions int) uuid.UUID {
	for {
		if id := uuid.New(); journal.PartitionOf(id, partitions) == p {
			return id
		}
	}
}

func multi(t testing.TB, j journal.Journal) journal.MultiAppender {
	m, ok := j.(journal.MultiAppender)
	require.True(t, ok, "%T is no journal.MultiAppender: every journal appends to several aggregates at once, or refuses clearly", j)
	return m
}

func heads(t testing.TB, j journal.Journal) []uint64 {
	out := make([]uint64, j.Partitions())
	for p := range out {
		h, err := j.Head(ctx(t), p)
		require.NoError(t, err)
		out[p] = h
	}
	return out
}

func versionOf(t testing.TB, j journal.Journal, id uuid.UUID) int {
	recs, err := j.Read(ctx(t), id, 1, 0)
	require.NoError(t, err)
	return len(recs)
}

// testAppendMany: several aggregates of one partition always go in at
// once, all or nothing; across partitions too, unless the journal says it
// refuses them (then nothing is written either).
func testAppendMany(t *testing.T, f Factory, features Features) {
	t.Run("OnePartition", func(t *testing.T) {
		j := open(t, f, 1)
		m := multi(t, j)
		c := ctx(t)
		a, b := uuid.New(), uuid.New()
		last, err := m.AppendMany(c, []journal.Stream{
			{AggregateID: a, Expected: 0, Records: Records(a, 1, 2)},
			{AggregateID: b, Expected: 0, Records: Records(b, 1, 3)},
		})
		require.NoError(t, err)
		assert.Equal(t, []uint64{2, 5}, last)
		assert.Equal(t, 2, versionOf(t, j, a))
		assert.Equal(t, 3, versionOf(t, j, b))

		// b is stale: neither is written, no position is used.
		_, err = m.AppendMany(c, []journal.Stream{
			{AggregateID: a, Expected: 2, Records: Records(a, 3, 1)},
			{AggregateID: b, Expected: 1, Records: Records(b, 2, 1)},
		})
		require.ErrorIs(t, err, journal.ErrVersionConflict)
		var ce *journal.ConflictError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, b, ce.AggregateID)
		assert.EqualValues(t, 1, ce.Expected)
		assert.Equal(t, 2, versionOf(t, j, a), "a conflict of one aggregate wrote another's records")
		assert.Equal(t, []uint64{5}, heads(t, j), "a conflicting append used log positions")

		_, err = m.AppendMany(c, []journal.Stream{
			{AggregateID: a, Expected: 2, Records: Records(a, 3, 1)},
			{AggregateID: a, Expected: 3, Records: Records(a, 4, 1)},
		})
		require.ErrorIs(t, err, journal.ErrInvalidAppend, "one aggregate twice")
		_, err = m.AppendMany(c, nil)
		require.ErrorIs(t, err, journal.ErrInvalidAppend, "no streams")
		assert.Equal(t, []uint64{5}, heads(t, j))

		last, err = m.AppendMany(c, []journal.Stream{{AggregateID: b, Expected: 3, Records: Records(b, 4, 1)}})
		require.NoError(t, err)
		assert.Equal(t, []uint64{6}, last)
		got, err := j.Read(c, b, 4, 4)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assertSameRecord(t, Records(b, 4, 1)[0], got[0], features)
	})
	t.Run("AcrossPartitions", func(t *testing.T) {
		const partitions = 4
		j := open(t, f, partitions)
		m := multi(t, j)
		c := ctx(t)
		a, b := IDIn(1, partitions), IDIn(3, partitions)
		streams := []journal.Stream{
			{AggregateID: a, Expected: 0, Records: Records(a, 1, 1)},
			{AggregateID: b, Expected: 0, Records: Records(b, 1, 2)},
		}
		last, err := m.AppendMany(c, streams)
		if features.AppendManyOnePartition {
			require.ErrorIs(t, err, journal.ErrCrossPartition)
			var cp *journal.CrossPartitionError
			require.ErrorAs(t, err, &cp)
			assert.Equal(t, []int{1, 3}, cp.Partitions)
			assert.Equal(t, []uint64{0, 0, 0, 0}, heads(t, j), "a refused append wrote something")
			assert.Zero(t, versionOf(t, j, a))
			return
		}
		require.NoError(t, err)
		assert.Equal(t, []uint64{1, 2}, last)
		assert.Equal(t, []uint64{0, 1, 0, 2}, heads(t, j))
		// A conflict in partition 3 writes nothing in partition 1.
		_, err = m.AppendMany(c, []journal.Stream{
			{AggregateID: a, Expected: 1, Records: Records(a, 2, 1)},
			{AggregateID: b, Expected: 0, Records: Records(b, 1, 1)},
		})
		require.ErrorIs(t, err, journal.ErrVersionConflict)
		assert.Equal(t, []uint64{0, 1, 0, 2}, heads(t, j))
		assert.Equal(t, 1, versionOf(t, j, a))
	})
}

// testAppendManyRace: writers race to append to the same two aggregates
// at the same versions; exactly one wins, and both aggregates hold its
// records (never one writer's a with another's b).
func testAppendManyRace(t *testing.T, f Factory) {
	j := open(t, f, 1)
	m := multi(t, j)
	c := ctx(t)
	a, b := uuid.New(), uuid.New()
	const writers = 20
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ra, rb := Records(a, 1, 1), Records(b, 1, 1)
			ra[0].Data = []byte(fmt.Sprintf(`{"writer":%d}`, w))
			rb[0].Data = ra[0].Data
			<-start
			_, err := m.AppendMany(c, []journal.Stream{{AggregateID: a, Records: ra}, {AggregateID: b, Records: rb}})
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, journal.ErrVersionConflict):
				t.Errorf("writer %d: %v", w, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	assert.EqualValues(t, 1, wins.Load(), "exactly one writer must win")
	ga, err := j.Read(c, a, 1, 0)
	require.NoError(t, err)
	gb, err := j.Read(c, b, 1, 0)
	require.NoError(t, err)
	require.Len(t, ga, 1)
	require.Len(t, gb, 1)
	assert.Equal(t, string(ga[0].Data), string(gb[0].Data), "both aggregates hold the winner's records")
	assert.Equal(t, []uint64{2}, heads(t, j))
}
