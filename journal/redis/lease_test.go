package redis_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/journaltest"
	"github.com/factum-dev/factum/journal/redis"
)

// fence is a Fence whose tokens the test sets.
type fence struct {
	mu     sync.Mutex
	tokens map[int]string
}

func (f *fence) Token(p int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokens[p]
}

func (f *fence) set(p int, tok string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tokens == nil {
		f.tokens = map[int]string{}
	}
	f.tokens[p] = tok
}

func openFenced(t *testing.T, url, prefix string, partitions int, f *fence) *redis.Journal {
	t.Helper()
	cfg := redis.Config{URL: url, Partitions: partitions, KeyPrefix: prefix}
	if f != nil {
		cfg.Fence = f
	}
	j, err := redis.New(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = j.Close() })
	return j
}

func rec(id uuid.UUID, v uint64) journal.Record {
	return journal.Record{AggregateID: id, Version: v, Type: "t", Data: []byte("x"), Time: time.Unix(1, 0)}
}

func TestLeaseAcquireRenewExpireSteal(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	ctx := context.Background()
	j := openFenced(t, srv.URL(), "lease1:", 2, nil)

	a, err := j.Acquire(ctx, 0, "node-a", 3*time.Second)
	require.NoError(t, err)
	require.Equal(t, uint64(1), a.Epoch)
	require.Equal(t, "1/node-a", a.Token)

	held, err := j.Acquire(ctx, 0, "node-b", 3*time.Second)
	require.ErrorIs(t, err, redis.ErrLeaseHeld)
	require.Equal(t, "node-a", held.Holder)
	_, err = j.Acquire(ctx, 0, "node-a", 3*time.Second)
	require.ErrorIs(t, err, redis.ErrLeaseHeld, "a holder renews; it does not acquire twice")

	// The other partition is free, with its own epochs.
	b1, err := j.Acquire(ctx, 1, "node-b", 3*time.Second)
	require.NoError(t, err)
	require.Equal(t, uint64(1), b1.Epoch)

	require.NoError(t, j.Renew(ctx, a, 100*time.Millisecond))
	// Once the shortened lease expires, node-b takes it with a new epoch.
	var b redis.Lease
	require.Eventually(t, func() bool {
		b, err = j.Acquire(ctx, 0, "node-b", 3*time.Second)
		return err == nil
	}, 3*time.Second, 10*time.Millisecond)
	require.Equal(t, uint64(2), b.Epoch)
	require.ErrorIs(t, j.Renew(ctx, a, time.Second), redis.ErrLeaseLost)
	errs := j.RenewAll(ctx, []redis.Lease{a, b, b1}, 3*time.Second)
	require.ErrorIs(t, errs[0], redis.ErrLeaseLost)
	require.NoError(t, errs[1])
	require.NoError(t, errs[2])

	// A stale release does nothing; the holder's frees the partition.
	require.NoError(t, j.Release(ctx, a))
	ls, err := j.Leases(ctx)
	require.NoError(t, err)
	require.Equal(t, []redis.Lease{b, b1}, ls)
	require.NoError(t, j.Release(ctx, b))
	ls, err = j.Leases(ctx)
	require.NoError(t, err)
	require.Equal(t, redis.Lease{Partition: 0}, ls[0])

	// Epochs never go back, even after a release.
	c, err := j.Acquire(ctx, 0, "node-a", 3*time.Second)
	require.NoError(t, err)
	require.Equal(t, uint64(3), c.Epoch)

	_, err = j.Acquire(ctx, 0, "bad/name", time.Second)
	require.ErrorIs(t, err, redis.ErrConfig)
	_, err = j.Acquire(ctx, 2, "node-a", time.Second)
	require.ErrorIs(t, err, journal.ErrPartition)
}

func TestFencedAppend(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	ctx := context.Background()
	fa, fb := &fence{}, &fence{}
	ja := openFenced(t, srv.URL(), "fence1:", 1, fa)
	jb := openFenced(t, srv.URL(), "fence1:", 1, fb)
	id := uuid.New()

	// No lease held: refused before it is sent.
	_, err := ja.Append(ctx, id, 0, []journal.Record{rec(id, 1)})
	require.ErrorIs(t, err, journal.ErrFenced)

	a, err := ja.Acquire(ctx, 0, "a", 3*time.Second)
	require.NoError(t, err)
	fa.set(0, a.Token)
	_, err = ja.Append(ctx, id, 0, []journal.Record{rec(id, 1)})
	require.NoError(t, err)

	// b steals the partition after a's lease is gone; a's token is stale.
	require.NoError(t, ja.Release(ctx, a))
	b, err := jb.Acquire(ctx, 0, "b", 3*time.Second)
	require.NoError(t, err)
	fb.set(0, b.Token)
	_, err = ja.Append(ctx, id, 1, []journal.Record{rec(id, 2)})
	require.ErrorIs(t, err, journal.ErrFenced)
	require.NotErrorIs(t, err, journal.ErrOutcomeUnknown)
	head, err := ja.Head(ctx, 0)
	require.NoError(t, err)
	require.Equal(t, uint64(1), head, "a fenced append writes nothing")
	got, err := ja.Read(ctx, id, 0, 0)
	require.NoError(t, err)
	require.Len(t, got, 1)

	// The new holder writes; a stale one in the same batch as others is
	// refused on its own (its token makes its own call).
	_, err = jb.Append(ctx, id, 1, []journal.Record{rec(id, 2)})
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			other := uuid.New()
			if i%2 == 0 {
				_, errs[i] = ja.Append(ctx, other, 0, []journal.Record{rec(other, 1)})
			} else {
				_, errs[i] = jb.Append(ctx, other, 0, []journal.Record{rec(other, 1)})
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i%2 == 0 {
			require.ErrorIs(t, err, journal.ErrFenced, "append %d", i)
		} else {
			require.NoError(t, err, "append %d", i)
		}
	}
	head, err = jb.Head(ctx, 0)
	require.NoError(t, err)
	require.Equal(t, uint64(12), head)

	// An expired lease fences its own holder too.
	require.NoError(t, jb.Renew(ctx, b, 50*time.Millisecond))
	require.Eventually(t, func() bool {
		fresh := uuid.New()
		_, err = jb.Append(ctx, fresh, 0, []journal.Record{rec(fresh, 1)})
		return err != nil
	}, 3*time.Second, 10*time.Millisecond)
	require.ErrorIs(t, err, journal.ErrFenced)
}

