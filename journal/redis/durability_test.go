package redis_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/redis"
)

// attempt is one append a writer made: acknowledged, or with an unknown
// outcome (the server died under it).
type attempt struct {
	id       uuid.UUID
	expected uint64
	n        int
	tag      string // in every record's data: which append wrote it
	acked    bool
}

// TestKill9DuringLoad kills redis-server (appendonly yes, appendfsync
// always) with SIGKILL at five points under the load of 50 writers,
// restarts it from its AOF, and checks after each restart that every
// acknowledged append is there exactly once, no append is half there, the
// log's positions and every aggregate's versions are contiguous.
func TestKill9DuringLoad(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FACTUM_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err)
		seed = n
	}
	t.Logf("seed %d (replay the kill points with FACTUM_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	srv := redistest.StartServer(t, redistest.Options{AOF: true, Fsync: "always"})
	ctx := context.Background()
	cfg := redis.Config{URL: srv.URL(), DialTimeout: time.Second, ReadTimeout: 2 * time.Second}
	var all []attempt
	for round := range 5 {
		killAt := 200 + rng.IntN(1500)
		t.Logf("round %d: kill -9 after %d acknowledged appends", round, killAt)
		j, err := redis.New(ctx, cfg)
		require.NoError(t, err)
		all = append(all, loadUntilKilled(t, j, srv, killAt, seed+uint64(round))...)
		require.NoError(t, j.Close())
		srv.Restart()
		j, err = redis.New(ctx, cfg)
		require.NoError(t, err)
		checkDurable(t, j, all)
		require.NoError(t, j.Close())
	}
}

// loadUntilKilled runs 50 writers on fresh aggregates; after killAt
// acknowledged appends it kills the server; each writer stops at its first
// error, which must be ErrOutcomeUnknown or ErrUnavailable.
func loadUntilKilled(t *testing.T, j journal.Journal, srv *redistest.Server, killAt int, seed uint64) []attempt {
	const writers, perWriter = 50, 20
	ctx := context.Background()
	var acks atomic.Int64
	killed := make(chan struct{}) // closed just before the kill
	var killOnce sync.Once
	var mu sync.Mutex
	var out []attempt
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			ids := make([]uuid.UUID, perWriter)
			versions := make([]uint64, perWriter)
			for i := range ids {
				ids[i] = uuid.New()
			}
			for k := 0; ; k++ {
				i := rng.IntN(perWriter)
				a := attempt{id: ids[i], expected: versions[i], n: 1 + rng.IntN(3), tag: fmt.Sprintf("w%d-%d", w, k)}
				recs := make([]journal.Record, a.n)
				for r := range recs {
					recs[r] = journal.Record{AggregateID: a.id, Version: a.expected + uint64(r) + 1, Type: "test.Event",
						Data: []byte(a.tag)}
				}
				_, err := j.Append(ctx, a.id, a.expected, recs)
				if err != nil && !errors.Is(err, journal.ErrOutcomeUnknown) && !errors.Is(err, journal.ErrUnavailable) {
					t.Errorf("writer %d: append: %v", w, err)
				}
				a.acked = err == nil
				mu.Lock()
				out = append(out, a)
				mu.Unlock()
				if err != nil {
					select {
					case <-killed:
					default:
						t.Errorf("writer %d: error before the kill: %v", w, err)
					}
					return
				}
				versions[i] += uint64(a.n)
				if acks.Add(1) == int64(killAt) {
					killOnce.Do(func() { close(killed); srv.Kill9() })
				}
			}
		}()
	}
	wg.Wait()
	require.False(t, t.Failed())
	return out
}

func checkDurable(t *testing.T, j journal.Journal, attempts []attempt) {
	ctx := context.Background()
	type key struct {
		id uuid.UUID
		v  uint64
	}
	// The log: contiguous positions, each (aggregate, version) once.
	inLog := map[key]bool{}
	var pos uint64 = 1
	for {
		batch, err := j.Select(ctx, 0, pos, 1000)
		require.NoError(t, err)
		if len(batch) == 0 {
			break
		}
		for _, n := range batch {
			require.Equal(t, pos, n.Position, "log positions must be contiguous")
			k := key{n.AggregateID, n.Version}
			require.False(t, inLog[k], "aggregate %s version %d twice in the log", n.AggregateID, n.Version)
			inLog[k] = true
			pos++
		}
	}
	head, err := j.Head(ctx, 0)
	require.NoError(t, err)
	require.Equal(t, pos-1, head, "head")
	// Every aggregate: contiguous versions; every append all there or not
	// at all; every acknowledged append there.
	byID := map[uuid.UUID][]attempt{}
	for _, a := range attempts {
		byID[a.id] = append(byID[a.id], a)
	}
	total := 0
	for id, as := range byID {
		recs, err := j.Read(ctx, id, 1, 0)
		require.NoError(t, err)
		total += len(recs)
		count := map[string]int{}
		for i, r := range recs {
			require.Equal(t, uint64(i+1), r.Version, "aggregate %s versions must be contiguous", id)
			require.True(t, inLog[key{id, r.Version}], "aggregate %s version %d not in the log", id, r.Version)
			count[string(r.Data)]++
		}
		for _, a := range as {
			switch c := count[a.tag]; {
			case c == 0 && a.acked:
				t.Fatalf("acknowledged append %s to %s at %d is lost", a.tag, id, a.expected)
			case c != 0 && c != a.n:
				t.Fatalf("append %s to %s at %d is half there: %d of %d records", a.tag, id, a.expected, c, a.n)
			}
		}
	}
	require.Equal(t, len(inLog), total, "the log and the aggregates hold the same events")
}

// TestRestartWhileWriting restarts Redis under running writers: they see
// errors during the outage and succeed again afterwards, with the same
// journal.
func TestRestartWhileWriting(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{AOF: true, Fsync: "always"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	j, err := redis.New(ctx, redis.Config{URL: srv.URL(), DialTimeout: 500 * time.Millisecond, ReadTimeout: time.Second})
	require.NoError(t, err)
	defer j.Close()
	var acks, failures atomic.Int64
	var wg sync.WaitGroup
	for w := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := uuid.New()
			var v uint64
			for ctx.Err() == nil {
				_, err := j.Append(ctx, id, v, []journal.Record{{AggregateID: id, Version: v + 1, Type: "test.Event", Data: []byte("x")}})
				switch {
				case err == nil:
					v++
					acks.Add(1)
					continue
				case ctx.Err() != nil:
					return
				case errors.Is(err, journal.ErrUnavailable), errors.Is(err, journal.ErrOutcomeUnknown):
					failures.Add(1)
				default:
					t.Errorf("writer %d: %v", w, err)
					return
				}
				// Outage: back off, then learn the version (the outcome may
				// be unknown) before appending again.
				for ctx.Err() == nil {
					select {
					case <-time.After(20 * time.Millisecond): // retry backoff, not synchronisation
					case <-ctx.Done():
						return
					}
					recs, err := j.Read(ctx, id, 1, 0)
					if err == nil {
						v = uint64(len(recs))
						break
					}
				}
			}
		}()
	}
	require.Eventually(t, func() bool { return acks.Load() >= 500 }, 30*time.Second, 5*time.Millisecond)
	srv.Kill9()
	require.Eventually(t, func() bool { return failures.Load() >= 20 }, 30*time.Second, 5*time.Millisecond,
		"writers see errors while Redis is down")
	srv.Restart()
	after := acks.Load()
	require.Eventually(t, func() bool { return acks.Load() >= after+500 }, 30*time.Second, 5*time.Millisecond,
		"writers succeed again after the restart")
	cancel()
	wg.Wait()
}
