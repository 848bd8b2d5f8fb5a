package actors_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/inmem"
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
// caller to counters of its own, driven as journaltest.BenchAppend drives
// the journal. The counters are opened (and their actors activated)
// before the timing starts.
func benchActorsOn(b *testing.B, j *jredis.Journal, cfg journaltest.BenchConfig) {
	reg := domain.NewRegistry()
	registerCounterEvents(reg)
	app, err := inmem.NewApplication(app.Config{Registry: reg, Journal: j})
	require.NoError(b, err)
	sys, err := actors.NewSystem(actors.SystemConfig{App: app})
	require.NoError(b, err)
	b.Cleanup(func() { _ = sys.Close() })
	require.NoError(b, actors.Register(sys, counterAggregate()))
	ctx := context.Background()
	ids := journaltest.NewIDs(max(cfg.Aggregates, cfg.Concurrency, runtime.GOMAXPROCS(0)))
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
	journaltest.Drive(b, ids, cfg.Concurrency, func() func(uuid.UUID, int) error {
		return func(id uuid.UUID, _ int) error {
			_, err := actors.Send(ctx, sys, counterType, id, Add{By: 1})
			return err
		}
	}, 1)
}
