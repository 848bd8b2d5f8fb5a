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
	jmemory "github.com/factum-dev/factum/journal/memory"
	"github.com/factum-dev/factum/metrics"
)

// BenchmarkCommandsMetrics is BenchmarkCommands with the Prometheus
// metrics on (the system's observer and the journal decorator): compare
// the two from one run for the cost of the metrics, e.g.
//
//	go test -run '^$' -bench 'Commands(Metrics)?$' -count 3 ./actors/
func BenchmarkCommandsMetrics(b *testing.B) {
	m, err := metrics.New(prometheus.NewRegistry())
	require.NoError(b, err)
	reg := domain.NewRegistry()
	registerCounterEvents(reg)
	j, err := jmemory.New(jmemory.Config{})
	require.NoError(b, err)
	a, err := inmem.NewApplication(app.Config{Registry: reg, Journal: m.Journal(j), Owned: []io.Closer{j}})
	require.NoError(b, err)
	sys, err := actors.NewSystem(actors.SystemConfig{App: a, Observer: m.Observer()})
	require.NoError(b, err)
	b.Cleanup(func() { _ = sys.Close() })
	m.Watch(sys)
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
