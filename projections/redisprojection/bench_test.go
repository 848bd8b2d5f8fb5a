package redisprojection_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/eventlog"
	"github.com/factum-dev/factum/examples/bank"
	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/journal"
	jredis "github.com/factum-dev/factum/journal/redis"
	"github.com/factum-dev/factum/projections"
	"github.com/factum-dev/factum/projections/redisprojection"
)

type benchEnv struct {
	j   *jredis.Journal
	es  *journal.EventStore
	reg *domain.Registry
	rm  *redisprojection.Store
}

func newBenchEnv(b *testing.B, partitions int) *benchEnv {
	srv := redistest.StartServer(b, redistest.Options{})
	j, err := jredis.New(context.Background(), jredis.Config{URL: srv.URL(), Partitions: partitions})
	require.NoError(b, err)
	b.Cleanup(func() { _ = j.Close() })
	reg := domain.NewRegistry()
	require.NoError(b, bank.RegisterTypes(reg))
	rm, err := redisprojection.New(redisprojection.Config{Client: srv.Client()})
	require.NoError(b, err)
	return &benchEnv{j: j, es: journal.NewEventStore(j, reg), reg: reg, rm: rm}
}

// deposit appends n Deposited events to aggregate id at version v.
func (e *benchEnv) deposit(ctx context.Context, id uuid.UUID, v uint64, n int) error {
	evs := make([]domain.Envelope, n)
	now := time.Now()
	for i := range evs {
		evs[i] = domain.Envelope{AggregateID: id, Version: v + uint64(i) + 1, Time: now, Data: bank.Deposited{Amount: 1}}
	}
	_, err := e.es.Append(ctx, "", id, v, evs)
	return err
}

func (e *benchEnv) runner(b *testing.B, p *projections.Projection) *projections.Runner {
	r, err := projections.NewRunner(projections.RunnerConfig{Logs: map[string]eventlog.Log{"": jlog{e}}, Registry: e.reg})
	require.NoError(b, err)
	require.NoError(b, r.Add(p))
	require.NoError(b, r.Start(context.Background()))
	return r
}

// jlog is the journal as an eventlog.Log, without an Application.
type jlog struct{ e *benchEnv }

func (l jlog) Partitions() int { return l.e.j.Partitions() }
func (l jlog) Select(ctx context.Context, p int, start uint64, limit int) ([]journal.Notification, error) {
	return l.e.j.Select(ctx, p, start, limit)
}
func (l jlog) Head(ctx context.Context, p int) (uint64, error) { return l.e.j.Head(ctx, p) }
func (l jlog) Wait(ctx context.Context, p int, after uint64) (uint64, error) {
	return l.e.j.Wait(ctx, p, after)
}
func (l jlog) Decode(ctx context.Context, r journal.Record) (domain.Envelope, error) {
	return l.e.es.Decode(ctx, r)
}

// BenchmarkProjectionLag writes 50,000 events/s to Redis for 3 s while a
// projection keeps a Redis read model (HINCRBY + checkpoint in one
// MULTI/EXEC) and reports the lag from an event's time to its handler:
// p50, p99 and max in ms.
func BenchmarkProjectionLag(b *testing.B) {
	const rate, seconds, writers = 50_000, 3, 100
	for range b.N {
		e := newBenchEnv(b, 1)
		ctx := context.Background()
		var mu sync.Mutex
		lags := make([]time.Duration, 0, rate*seconds)
		p := projections.NewProjection("lag", projections.Checkpoints(e.rm))
		projections.On(p, func(ctx context.Context, ev bank.Deposited, n projections.Notification) error {
			e.rm.Tx(ctx).HIncrBy(ctx, e.rm.Key("lag", "balance"), n.AggregateID.String(), ev.Amount)
			d := time.Since(n.Time)
			mu.Lock()
			lags = append(lags, d)
			mu.Unlock()
			return nil
		})
		r := e.runner(b, p)
		b.ResetTimer()
		start := time.Now()
		per := rate / writers
		interval := time.Second / time.Duration(per)
		var wg sync.WaitGroup
		var failed error
		var fmu sync.Mutex
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ids := make([]uuid.UUID, 20)
				vs := make([]uint64, len(ids))
				for i := range ids {
					ids[i] = uuid.New()
				}
				next := start.Add(time.Duration(w) * interval / writers)
				for i := range per * seconds {
					if d := time.Until(next); d > 0 {
						time.Sleep(d) // pacing the writer, not synchronisation
					}
					next = next.Add(interval)
					k := i % len(ids)
					if err := e.deposit(ctx, ids[k], vs[k], 1); err != nil {
						fmu.Lock()
						failed = err
						fmu.Unlock()
						return
					}
					vs[k]++
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		require.NoError(b, failed)
		total := rate * seconds
		require.Eventually(b, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(lags) == total
		}, time.Minute, time.Millisecond)
		b.StopTimer()
		require.NoError(b, r.Stop(ctx))
		slices.Sort(lags)
		q := func(f float64) float64 { return float64(lags[int(f*float64(len(lags)-1))]) / 1e6 }
		b.ReportMetric(float64(total)/elapsed.Seconds(), "written/s")
		b.ReportMetric(q(0.5), "p50-ms")
		b.ReportMetric(q(0.99), "p99-ms")
		b.ReportMetric(q(1), "max-ms")
	}
}

// BenchmarkCatchUp1M fills a Redis log with a million Deposited events,
// then rebuilds a Redis read model from position 1 (HINCRBY per event,
// batches of 1000 committed with the checkpoint in one MULTI/EXEC) and
// reports events/s. Run it with -bench CatchUp1M; it does not run in
// make test.
func BenchmarkCatchUp1M(b *testing.B) {
	const total, perAppend = 1_000_000, 100
	e := newBenchEnv(b, 1)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total/perAppend; i += 16 {
				id := uuid.New()
				if err := e.deposit(ctx, id, 0, perAppend); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	require.NoError(b, <-errs)
	head, err := e.j.Head(ctx, 0)
	require.NoError(b, err)
	require.Equal(b, uint64(total), head)
	b.ResetTimer()
	for i := range b.N {
		name := fmt.Sprint("catchup", i)
		p := projections.NewProjection(name, projections.Checkpoints(e.rm), projections.Start(projections.FromBeginning))
		key := e.rm.Key(name, "balance")
		projections.On(p, func(ctx context.Context, ev bank.Deposited, n projections.Notification) error {
			e.rm.Tx(ctx).HIncrBy(ctx, key, n.AggregateID.String(), ev.Amount)
			return nil
		})
		start := time.Now()
		r := e.runner(b, p)
		require.Eventually(b, func() bool { return r.Status()[0].Position == total }, 5*time.Minute, time.Millisecond)
		elapsed := time.Since(start)
		require.NoError(b, r.Stop(ctx))
		b.ReportMetric(total/elapsed.Seconds(), "events/s")
	}
}
