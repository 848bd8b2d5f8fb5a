package actors_test

import (
	"context"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

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
	sys, ids := metricsSystem(b, on)
	sendRandomly(b, sys, ids)
}

// BenchmarkMetricsOverhead measures the cost of the metrics in one
// process: a system with metrics and one without (each as in
// BenchmarkCommandsMetrics) take turns, in rounds of 100,000 commands
// from 1,024 callers, the order swapped every round, so that what else
// the machine does and the heap's state weigh on both alike. It reports
// the median over the rounds of the ratio of the two's CPU time per
// command (cpu-overhead-%) and of their commands/s (rate-change-%); b.N
// is the number of rounds (at least 2; -benchtime 20x is a good run).
func BenchmarkMetricsOverhead(b *testing.B) {
	const callers, perRound = 1024, 100_000
	var systems [2]*actors.System // off, on
	var ids [2][]uuid.UUID
	for i := range systems {
		systems[i], ids[i] = metricsSystem(b, i == 1)
	}
	ctx := context.Background()
	// round runs perRound commands on system i and returns their wall
	// and CPU time.
	round := func(i int) (wall, cpu time.Duration) {
		var wg sync.WaitGroup
		start, cpu0 := time.Now(), cpuTime()
		for c := range callers {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(c), uint64(i)))
				for range perRound / callers {
					if _, err := actors.Send(ctx, systems[i], counterType, ids[i][r.IntN(len(ids[i]))], Add{By: 1}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(start), cpuTime() - cpu0
	}
	round(0) // warm both up
	round(1)
	b.ResetTimer()
	var cpuRatios, rateRatios []float64
	for n := range max(b.N, 2) {
		var wall, cpu [2]time.Duration
		first := n % 2
		wall[first], cpu[first] = round(first)
		wall[1-first], cpu[1-first] = round(1 - first)
		cpuRatios = append(cpuRatios, float64(cpu[1])/float64(cpu[0]))
		rateRatios = append(rateRatios, float64(wall[0])/float64(wall[1]))
	}
	b.ReportMetric(100*(median(cpuRatios)-1), "cpu-overhead-%")
	b.ReportMetric(100*(median(rateRatios)-1), "rate-change-%")
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}

// metricsSystem is a system of 10,000 opened counters on the memory
// journal, with the Prometheus metrics (the system's observer and the
// journal decorator) when on.
func metricsSystem(b *testing.B, on bool) (*actors.System, []uuid.UUID) {
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
	return sys, ids
}
