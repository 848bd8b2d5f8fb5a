package metrics

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The command path's metrics are kept by hand rather than in
// client_golang's CounterVec and HistogramVec: a command that succeeds
// costs three atomic additions on two cache lines of its own command's
// stats (its ok count and duration sum on one, its duration's bucket on
// the other), where a client_golang counter and histogram cost five, one
// of them a compare-and-swap loop, on four lines, which the cores of a
// busy node pass back and forth. A collector turns them into the same
// series when scraped.

// commandStats are the counts and durations of one command of one
// aggregate type.
type commandStats struct {
	ok, rejected atomic.Uint64
	sum          atomic.Int64 // of the durations, in nanoseconds
	_            [40]byte     // the fields below, read by every command, on another cache line than the counts
	buckets      []atomic.Uint64
	bounds       []int64 // the buckets' upper bounds, in nanoseconds; the last bucket is +Inf

	typ, cmd string
	mu       sync.Mutex
	errs     map[string]uint64 // other results, by error code
}

func (s *commandStats) observe(d time.Duration) {
	s.sum.Add(int64(d))
	i := 0
	for i < len(s.bounds) && int64(d) > s.bounds[i] {
		i++
	}
	s.buckets[i].Add(1)
}

func (s *commandStats) failed(code string) {
	s.mu.Lock()
	s.errs[code]++
	s.mu.Unlock()
}

// commandsCollector serves factum_commands_total and
// factum_command_duration_seconds from the commands' stats.
type commandsCollector struct {
	total, duration *prometheus.Desc
	bounds          []float64 // seconds
	nanos           []int64

	mu    sync.Mutex
	stats map[[2]string]*commandStats
}

func newCommandsCollector(bounds []float64) *commandsCollector {
	c := &commandsCollector{
		total: prometheus.NewDesc("factum_commands_total",
			"Commands dispatched to aggregates, by aggregate type, command and result (ok or the error code).",
			[]string{"type", "command", "result"}, nil),
		duration: prometheus.NewDesc("factum_command_duration_seconds",
			"Time from dispatch to reply of a command, by aggregate type and command.",
			[]string{"type", "command"}, nil),
		bounds: bounds, stats: map[[2]string]*commandStats{},
	}
	for _, b := range bounds {
		c.nanos = append(c.nanos, int64(b*float64(time.Second)))
	}
	return c
}

// of returns the stats of command of aggregateType, made on first use.
func (c *commandsCollector) of(aggregateType, command string) *commandStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := [2]string{aggregateType, command}
	if s := c.stats[k]; s != nil {
		return s
	}
	s := &commandStats{typ: aggregateType, cmd: command, bounds: c.nanos,
		buckets: make([]atomic.Uint64, len(c.nanos)+1), errs: map[string]uint64{}}
	c.stats[k] = s
	return s
}

func (c *commandsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.total
	ch <- c.duration
}

func (c *commandsCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	stats := slices.Collect(maps.Values(c.stats))
	c.mu.Unlock()
	for _, s := range stats {
		ch <- prometheus.MustNewConstMetric(c.total, prometheus.CounterValue, float64(s.ok.Load()), s.typ, s.cmd, "ok")
		ch <- prometheus.MustNewConstMetric(c.total, prometheus.CounterValue, float64(s.rejected.Load()), s.typ, s.cmd, "rejected")
		s.mu.Lock()
		errs := maps.Clone(s.errs)
		s.mu.Unlock()
		for code, n := range errs {
			ch <- prometheus.MustNewConstMetric(c.total, prometheus.CounterValue, float64(n), s.typ, s.cmd, code)
		}
		// The count is the buckets' total, so the histogram is
		// consistent however the additions and this read interleave.
		cumulative := make(map[float64]uint64, len(c.bounds))
		var count uint64
		for i := range s.buckets {
			count += s.buckets[i].Load()
			if i < len(c.bounds) {
				cumulative[c.bounds[i]] = count
			}
		}
		ch <- prometheus.MustNewConstHistogram(c.duration, count, time.Duration(s.sum.Load()).Seconds(), cumulative, s.typ, s.cmd)
	}
}
