package actors_test

import (
	"context"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/inmem"
	"github.com/factum-dev/factum/journal"
	jmemory "github.com/factum-dev/factum/journal/memory"
	"github.com/factum-dev/factum/metrics"
)

// BenchmarkCommandsMetrics is BenchmarkCommands with the Prometheus
// metrics on (the system's observer and the journal decorator), and
// BenchmarkCommandsNoMetrics the same set-up with them off: compare the
// two from one run for the cost of the metrics, e.g.
//
//	go test -run '^$' -bench 'Commands(No)?Metrics$' -count 5 ./actors/
func BenchmarkCommandsMetrics(b *testing.B) { benchCommandsMetrics(b, true) }

// BenchmarkCommandsNoMetrics is BenchmarkCommandsMetrics without metrics.
func BenchmarkCommandsNoMetrics(b *testing.B) { benchCommandsMetrics(b, false) }

func benchCommandsMetrics(b *testing.B, on bool) {
	reg := domain.NewRegistry()
	registerCounterEvents(reg)
	mem, err := jmemory.New(jmemory.Config{})
	require.NoError(b, err)
	var j journal.Journal = mem
	cfg := actors.SystemConfig{}
	var m *metrics.Metrics
	if on {
		m, err = metrics.New(prometheus.NewRegistry())
		require.NoError(b, err)
		j, cfg.Observer = m.Journal(mem), m.Observer()
	}
	cfg.App, err = inmem.NewApplication(app.Config{Registry: reg, Journal: j, Owned: []io.Closer{mem}})
	require.NoError(b, err)
	sys, err := actors.NewSystem(cfg)
	require.NoError(b, err)
	b.Cleanup(func() { _ = sys.Close() })
	if m != nil {
		m.Watch(sys)
	}
	require.NoError(b, actors.Register(sys, counterAggregate()))
	ids := make([]uuid.UUID, 10_000)
	ctx := context.Background()
	for i := range ids {
		ids[i] = uuid.New()
		_, err := actors.Send(ctx, sys, counterType, ids[i], Open{})
		require.NoError(b, err)
	}
	b.SetParallelism(512)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
		for pb.Next() {
			if _, err := actors.Send(ctx, sys, counterType, ids[r.IntN(len(ids))], Add{By: 1}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRates(b, cpu)
}