// TestConformanceFenced runs the journal suite on a fenced journal that
// holds every partition's lease.
func TestConformanceFenced(t *testing.T) {
	if testing.Short() {
		t.Skip("TestFencedAppend covers the fenced script")
	}
	srv := redistest.StartServer(t, redistest.Options{})
	journaltest.Run(t, func(t testing.TB, partitions int) journal.Journal {
		f := &fence{}
		j, err := redis.New(context.Background(), redis.Config{URL: srv.URL(), Partitions: partitions,
			KeyPrefix: fmt.Sprintf("f%d:", prefixes.Add(1)), Fence: f})
		require.NoError(t, err)
		for p := range partitions {
			l, err := j.Acquire(context.Background(), p, "only", time.Hour)
			require.NoError(t, err)
			f.set(p, l.Token)
		}
		return j
	})
}

// An append to several aggregates checks the lease of every partition it
// touches before it writes anything.
func TestFencedAppendMany(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	ctx := context.Background()
	fa, fb := &fence{}, &fence{}
	ja := openFenced(t, srv.URL(), "fence2:", 2, fa)
	jb := openFenced(t, srv.URL(), "fence2:", 2, fb)
	a0, a1 := journaltest.IDIn(0, 2), journaltest.IDIn(1, 2)
	streams := func(v uint64) []journal.Stream {
		return []journal.Stream{{AggregateID: a0, Expected: v, Records: []journal.Record{rec(a0, v+1)}},
			{AggregateID: a1, Expected: v, Records: []journal.Record{rec(a1, v+1)}}}
	}
	var leases [2]redis.Lease
	for p := range 2 {
		l, err := ja.Acquire(ctx, p, "a", 3*time.Second)
		require.NoError(t, err)
		fa.set(p, l.Token)
		leases[p] = l
	}
	last, err := ja.AppendMany(ctx, streams(0))
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 1}, last)

	// a loses partition 1 to b: its append to both is refused whole.
	require.NoError(t, ja.Release(ctx, leases[1]))
	b, err := jb.Acquire(ctx, 1, "b", 3*time.Second)
	require.NoError(t, err)
	fb.set(1, b.Token)
	_, err = ja.AppendMany(ctx, streams(1))
	require.ErrorIs(t, err, journal.ErrFenced)
	require.NotErrorIs(t, err, journal.ErrOutcomeUnknown)
	for p := range 2 {
		head, err := ja.Head(ctx, p)
		require.NoError(t, err)
		require.EqualValues(t, 1, head, "partition %d: a fenced append wrote", p)
	}
}

// Appends to several partitions that go out together (one pipeline of
// script calls) are checked per partition: the writer that lost one
// partition's lease gets ErrFenced for that partition's appends only, and
// the others are written.
func TestFencedPartitionInABatch(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	ctx := context.Background()
	fa, fb := &fence{}, &fence{}
	ja := openFenced(t, srv.URL(), "fence3:", 4, fa)
	jb := openFenced(t, srv.URL(), "fence3:", 4, fb)
	for p := range 4 {
		l, err := ja.Acquire(ctx, p, "a", time.Minute)
		require.NoError(t, err)
		fa.set(p, l.Token)
	}
	// b takes partition 1 (a's lease there is released, as after a
	// handover); a still believes it holds it.
	b, err := jb.Acquire(ctx, 1, "b", time.Minute)
	require.Error(t, err, "a holds partition 1")
	require.NoError(t, ja.Release(ctx, redis.Lease{Partition: 1, Token: fa.Token(1)}))
	b, err = jb.Acquire(ctx, 1, "b", time.Minute)
	require.NoError(t, err)
	fb.set(1, b.Token)

	const n = 400
	ids := make([]uuid.UUID, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		ids[i] = journaltest.IDIn(i%4, 4)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = ja.Append(ctx, ids[i], 0, []journal.Record{rec(ids[i], 1)})
		}()
	}
	wg.Wait()
	written := map[int]uint64{}
	for i, err := range errs {
		p := i % 4
		if p == 1 {
			require.ErrorIs(t, err, journal.ErrFenced, "append %d", i)
			require.NotErrorIs(t, err, journal.ErrOutcomeUnknown)
			continue
		}
		require.NoError(t, err, "append %d to partition %d", i, p)
		written[p]++
	}
	for p := range 4 {
		head, err := ja.Head(ctx, p)
		require.NoError(t, err)
		require.Equal(t, written[p], head, "partition %d", p)
	}
}
