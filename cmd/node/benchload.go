package main

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/google/uuid"
)

// benchCmd is one command of the load: a put on aggregate id, the one that
// creates it when first.
type benchCmd struct {
	id    uuid.UUID
	first bool
}

// benchOut is a command's outcome: the version its reply acknowledged, or
// its error and the error's code.
type benchOut struct {
	version uint64
	code    string
	err     error
}

// sender sends the load's commands, one request at a time; each worker of
// the load has its own.
type sender interface {
	// send sends cmds in one request (one command unless --batch) and
	// fills out, one outcome per command.
	send(ctx context.Context, cmds []benchCmd, out []benchOut)
	close()
}

// load is what drive measured.
type load struct {
	elapsed time.Duration
	ran     int64 // commands run, the warm-up's included
	hist    *hdrhistogram.Histogram
	// first is the latency of each aggregate's first command, which
	// activates it: the part of hist that an activation storm makes.
	first    *hdrhistogram.Histogram
	errors   map[string]int64
	firstErr string
	host     *hostStats
	// acked is, per aggregate, the last acknowledged version (0: none).
	acked map[uuid.UUID]uint64
}

func newHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)
}

// drive runs the load: concurrency workers, each with its own aggregates
// and its own sender, in a closed loop (each sends its next request when
// the last is answered) or, with --rate, an open loop (each request is
// due at a fixed time, and its latency counts from then, so time spent
// queued behind a slow server is counted).
func drive(ctx context.Context, c *benchConfig, senders []sender, stderr io.Writer) (*load, error) {
	ids := make([]uuid.UUID, c.aggregates)
	for i := range ids {
		ids[i] = uuid.New()
	}
	batch := max(c.batch, 1)
	var done atomic.Int64
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if c.commands == 0 {
		runCtx, cancel = context.WithTimeout(runCtx, c.duration)
		defer cancel()
	}
	// The workers record latencies in a few shared histograms (a
	// histogram is about 140 KB: one per worker would be a heap of its
	// own), a block of latencies at a time: a lock per command made the
	// workers queue on the shards' locks, and a worker woken from that
	// queue pushed others back in the scheduler's run queues, which showed
	// in the node's tail.
	type histShard struct {
		mu          sync.Mutex
		all, firsts *hdrhistogram.Histogram
	}
	shards := make([]histShard, 16)
	for i := range shards {
		shards[i].all, shards[i].firsts = newHist(), newHist()
	}
	const latencyBlock = 256
	record := func(shard *histShard, all, firsts []int64) {
		shard.mu.Lock()
		defer shard.mu.Unlock()
		for _, v := range all {
			_ = shard.all.RecordValue(v)
		}
		for _, v := range firsts {
			_ = shard.firsts.RecordValue(v)
		}
	}
	type workerResult struct {
		errs   map[string]int64
		first  string
		acked  map[uuid.UUID]uint64
		claims int64
	}
	results := make([]workerResult, c.concurrency)
	// In the open loop, worker w's j-th request is due at
	// start + (j*concurrency + w) * interval.
	var interval time.Duration
	if c.rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(batch) / c.rate)
	}
	stopProfiles, err := startProfiles(c)
	if err != nil {
		return nil, err
	}
	// An in-process worker in a closed loop yields every --yield commands
	// (16; outside the measured time), as a client on a network waits for
	// its socket: a thousand workers on a few cores then take turns,
	// instead of each holding a processor for a whole time slice (10 ms)
	// and being preempted in the middle of a command, which then waits for
	// all the others' time slices: Go's scheduler, not the node, at work.
	// A command that blocks once (an activation that waits for a lock)
	// still waits for one round of the others' turns (a thousand workers
	// times 16 commands on two cores: about 30 ms), which is where the
	// in-process max comes from; --yield 1 makes a round short, at the cost
	// of a yield per command. An open-loop worker waits for its next due
	// time instead: a yield there would put it at the back of the global
	// run queue, behind a thousand others, and make its next command late.
	yield := int64(c.yield)
	if c.targets != "" || c.http || c.baseline || c.rate > 0 {
		yield = 0
	}
	var wg sync.WaitGroup
	hostBefore := sampleHost()
	start := time.Now()
	warmupEnd := start.Add(c.warmup)
	for w := range c.concurrency {
		res := &results[w]
		res.errs, res.acked = map[string]int64{}, map[uuid.UUID]uint64{}
		shard := &shards[w%len(shards)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []uuid.UUID
			for i := w; i < len(ids); i += c.concurrency {
				mine = append(mine, ids[i])
			}
			cmds := make([]benchCmd, batch)
			out := make([]benchOut, batch)
			next := 0
			lats := make([]int64, 0, latencyBlock+batch)
			var firstLats []int64
			var timer *time.Timer
			defer func() {
				if timer != nil {
					timer.Stop()
				}
				record(shard, lats, firstLats)
			}()
			for j := int64(0); runCtx.Err() == nil; j++ {
				if c.commands > 0 && done.Add(int64(batch)) > c.commands {
					done.Add(-int64(batch))
					return
				}
				for i := range cmds {
					id := mine[next%len(mine)]
					next++
					cmds[i] = benchCmd{id: id, first: res.acked[id] == 0}
				}
				t0 := time.Now()
				if interval > 0 {
					due := start.Add(time.Duration(j*int64(c.concurrency)+int64(w)) * interval)
					if d := time.Until(due); d > 0 {
						if timer == nil {
							timer = time.NewTimer(d)
						} else {
							timer.Reset(d)
						}
						select {
						case <-runCtx.Done():
							if c.commands > 0 {
								done.Add(-int64(batch))
							}
							return
						case <-timer.C:
						}
					}
					t0 = due
				}
				senders[w].send(runCtx, cmds, out)
				lat := time.Since(t0).Microseconds()
				measured := t0.Compare(warmupEnd) >= 0
				for i, o := range out {
					if o.err == nil {
						if measured {
							lats = append(lats, lat)
						}
						if cmds[i].first {
							firstLats = append(firstLats, lat)
						}
					}
				}
				if len(lats) >= latencyBlock {
					record(shard, lats, firstLats)
					lats, firstLats = lats[:0], firstLats[:0]
				}
				for i, o := range out {
					if o.err != nil {
						if runCtx.Err() != nil {
							continue // the run ended under it: not counted
						}
						res.errs[o.code]++
						if res.first == "" {
							res.first = o.err.Error()
						}
						continue
					}
					res.acked[cmds[i].id] = max(res.acked[cmds[i].id], o.version)
				}
				if c.commands == 0 {
					done.Add(int64(batch))
				}
				if yield > 0 && j%yield == yield-1 {
					runtime.Gosched()
				}
			}
		}()
	}
	stopProgress := progress(stderr, c, &done, start, c.quiet)
	wg.Wait()
	// The commands/s are of the commands after the warm-up, in the time
	// after it.
	l := &load{elapsed: max(time.Since(warmupEnd), time.Millisecond), host: hostSince(hostBefore), hist: newHist(), first: newHist(), errors: map[string]int64{}, acked: map[uuid.UUID]uint64{}, ran: done.Load()}
	stopProgress()
	if err := stopProfiles(); err != nil {
		return nil, err
	}
	for i := range shards {
		l.hist.Merge(shards[i].all)
		l.first.Merge(shards[i].firsts)
	}
	for _, id := range ids {
		l.acked[id] = 0 // an aggregate may hold events the run did not see acknowledged
	}
	for w := range results {
		r := &results[w]
		for code, n := range r.errs {
			l.errors[code] += n
		}
		if l.firstErr == "" {
			l.firstErr = r.first
		}
		for id, v := range r.acked {
			l.acked[id] = v
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return l, nil
}

// startProfiles starts the CPU profile and the execution trace, and sets
// the allocation, mutex and block profiles' rates, as the flags ask; the
// returned func writes them.
func startProfiles(c *benchConfig) (func() error, error) {
	var cpu, tr *os.File
	stop := func() error {
		var errs []error
		if cpu != nil {
			pprof.StopCPUProfile()
			errs = append(errs, cpu.Close())
		}
		if tr != nil {
			trace.Stop()
			errs = append(errs, tr.Close())
		}
		return errors.Join(errs...)
	}
	if c.cpuProfile != "" {
		f, err := os.Create(c.cpuProfile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		cpu = f
	}
	if c.trace != "" {
		f, err := os.Create(c.trace)
		if err != nil {
			return nil, errors.Join(err, stop())
		}
		if err := trace.Start(f); err != nil {
			f.Close()
			return nil, errors.Join(err, stop())
		}
		tr = f
	}
	if c.mutexProf != "" {
		runtime.SetMutexProfileFraction(1)
	}
	if c.blockProf != "" {
		runtime.SetBlockProfileRate(int((10 * time.Microsecond).Nanoseconds()))
	}
	return func() error {
		err := stop()
		for _, p := range []struct{ name, file string }{{"allocs", c.memProfile}, {"mutex", c.mutexProf}, {"block", c.blockProf}} {
			if p.file == "" {
				continue
			}
			f, ferr := os.Create(p.file)
			if ferr != nil {
				err = errors.Join(err, ferr)
				continue
			}
			err = errors.Join(err, pprof.Lookup(p.name).WriteTo(f, 0), f.Close())
		}
		runtime.SetMutexProfileFraction(0)
		runtime.SetBlockProfileRate(0)
		return err
	}, nil
}
