package redis_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/journal/journaltest"
	"github.com/factum-dev/factum/journal/redis"
)

// BenchmarkJournal runs the standard journal benchmarks on a redis-server
// without AOF.
func BenchmarkJournal(b *testing.B) {
	srv := redistest.StartServer(b, redistest.Options{})
	journaltest.Bench(b, factory(redis.Config{URL: srv.URL()}))
}

// BenchmarkJournalAOFAlways measures appends with appendonly yes and
// appendfsync always: every acknowledged append is on disk.
func BenchmarkJournalAOFAlways(b *testing.B) {
	srv := redistest.StartServer(b, redistest.Options{AOF: true, Fsync: "always"})
	f := factory(redis.Config{URL: srv.URL()})
	for _, cfg := range []journaltest.BenchConfig{
		{Aggregates: 1000, Concurrency: 1000},
		{Aggregates: 10000, Concurrency: 10000},
	} {
		b.Run(benchName(cfg), func(b *testing.B) {
			j := f(b, 1)
			defer j.Close()
			journaltest.BenchAppend(b, j, cfg)
		})
	}
}

// BenchmarkJournalRate offers appends at fixed rates (open loop) to
// 10,000 aggregates and reports the latency at that load.
func BenchmarkJournalRate(b *testing.B) {
	srv := redistest.StartServer(b, redistest.Options{})
	f := factory(redis.Config{URL: srv.URL()})
	for _, rate := range []float64{50_000, 100_000} {
		b.Run(fmt.Sprintf("aggregates=10k/rate=%.0fk", rate/1000), func(b *testing.B) {
			j := f(b, 1)
			defer j.Close()
			journaltest.BenchAppendRate(b, j, 10_000, rate, 200)
		})
	}
}

// BenchmarkCatchUp1M catches up on a log of a million entries; it takes a
// while to fill, so it runs only with FACTUM_BENCH_1M=1.
func BenchmarkCatchUp1M(b *testing.B) {
	if os.Getenv("FACTUM_BENCH_1M") == "" {
		b.Skip("set FACTUM_BENCH_1M=1 to run")
	}
	srv := redistest.StartServer(b, redistest.Options{})
	j := factory(redis.Config{URL: srv.URL()})(b, 1)
	defer j.Close()
	journaltest.BenchCatchUp(b, j, 1_000_000, 1000)
}

func benchName(cfg journaltest.BenchConfig) string {
	switch cfg.Aggregates {
	case 1000:
		return "Append/aggregates=1k/concurrency=1k"
	default:
		return "Append/aggregates=10k/concurrency=10k"
	}
}
