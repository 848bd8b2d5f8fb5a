package actors_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/journal/journaltest"
	jredis "github.com/factum-dev/factum/journal/redis"
)

// BenchmarkRedisActorsVsJournal measures, in one run and against one
// redis-server (AOF off), the Redis journal's own append rate and the rate
// of commands through aggregate actors on it, at the same number of
// aggregates and callers, one event per append or command. The ratio of
// actors/events-per-s to journal/events-per-s is the actor layer's cost.
func BenchmarkRedisActorsVsJournal(b *testing.B) {
	srv := redistest.StartServer(b, redistest.Options{})
	for _, n := range []int{1000, 10_000} {
		cfg := journaltest.BenchConfig{Aggregates: n, Concurrency: n, Payload: 200}
		name := fmt.Sprintf("aggregates=%d", n)
		b.Run(name+"/journal", func(b *testing.B) {
			j := openRedisJournal(b, srv)
			journaltest.BenchAppend(b, j, cfg)
		})
		b.Run(name+"/actors", func(b *testing.B) {
			benchActorsOn(b, openRedisJournal(b, srv), cfg)
		})
	}
}

func openRedisJournal(b *testing.B, srv *redistest.Server) *jredis.Journal {
	// Each sub-benchmark gets its own key prefix: a fresh, empty journal.
	j, err := jredis.New(context.Background(), jredis.Config{URL: srv.URL(), KeyPrefix: "b" + uuid.NewString()[:8] + ":"})
	require.NoError(b, err)
	b.Cleanup(func() { _ = j.Close() })
	return j
}

// benchActorsOn sends Add commands through actors on journal j, each
// caller to aggregates of its own, like journaltest.BenchAppend does.
func benchActorsOn(b *testing.B, j *jredis.Journal, cfg journaltest.BenchConfig) {
	reg := domain.NewRegistry()
	registerCounterEvents(reg)
	app, err := actors.NewApplication(actors.Config{Registry: reg, Journal: j})
	require.NoError(b, err)
	sys, err := actors.NewSystem(actors.SystemConfig{App: app})
	require.NoError(b, err)
	b.Cleanup(func() { _ = sys.Close() })
	require.NoError(b, actors.Register(sys, counterAggregate()))

	procs := runtime.GOMAXPROCS(0)
	parallelism := (cfg.Concurrency + procs - 1) / procs
	goroutines := parallelism * procs
	ids := make([]uuid.UUID, max(cfg.Aggregates, goroutines))
	for i := range ids {
		ids[i] = uuid.New()
	}
	ctx := context.Background()
	// Open every counter first, in parallel, outside the timing.
	var wg sync.WaitGroup
	for w := range 256 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(ids); i += 256 {
				if _, err := actors.Send(ctx, sys, counterType, ids[i], Open{}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		g := int(next.Add(1) - 1)
		var mine []uuid.UUID
		for i := g % goroutines; i < len(ids); i += goroutines {
			mine = append(mine, ids[i])
		}
		local := make([]time.Duration, 0, 1024)
		for k := 0; pb.Next(); k++ {
			t0 := time.Now()
			if _, err := actors.Send(ctx, sys, counterType, mine[k%len(mine)], Add{By: 1}); err != nil {
				b.Error(err)
				return
			}
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if len(lat) > 0 {
		slices.Sort(lat)
		q := func(p float64) float64 {
			return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
		}
		b.ReportMetric(q(0.50), "p50-ms")
		b.ReportMetric(q(0.99), "p99-ms")
	}
}
