package main

import (
	"context"
	"encoding/json"
	"log/slog"

	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/google/uuid"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/server"
	"github.com/factum-dev/factum/storage/pipeline"
)

// benchConfig is what `node bench` was asked to do.
type benchConfig struct {
	store       server.Flags
	aggregates  int
	concurrency int
	duration    time.Duration
	commands    int64
	payload     int
	out         string
	quiet       bool
}

// benchResult is what `node bench` measured; it is also the JSON result file.
type benchResult struct {
	Journal       string  `json:"journal"`
	Aggregates    int     `json:"aggregates"`
	Concurrency   int     `json:"concurrency"`
	Payload       int     `json:"payload_bytes"`
	SnapshotEvery int     `json:"snapshot_every"`
	GOMAXPROCS    int     `json:"gomaxprocs"`
	Seconds       float64 `json:"seconds"`
	Commands      int64   `json:"commands"`
	Errors        int64   `json:"errors"`
	CommandsPerS  float64 `json:"commands_per_second"`
	EventsPerS    float64 `json:"events_per_second"`
	LatencyMS     struct {
		P50 float64 `json:"p50"`
		P90 float64 `json:"p90"`
		P99 float64 `json:"p99"`
		Max float64 `json:"max"`
	} `json:"latency_ms"`
	Verified    bool   `json:"verified"`
	VerifyError string `json:"verify_error,omitempty"`
	FirstError  string `json:"first_error,omitempty"`
}

func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("node bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c benchConfig
	c.store.RegisterStore(fs)
	fs.IntVar(&c.aggregates, "aggregates", 10000, "number of aggregates [FACTUM_AGGREGATES]")
	fs.IntVar(&c.concurrency, "concurrency", 1000, "commands in flight at once (at most --aggregates) [FACTUM_CONCURRENCY]")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long to run, unless --commands is set [FACTUM_DURATION]")
	fs.Int64Var(&c.commands, "commands", 0, "run this many commands instead of for --duration [FACTUM_COMMANDS]")
	fs.IntVar(&c.payload, "payload", 100, "payload bytes per event [FACTUM_PAYLOAD]")
	fs.StringVar(&c.out, "out", "bench-result.json", "where to write the JSON result (empty: nowhere) [FACTUM_OUT]")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress bar [FACTUM_QUIET]")
	if err := server.ParseFlags(fs, args, getenv); err != nil {
		return err
	}
	if err := c.store.Check(stderr); err != nil {
		return err
	}
	storage, err := pipeline.FromEnv(getenv)
	if err != nil {
		return fmt.Errorf("%v: %w", err, server.ErrUsage)
	}
	switch {
	case c.aggregates < 1:
		return fmt.Errorf("--aggregates %d: want at least 1: %w", c.aggregates, server.ErrUsage)
	case c.concurrency < 1 || c.concurrency > c.aggregates:
		return fmt.Errorf("--concurrency %d: want 1 to --aggregates (%d): %w", c.concurrency, c.aggregates, server.ErrUsage)
	case c.commands < 0, c.commands == 0 && c.duration <= 0:
		return fmt.Errorf("want --commands > 0 or a positive --duration: %w", server.ErrUsage)
	case c.payload < 0:
		return fmt.Errorf("--payload %d: want 0 or more: %w", c.payload, server.ErrUsage)
	}
	cfg := c.store.Config
	cfg.Storage = storage
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	h, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer h.Close()
	if err := registerBench(h); err != nil {
		return err
	}

	res, acked, err := drive(ctx, h, &c, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "verifying the journal...\n")
	if verr := verify(ctx, h.Journal(), acked); verr != nil {
		res.VerifyError = verr.Error()
	} else {
		res.Verified = true
	}
	printResult(stdout, res)
	if c.out != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(c.out, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write result: %w", err)
		}
		fmt.Fprintf(stdout, "result written to %s\n", c.out)
	}
	if !res.Verified {
		return fmt.Errorf("verification failed: %s", res.VerifyError)
	}
	return nil
}

