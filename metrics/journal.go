package metrics

import (
	"context"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/wire"
)

// Journal decorates j: it counts each Append and AppendMany by its
// result, and the events appended. It does not time them: a command's
// duration covers its append, and the Redis journal times its
// append-script calls itself (AppendBatch), so that a command costs no
// clock read here. Everything else goes to j as it is; a Flush(ctx)
// method of j is kept.
func (m *Metrics) Journal(j journal.Journal) journal.Journal {
	return &meteredJournal{Journal: j, m: m}
}

type meteredJournal struct {
	journal.Journal
	m *Metrics
}

func (j *meteredJournal) Append(ctx context.Context, id uuid.UUID, expected uint64, records []journal.Record) (uint64, error) {
	last, err := j.Journal.Append(ctx, id, expected, records)
	j.m.appends.counted(len(records), err)
	return last, err
}

// AppendMany counts an append to several aggregates at once as one
// append (journal.AppendMany: j must be a journal.MultiAppender).
func (j *meteredJournal) AppendMany(ctx context.Context, streams []journal.Stream) ([]uint64, error) {
	last, err := journal.AppendMany(ctx, j.Journal, streams)
	n := 0
	for _, s := range streams {
		n += len(s.Records)
	}
	j.m.appends.counted(n, err)
	return last, err
}

var (
	_ journal.MultiAppender = (*meteredJournal)(nil)
	_ journal.Tailer        = (*meteredJournal)(nil)
	_ journal.MultiTailer   = (*meteredJournal)(nil)
)

// TailMany implements journal.MultiTailer: journal.TailMany of the
// decorated journal (errors.ErrUnsupported when it cannot).
func (j *meteredJournal) TailMany(ctx context.Context, cursors []journal.Cursor, limit int) ([]journal.Notification, error) {
	return journal.TailMany(ctx, j.Journal, cursors, limit)
}

// Tail implements journal.Tailer: journal.Tail of the decorated journal.
func (j *meteredJournal) Tail(ctx context.Context, partition int, after uint64, limit int) ([]journal.Notification, error) {
	return journal.Tail(ctx, j.Journal, partition, after, limit)
}

// Flush flushes j when it can be flushed.
func (j *meteredJournal) Flush(ctx context.Context) error {
	if f, ok := j.Journal.(interface{ Flush(context.Context) error }); ok {
		return f.Flush(ctx)
	}
	return nil
}

// Unwrap returns the decorated journal.
func (j *meteredJournal) Unwrap() journal.Journal { return j.Journal }

func appendResult(err error) string {
	switch c := wire.ErrorCode(err); c {
	case wire.CodeConflict, wire.CodeFenced, wire.CodeOutcomeUnknown, wire.CodeUnavailable, wire.CodeClosed:
		return c
	default:
		return "error"
	}
}

// appendsCollector serves factum_journal_appends_total and
// factum_journal_appended_events_total: an append that succeeds costs two
// atomic additions on one cache line (see commands.go for why not a
// CounterVec).
type appendsCollector struct {
	ok, events    atomic.Uint64
	total, evDesc *prometheus.Desc

	mu   sync.Mutex
	errs map[string]uint64 // by result
}

func newAppendsCollector() *appendsCollector {
	return &appendsCollector{
		total: prometheus.NewDesc("factum_journal_appends_total",
			"Journal appends, by result (ok, conflict, fenced, outcome_unknown, unavailable, closed, error).", []string{"result"}, nil),
		evDesc: prometheus.NewDesc("factum_journal_appended_events_total", "Events appended to the journal.", nil, nil),
		errs:   map[string]uint64{},
	}
}

// counted counts an append of events that returned err.
func (c *appendsCollector) counted(events int, err error) {
	if err == nil {
		c.ok.Add(1)
		c.events.Add(uint64(events))
		return
	}
	r := appendResult(err)
	c.mu.Lock()
	c.errs[r]++
	c.mu.Unlock()
}

func (c *appendsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.total
	ch <- c.evDesc
}

func (c *appendsCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.total, prometheus.CounterValue, float64(c.ok.Load()), "ok")
	ch <- prometheus.MustNewConstMetric(c.evDesc, prometheus.CounterValue, float64(c.events.Load()))
	c.mu.Lock()
	errs := maps.Clone(c.errs)
	c.mu.Unlock()
	for r, n := range errs {
		ch <- prometheus.MustNewConstMetric(c.total, prometheus.CounterValue, float64(n), r)
	}
}

// AppendBatch observes the number of appends in one append-script call
// of a group commit, and how long the call took (journal/redis's
// Config.OnBatch).
func (m *Metrics) AppendBatch(appends int, took time.Duration) {
	m.appendBatch.Observe(float64(appends))
	m.appendDuration.Observe(took.Seconds())
}
