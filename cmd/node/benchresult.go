package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// benchResult is what `node bench` measured; it is also the JSON result file.
type benchResult struct {
	// ran counts every command run, the warm-up's too: the CPU and the
	// allocations of the whole run are per command of it.
	ran     int64
	Config  benchRecord `json:"config"`
	Seconds float64     `json:"seconds"`
	// Commands counts the commands answered with success.
	Commands     int64   `json:"commands"`
	Errors       int64   `json:"errors"`
	CommandsPerS float64 `json:"commands_per_second"`
	EventsPerS   float64 `json:"events_per_second"`
	// ErrorsByCode counts the failed commands by error code (the API's
	// codes; "transport" for a request that got no HTTP answer).
	ErrorsByCode map[string]int64 `json:"errors_by_code,omitempty"`
	FirstError   string           `json:"first_error,omitempty"`
	LatencyMS    latencyMS        `json:"latency_ms"`
	// FirstLatencyMS is the latency of each aggregate's first command,
	// which activates it (part of LatencyMS).
	FirstLatencyMS latencyMS `json:"first_command_latency_ms"`
	// Host is what the operating system says of the run: the CPU this
	// process got, and how long its threads waited for one.
	Host *hostStats `json:"host,omitempty"`
	// GC is the process's heap and collections over the run, when the node
	// ran in this process.
	GC          *gcStats `json:"gc,omitempty"`
	Verified    bool     `json:"verified"`
	VerifyError string   `json:"verify_error,omitempty"`
	// Cleanup says what happened to the Redis keys the run wrote.
	Cleanup string `json:"cleanup,omitempty"`
}

// benchRecord is the configuration a result was measured with.
type benchRecord struct {
	// Mode is "in-process" (Dispatch), "http" (this process's node over
	// loopback HTTP), "target" (running nodes), "target-owners" (the nodes
	// of a cluster, each command sent to its partition's owner) or "baseline" (a bare
	// net/http JSON handler over loopback HTTP).
	Mode          string   `json:"mode"`
	Targets       []string `json:"targets,omitempty"`
	Journal       string   `json:"journal"`
	Partitions    int      `json:"partitions"`
	Pipeline      string   `json:"storage_pipeline"`
	Aggregates    int      `json:"aggregates"`
	Concurrency   int      `json:"concurrency"`
	Rate          float64  `json:"rate,omitempty"`
	Loop          string   `json:"loop"`
	Yield         int      `json:"yield_every,omitempty"`
	WarmupSeconds float64  `json:"warmup_seconds,omitempty"`
	Payload       int      `json:"payload_bytes"`
	Batch         int      `json:"batch,omitempty"`
	Protobuf      bool     `json:"protobuf,omitempty"`
	SnapshotEvery int      `json:"snapshot_every"`
	Factum        string   `json:"factum_version"`
	Commit        string   `json:"commit"`
	GoVersion     string   `json:"go_version"`
	GOMAXPROCS    int      `json:"gomaxprocs"`
	NumCPU        int      `json:"num_cpu"`
	Started       string   `json:"started"`
}

type latencyMS struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99.9"`
	Max  float64 `json:"max"`
}

// gcStats are the Go runtime's heap and GC figures over a run.
type gcStats struct {
	HeapInUseMB        float64 `json:"heap_in_use_mb"`
	HeapPeakMB         float64 `json:"heap_sys_mb"`
	Collections        uint32  `json:"collections"`
	PauseTotalMS       float64 `json:"pause_total_ms"`
	PauseMaxMS         float64 `json:"pause_max_ms"`
	AllocsPerCommand   float64 `json:"allocs_per_command"`
	BytesPerCommand    float64 `json:"bytes_per_command"`
	LiveGoroutinesPeak int     `json:"goroutines_at_end"`
}