// drive runs the load and returns the result and, per aggregate, the last
// acknowledged version.
func drive(ctx context.Context, h *server.Server, c *benchConfig, stderr io.Writer) (*benchResult, map[uuid.UUID]uint64, error) {
	ids := make([]uuid.UUID, c.aggregates)
	for i := range ids {
		ids[i] = uuid.New()
	}
	payload := strings.Repeat("x", c.payload)
	var done, failed atomic.Int64
	var firstErr atomic.Value
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if c.commands == 0 {
		runCtx, cancel = context.WithTimeout(runCtx, c.duration)
		defer cancel()
	}
	hists := make([]*hdrhistogram.Histogram, c.concurrency)
	versions := make([]map[uuid.UUID]uint64, c.concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range c.concurrency {
		hists[w] = hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)
		versions[w] = map[uuid.UUID]uint64{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []uuid.UUID
			for i := w; i < len(ids); i += c.concurrency {
				mine = append(mine, ids[i])
			}
			for k := 0; runCtx.Err() == nil; k++ {
				if c.commands > 0 && done.Add(1) > c.commands {
					done.Add(-1)
					return
				}
				id := mine[k%len(mine)]
				cmd := actors.Command{AggregateType: benchType, AggregateID: id, Name: "put", Value: PutMore{Data: payload}}
				if versions[w][id] == 0 {
					cmd.Name, cmd.Value = "put-first", PutFirst{Data: payload}
				}
				t0 := time.Now()
				reply, err := h.System().Dispatch(runCtx, cmd)
				if err != nil {
					if runCtx.Err() != nil {
						if c.commands > 0 {
							done.Add(-1)
						}
						return
					}
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				_ = hists[w].RecordValue(time.Since(t0).Microseconds())
				versions[w][id] = reply.Version
				if c.commands == 0 {
					done.Add(1)
				}
			}
		}()
	}
	stopProgress := progress(stderr, c, &done, start, c.quiet)
	wg.Wait()
	elapsed := time.Since(start)
	stopProgress()

	all := hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)
	acked := map[uuid.UUID]uint64{}
	for w := range hists {
		all.Merge(hists[w])
		for id, v := range versions[w] {
			acked[id] = v
		}
	}
	res := &benchResult{Journal: "memory", Aggregates: c.aggregates, Concurrency: c.concurrency, Payload: c.payload,
		SnapshotEvery: c.store.SnapshotEvery(), GOMAXPROCS: runtime.GOMAXPROCS(0), Seconds: elapsed.Seconds(),
		Commands: all.TotalCount(), Errors: failed.Load()}
	if c.store.Config.RedisURL != "" {
		res.Journal = "redis"
	}
	res.CommandsPerS = float64(res.Commands) / elapsed.Seconds()
	res.EventsPerS = res.CommandsPerS // one event per command
	ms := func(us int64) float64 { return float64(us) / 1000 }
	res.LatencyMS.P50, res.LatencyMS.P90 = ms(all.ValueAtQuantile(50)), ms(all.ValueAtQuantile(90))
	res.LatencyMS.P99, res.LatencyMS.Max = ms(all.ValueAtQuantile(99)), ms(all.Max())
	if v, ok := firstErr.Load().(string); ok {
		res.FirstError = v
	}
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	return res, acked, nil
}

// verify checks that every acknowledged event is in the journal and every
// aggregate's versions run 1, 2, 3, ... without a gap, and that the log's
// positions are contiguous.
func verify(ctx context.Context, j journal.Journal, acked map[uuid.UUID]uint64) error {
	var inStreams uint64
	for id, v := range acked {
		recs, err := j.Read(ctx, id, 1, 0)
		if err != nil {
			return fmt.Errorf("read aggregate %s: %w", id, err)
		}
		for i, r := range recs {
			if r.Version != uint64(i+1) {
				return fmt.Errorf("aggregate %s: version %d at index %d: versions are not contiguous", id, r.Version, i)
			}
		}
		if uint64(len(recs)) < v {
			return fmt.Errorf("aggregate %s: %d events acknowledged, %d in the journal", id, v, len(recs))
		}
		inStreams += uint64(len(recs))
	}
	var inLog uint64
	for p := range j.Partitions() {
		next := uint64(1)
		for {
			ns, err := j.Select(ctx, p, next, 10000)
			if err != nil {
				return fmt.Errorf("select partition %d from %d: %w", p, next, err)
			}
			if len(ns) == 0 {
				break
			}
			for _, n := range ns {
				if n.Position != next {
					return fmt.Errorf("partition %d: position %d follows %d", p, n.Position, next-1)
				}
				next++
			}
		}
		inLog += next - 1
	}
	if inLog != inStreams {
		return fmt.Errorf("the log holds %d events, the aggregates' streams %d", inLog, inStreams)
	}
	return nil
}

// progress draws a progress bar on w until the returned func is called.
func progress(w io.Writer, c *benchConfig, done *atomic.Int64, start time.Time, quiet bool) func() {
	if quiet {
		return func() {}
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	draw := func() {
		n := done.Load()
		el := time.Since(start)
		frac := el.Seconds() / c.duration.Seconds()
		if c.commands > 0 {
			frac = float64(n) / float64(c.commands)
		}
		frac = min(max(frac, 0), 1)
		const width = 30
		bar := strings.Repeat("=", int(frac*width)) + strings.Repeat(" ", width-int(frac*width))
		fmt.Fprintf(w, "\r[%s] %3.0f%%  %d commands  %.0f/s   ", bar, frac*100, n, float64(n)/max(el.Seconds(), 1e-9))
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				draw()
				fmt.Fprintln(w)
				return
			case <-t.C:
				draw()
			}
		}
	}()
	return func() { close(stop); <-finished }
}

func printResult(w io.Writer, r *benchResult) {
	fmt.Fprintf(w, "journal %s, %d aggregates, concurrency %d, payload %d B, snapshot every %d, GOMAXPROCS %d\n",
		r.Journal, r.Aggregates, r.Concurrency, r.Payload, r.SnapshotEvery, r.GOMAXPROCS)
	fmt.Fprintf(w, "%d commands in %.2fs: %.0f commands/s, %.0f events/s, %d errors\n",
		r.Commands, r.Seconds, r.CommandsPerS, r.EventsPerS, r.Errors)
	if r.FirstError != "" {
		fmt.Fprintf(w, "first error: %s\n", r.FirstError)
	}
	fmt.Fprintf(w, "latency ms: p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n", r.LatencyMS.P50, r.LatencyMS.P90, r.LatencyMS.P99, r.LatencyMS.Max)
	if r.Verified {
		fmt.Fprintln(w, "verified: every acknowledged event is in the journal; versions and log positions are contiguous")
	} else {
		fmt.Fprintf(w, "NOT verified: %s\n", r.VerifyError)
	}
}
