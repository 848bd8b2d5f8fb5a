package journaltest

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/journal"
)

// BenchConfig shapes an append benchmark.
type BenchConfig struct {
	// Aggregates is the number of distinct aggregates written to.
	Aggregates int
	// Concurrency is the number of goroutines appending at once (at most
	// Aggregates); 0 means GOMAXPROCS.
	Concurrency int
	// EventsPerAppend is the batch size of one append (default 1).
	EventsPerAppend int
	// Payload is the size of each event's data in bytes (default 200).
	Payload int
}

// Bench runs the standard benchmarks against journals made by newJournal:
// appends at several concurrencies, reading a 1,000-event aggregate, and
// catching up on the log.
func Bench(b *testing.B, newJournal Factory) {
	for _, cfg := range []BenchConfig{
		{Aggregates: 1000, Concurrency: 0},
		{Aggregates: 1000, Concurrency: 1000},
		{Aggregates: 10000, Concurrency: 10000},
	} {
		b.Run(benchName(cfg), func(b *testing.B) {
			BenchAppend(b, open(b, newJournal, 1), cfg)
		})
	}
	b.Run("Read1000", func(b *testing.B) { BenchRead(b, open(b, newJournal, 1), 1000) })
	b.Run("CatchUp", func(b *testing.B) { BenchCatchUp(b, open(b, newJournal, 1), 100_000, 1000) })
}

func benchName(cfg BenchConfig) string {
	c := "procs"
	if cfg.Concurrency > 0 {
		c = itoa(cfg.Concurrency)
	}
	return "Append/aggregates=" + itoa(cfg.Aggregates) + "/concurrency=" + c
}

func itoa(n int) string {
	if n >= 1000 && n%1000 == 0 {
		return itoa(n/1000) + "k"
	}
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}

// BenchAppend measures appends of cfg.EventsPerAppend events each, spread
// over cfg.Aggregates aggregates by cfg.Concurrency goroutines; one op is
// one event. It reports events/s and the p50/p99 latency of an append.
func BenchAppend(b *testing.B, j journal.Journal, cfg BenchConfig) {
	if cfg.EventsPerAppend <= 0 {
		cfg.EventsPerAppend = 1
	}
	if cfg.Payload <= 0 {
		cfg.Payload = 200
	}
	payload := []byte(strings.Repeat("x", cfg.Payload))
	ctx := context.Background()
	Drive(b, NewIDs(max(cfg.Aggregates, cfg.Concurrency, runtime.GOMAXPROCS(0))), cfg.Concurrency, func() func(uuid.UUID, int) error {
		recs := make([]journal.Record, cfg.EventsPerAppend)
		return func(id uuid.UUID, n int) error {
			v := uint64(n * len(recs))
			for i := range recs {
				recs[i] = journal.Record{AggregateID: id, Version: v + uint64(i) + 1, Type: "bench.Event",
					Time: time.Now(), Data: payload}
			}
			_, err := j.Append(ctx, id, v, recs)
			return err
		}
	}, cfg.EventsPerAppend)
}

// NewIDs returns n new aggregate ids.
func NewIDs(n int) []uuid.UUID {
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = uuid.New()
	}
	return ids
}

// Drive runs b.N ops from concurrency goroutines (0: GOMAXPROCS, rounded
// up to a multiple of it), each with aggregates of its own out of ids, so
// one aggregate never has two ops in flight. newOp makes each goroutine's
// op, which is called with an aggregate id and how many ops this run made
// on that aggregate before. It reports events/s (eventsPerOp per op) and
// the p50/p99 latency of an op. Benchmarks of layers above the journal use
// it too, so that their numbers compare with BenchAppend's.
func Drive(b *testing.B, ids []uuid.UUID, concurrency int, newOp func() func(id uuid.UUID, n int) error, eventsPerOp int) {
	procs := runtime.GOMAXPROCS(0)
	if concurrency <= 0 {
		concurrency = procs
	}
	parallelism := (concurrency + procs - 1) / procs
	goroutines := parallelism * procs
	if len(ids) < goroutines {
		b.Fatalf("journaltest.Drive: %d aggregates for %d goroutines; give at least one each", len(ids), goroutines)
	}
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
		op := newOp()
		counts := make([]int, len(mine))
		local := make([]time.Duration, 0, 1024)
		for k := 0; pb.Next(); k = (k + 1) % len(mine) {
			t0 := time.Now()
			if err := op(mine[k], counts[k]); err != nil {
				b.Errorf("aggregate %s, op %d: %v", mine[k], counts[k], err)
				return
			}
			local = append(local, time.Since(t0))
			counts[k]++
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)*float64(eventsPerOp)/b.Elapsed().Seconds(), "events/s")
	reportLatency(b, lat)
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}

// BenchRead measures reading one aggregate of n events; one op is one
// whole read.
func BenchRead(b *testing.B, j journal.Journal, n int) {
	ctx := context.Background()
	id := uuid.New()
	for v := 0; v < n; v += 100 {
		if _, err := j.Append(ctx, id, uint64(v), Records(id, uint64(v)+1, min(100, n-v))); err != nil {
			b.Fatal(err)
		}
	}
	var lat []time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		recs, err := j.Read(ctx, id, 1, 0)
		if err != nil || len(recs) != n {
			b.Fatalf("read: %d records, %v", len(recs), err)
		}
		lat = append(lat, time.Since(t0))
	}
	reportLatency(b, lat)
}

// BenchCatchUp measures selecting through a log of n entries in pages of
// page; one op is one entry.
func BenchCatchUp(b *testing.B, j journal.Journal, n, page int) {
	ctx := context.Background()
	for written := 0; written < n; {
		id := uuid.New()
		k := min(100, n-written)
		if _, err := j.Append(ctx, id, 0, Records(id, 1, k)); err != nil {
			b.Fatal(err)
		}
		written += k
	}
	b.ResetTimer()
	var pos uint64 = 1
	for i := 0; i < b.N; {
		batch, err := j.Select(ctx, 0, pos, min(page, b.N-i))
		if err != nil {
			b.Fatal(err)
		}
		if len(batch) == 0 {
			pos = 1
			continue
		}
		pos += uint64(len(batch))
		i += len(batch)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