// readGC returns the figures between before and now, per command.
func readGC(before *runtime.MemStats, commands int64) *gcStats {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	g := &gcStats{HeapInUseMB: float64(m.HeapInuse) / (1 << 20), HeapPeakMB: float64(m.HeapSys) / (1 << 20),
		Collections: m.NumGC - before.NumGC, PauseTotalMS: float64(m.PauseTotalNs-before.PauseTotalNs) / 1e6,
		LiveGoroutinesPeak: runtime.NumGoroutine()}
	n := min(m.NumGC-before.NumGC, uint32(len(m.PauseNs)))
	for i := range n {
		p := m.PauseNs[(m.NumGC-i+255)%256]
		g.PauseMaxMS = max(g.PauseMaxMS, float64(p)/1e6)
	}
	if commands > 0 {
		g.AllocsPerCommand = float64(m.Mallocs-before.Mallocs) / float64(commands)
		g.BytesPerCommand = float64(m.TotalAlloc-before.TotalAlloc) / float64(commands)
	}
	return g
}

func latencies(h *hdrhistogram.Histogram) latencyMS {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return latencyMS{Mean: h.Mean() / 1000, P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)),
		P95: ms(h.ValueAtQuantile(95)), P99: ms(h.ValueAtQuantile(99)), P999: ms(h.ValueAtQuantile(99.9)), Max: ms(h.Max())}
}

// buildInfo returns factum's module version and the commit it was built
// from ("unknown" when the binary does not record it, as with go run).
func buildInfo() (version, commit string) {
	version, commit = "unknown", "unknown"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	if bi.Main.Version != "" {
		version = bi.Main.Version
	}
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && commit != "unknown" {
		commit += "+modified"
	}
	return
}

