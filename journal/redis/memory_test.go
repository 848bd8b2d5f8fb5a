package redis_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/redis"
)

// TestMemoryPerEvent appends events of 200-byte payloads to many
// aggregates, one event per append, and checks Redis's used_memory delta
// per event, all-in (log, position lists, keys). It uses 10k aggregates;
// FACTUM_REDIS_MEMORY_AGGREGATES=100000 runs the full-size measurement.
func TestMemoryPerEvent(t *testing.T) {
	aggregates := 10_000
	if s := os.Getenv("FACTUM_REDIS_MEMORY_AGGREGATES"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(t, err)
		aggregates = n
	} else if testing.Short() {
		aggregates = 1000
	}
	const perAggregate, payload = 10, 200
	srv := redistest.StartServer(t, redistest.Options{})
	ctx := context.Background()
	j, err := redis.New(ctx, redis.Config{URL: srv.URL()})
	require.NoError(t, err)
	defer j.Close()
	rc := srv.Client()
	used := func() int64 {
		info, err := rc.Info(ctx, "memory").Result()
		require.NoError(t, err)
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				require.NoError(t, err)
				return n
			}
		}
		t.Fatal("no used_memory in INFO memory")
		return 0
	}
	before := used()
	ids := make([]uuid.UUID, aggregates)
	for i := range ids {
		ids[i] = uuid.New()
	}
	data := []byte(strings.Repeat("x", payload))
	const workers = 64
	for v := uint64(1); v <= perAggregate; v++ {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(ids); i += workers {
					rec := journal.Record{AggregateID: ids[i], Version: v, Type: "bench.Event",
						Time: time.Now(), Data: data}
					if _, err := j.Append(ctx, ids[i], v-1, []journal.Record{rec}); err != nil {
						t.Errorf("append %s version %d: %v", ids[i], v, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		require.False(t, t.Failed())
	}
	delta := used() - before
	events := aggregates * perAggregate
	perEvent := float64(delta) / float64(events)
	t.Logf("%d aggregates x %d events of %d bytes: used_memory delta %d bytes = %.1f bytes/event",
		aggregates, perAggregate, payload, delta, perEvent)
	require.LessOrEqual(t, perEvent, 350.0, "bytes per event, all-in")
}
