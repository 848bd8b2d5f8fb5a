package actors_test

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/inmem"
)

// benchSystem is a system on the memory journal with n open counters.
func benchSystem(tb testing.TB, n int, opts ...actors.AggregateOption) (*actors.System, []uuid.UUID) {
	reg := domain.NewRegistry()
	registerCounterEvents(reg)
	app, err := inmem.NewApplication(app.Config{Registry: reg})
	require.NoError(tb, err)
	sys, err := actors.NewSystem(actors.SystemConfig{App: app})
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = sys.Close() })
	require.NoError(tb, actors.Register(sys, counterAggregate(opts...)))
	ids := make([]uuid.UUID, n)
	var wg sync.WaitGroup
	workers := 64
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				ids[i] = uuid.New()
				if _, err := actors.Send(context.Background(), sys, counterType, ids[i], Open{}); err != nil {
					panic(err)
				}
			}
		}()
	}
	wg.Wait()
	return sys, ids
}

// BenchmarkCommands sends Add commands to 10,000 live counters on the
// memory journal from many callers at once; cmds/s is the throughput.
func BenchmarkCommands(b *testing.B) {
	sys, ids := benchSystem(b, 10_000)
	sendRandomly(b, sys, ids)
}

// sendRandomly sends b.N Add commands to ids chosen at random, from 512
// callers per GOMAXPROCS, and reports the rates.
func sendRandomly(b *testing.B, sys *actors.System, ids []uuid.UUID) {
	ctx := context.Background()
	b.SetParallelism(512) // callers per GOMAXPROCS
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

// BenchmarkCommandsOneAggregate is the single-actor rate: every caller
// sends to the same counter.
func BenchmarkCommandsOneAggregate(b *testing.B) {
	sys, ids := benchSystem(b, 1)
	ctx := context.Background()
	b.SetParallelism(64)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := actors.Send(ctx, sys, counterType, ids[0], Add{By: 1}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRates(b, cpu)
}

// reportRates reports the wall-clock rate (cmds/s) and the process CPU
// time per command (cpu-ns/op), which other load on the machine does not
// change much.
func reportRates(b *testing.B, cpuBefore time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cmds/s")
	b.ReportMetric(float64(cpuTime()-cpuBefore)/float64(b.N), "cpu-ns/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestIdleAggregateHeap measures the heap that a live, idle aggregate
// costs (actor, router entry, command-id window and a small state) with
// 100,000 of them: the journal is filled first, without actors, then each
// aggregate is activated by a command that writes nothing.
func TestIdleAggregateHeap(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("activates 100,000 aggregates; the race detector changes the heap")
	}
	const n = 100_000
	reg := domain.NewRegistry()
	registerCounterEvents(reg)
	app, err := inmem.NewApplication(app.Config{Registry: reg})
	require.NoError(t, err)
	sys, err := actors.NewSystem(actors.SystemConfig{App: app})
	require.NoError(t, err)
	defer sys.Close()
	require.NoError(t, actors.Register(sys, counterAggregate()))
	ctx := context.Background()
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = uuid.New()
		c := &Counter{}
		domain.Init(c, ids[i], nil)
		require.NoError(t, domain.Raise(c, Opened{Start: i}))
		_, err := app.Save(ctx, c)
		require.NoError(t, err)
	}
	before := heap()
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				if _, err := actors.Send(ctx, sys, counterType, ids[i], Noop{}); err != nil {
					panic(err)
				}
			}
		}()
	}
	wg.Wait()
	require.Equal(t, n, sys.Live(counterType))
	after := heap()
	per := float64(after-before) / n
	t.Logf("heap per live idle aggregate: %.0f B (%d aggregates, %d goroutines)", per, n, runtime.NumGoroutine())
	require.LessOrEqual(t, per, 2048.0)
	runtime.KeepAlive(ids)
}

func heap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