func printResult(w io.Writer, r *benchResult) {
	c := r.Config
	where := c.Mode
	if len(c.Targets) > 0 {
		where += " " + strings.Join(c.Targets, ",")
	}
	fmt.Fprintf(w, "%s, journal %s, %d partition(s), storage %s, %d aggregates, concurrency %d, %s loop",
		where, c.Journal, c.Partitions, c.Pipeline, c.Aggregates, c.Concurrency, c.Loop)
	if c.Rate > 0 {
		fmt.Fprintf(w, " at %.0f/s", c.Rate)
	}
	if c.Batch > 0 {
		fmt.Fprintf(w, ", batches of %d", c.Batch)
	}
	if c.Protobuf {
		fmt.Fprint(w, ", protobuf bodies")
	}
	fmt.Fprintf(w, ", payload %d B, snapshot every %d, GOMAXPROCS %d, %s, factum %s (%s)\n",
		c.Payload, c.SnapshotEvery, c.GOMAXPROCS, c.GoVersion, c.Factum, c.Commit)
	fmt.Fprintf(w, "%d commands in %.2fs: %.0f commands/s, %.0f events/s, %d errors\n",
		r.Commands, r.Seconds, r.CommandsPerS, r.EventsPerS, r.Errors)
	if len(r.ErrorsByCode) > 0 {
		codes := make([]string, 0, len(r.ErrorsByCode))
		for c := range r.ErrorsByCode {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		parts := make([]string, len(codes))
		for i, c := range codes {
			parts[i] = fmt.Sprintf("%s %d", c, r.ErrorsByCode[c])
		}
		fmt.Fprintf(w, "errors by code: %s; first: %s\n", strings.Join(parts, ", "), r.FirstError)
	}
	l := r.LatencyMS
	fmt.Fprintf(w, "latency ms: mean %.3f  p50 %.3f  p90 %.3f  p95 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n",
		l.Mean, l.P50, l.P90, l.P95, l.P99, l.P999, l.Max)
	f := r.FirstLatencyMS
	firsts := "of which first commands (activations)"
	if c.WarmupSeconds > 0 {
		firsts = fmt.Sprintf("after a warm-up of %gs; first commands (activations, whenever they ran)", c.WarmupSeconds)
	}
	fmt.Fprintf(w, "  %s: mean %.3f  p50 %.3f  p99 %.3f  max %.3f\n", firsts, f.Mean, f.P50, f.P99, f.Max)
	if h := r.Host; h != nil {
		fmt.Fprintf(w, "host: this process used %.2f s of CPU in %.2f s (%.1f µs per command); its threads waited %.2f s for a CPU; load average %.2f on %d CPUs\n",
			h.CPUSeconds, r.Seconds+r.Config.WarmupSeconds, h.CPUMicrosPerCommand, h.RunQueueWaitSeconds, h.LoadAverage, r.Config.NumCPU)
	}
	if g := r.GC; g != nil {
		fmt.Fprintf(w, "gc: %d collections, pauses %.2f ms in all, %.3f ms at most; heap in use %.1f MB; %.1f allocations and %.0f B per command (whole process)\n",
			g.Collections, g.PauseTotalMS, g.PauseMaxMS, g.HeapInUseMB, g.AllocsPerCommand, g.BytesPerCommand)
	}
	switch {
	case c.Mode == "baseline":
		fmt.Fprintln(w, "not verified: the baseline keeps nothing")
	case c.Mode == "noop":
		fmt.Fprintln(w, "not verified: --noop drives no node")
	case r.Verified:
		fmt.Fprintln(w, "verified: every acknowledged event is in the journal; versions and log positions are contiguous")
	default:
		fmt.Fprintf(w, "NOT verified: %s\n", r.VerifyError)
	}
	if r.Cleanup != "" {
		fmt.Fprintln(w, r.Cleanup)
	}
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress draws a progress bar with an ETA on w until the returned func
// is called; nothing when w is not a terminal (a CI log gets no carriage
// returns) or quiet.
func progress(w io.Writer, c *benchConfig, done *atomic.Int64, start time.Time, quiet bool) func() {
	if quiet || !isTerminal(w) {
		return func() {}
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	draw := func() {
		n := done.Load()
		el := time.Since(start)
		rate := float64(n) / max(el.Seconds(), 1e-9)
		frac := el.Seconds() / c.duration.Seconds()
		eta := c.duration - el
		if c.commands > 0 {
			frac = float64(n) / float64(c.commands)
			eta = time.Duration(float64(c.commands-n) / max(rate, 1e-9) * float64(time.Second))
		}
		frac = min(max(frac, 0), 1)
		eta = max(eta, 0).Round(time.Second)
		const width = 30
		bar := strings.Repeat("=", int(frac*width)) + strings.Repeat(" ", width-int(frac*width))
		fmt.Fprintf(w, "\r[%s] %3.0f%%  %d commands  %.0f/s  ETA %v   ", bar, frac*100, n, rate, eta)
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

// hostStats is what the operating system says of a run.
type hostStats struct {
	// CPUSeconds is the user and system CPU time the process used.
	CPUSeconds float64 `json:"cpu_seconds"`
	// RunQueueWaitSeconds is how long the process's threads were ready to
	// run but waited for a CPU (Linux schedstat), summed over threads:
	// the time other processes took from this one.
	RunQueueWaitSeconds float64 `json:"run_queue_wait_seconds"`
	// LoadAverage is the 1-minute load average at the end.
	LoadAverage float64 `json:"load_average"`
	// CPUMicrosPerCommand is CPUSeconds per command answered (the load
	// tool's share included when it runs in this process): a measure
	// that other processes on the box change much less than commands/s.
	CPUMicrosPerCommand float64 `json:"cpu_us_per_command"`
}

// hostSample is the process's CPU time and its threads' run-queue wait.
type hostSample struct{ cpu, wait time.Duration }

func sampleHost() hostSample {
	var s hostSample
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/schedstat")
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) >= 2 {
			if ns, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				s.wait += time.Duration(ns)
			}
		}
	}
	return s
}

// hostSince returns the host figures since before.
func hostSince(before hostSample) *hostStats {
	now := sampleHost()
	h := &hostStats{CPUSeconds: (now.cpu - before.cpu).Seconds(), RunQueueWaitSeconds: (now.wait - before.wait).Seconds()}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			h.LoadAverage, _ = strconv.ParseFloat(f[0], 64)
		}
	}
	return h
}
