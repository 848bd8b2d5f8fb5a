package journaltest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/journal"
)

// BenchAppendRate offers b.N single-event appends at a fixed rate (events
// per second), open loop, spread round-robin over aggregates, each
// aggregate appending its events in order. An append's latency is counted
// from the moment it was due, not from when it was sent, so time spent
// queued behind a slow journal counts (no coordinated omission). It reports
// the rate achieved and the p50/p99 latency.
//
// The closed-loop BenchAppend keeps a fixed number of appends in flight, so
// its latency is in-flight count / throughput whatever the journal does;
// this benchmark answers "how long does an append take at this load".
func BenchAppendRate(b *testing.B, j journal.Journal, aggregates int, rate float64, payload int) {
	ctx := context.Background()
	data := []byte(strings.Repeat("x", payload))
	type due struct{ at time.Time }
	queues := make([]chan due, aggregates)
	lats := make([][]time.Duration, aggregates)
	var wg sync.WaitGroup
	for a := range queues {
		queues[a] = make(chan due, 1024)
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := uuid.New()
			var v uint64
			for d := range queues[a] {
				rec := []journal.Record{{AggregateID: id, Version: v + 1, Type: "bench.Event", Time: d.at, Data: data}}
				if _, err := j.Append(ctx, id, v, rec); err != nil {
					b.Errorf("append %s at %d: %v", id, v, err)
					continue
				}
				v++
				lats[a] = append(lats[a], time.Since(d.at))
			}
		}()
	}
	interval := time.Duration(float64(time.Second) / rate)
	b.ResetTimer()
	start := time.Now()
	for k := 0; k < b.N; {
		now := time.Now()
		// Send everything that is due: the ticker is coarse, the schedule
		// is not.
		for ; k < b.N; k++ {
			at := start.Add(time.Duration(k) * interval)
			if at.After(now) {
				break
			}
			queues[k%aggregates] <- due{at: at}
		}
		if k < b.N {
			time.Sleep(min(time.Millisecond, time.Until(start.Add(time.Duration(k)*interval))))
		}
	}
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	b.StopTimer()
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	b.ReportMetric(float64(len(all))/b.Elapsed().Seconds(), "events/s")
	reportLatency(b, all)
}
