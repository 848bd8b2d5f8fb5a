package metrics

import (
	"context"
	"time"

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
	if err == nil {
		j.m.appendOK.Inc()
		j.m.appendedEvents.Add(float64(len(records)))
		return last, nil
	}
	j.m.appends.WithLabelValues(appendResult(err)).Inc()
	return last, err
}

// AppendMany counts an append to several aggregates at once as one
// append (journal.AppendMany: j must be a journal.MultiAppender).
func (j *meteredJournal) AppendMany(ctx context.Context, streams []journal.Stream) ([]uint64, error) {
	last, err := journal.AppendMany(ctx, j.Journal, streams)
	if err != nil {
		j.m.appends.WithLabelValues(appendResult(err)).Inc()
		return last, err
	}
	j.m.appendOK.Inc()
	n := 0
	for _, s := range streams {
		n += len(s.Records)
	}
	j.m.appendedEvents.Add(float64(n))
	return last, nil
}

var _ journal.MultiAppender = (*meteredJournal)(nil)

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

// AppendBatch observes the number of appends in one append-script call
// of a group commit, and how long the call took (journal/redis's
// Config.OnBatch).
func (m *Metrics) AppendBatch(appends int, took time.Duration) {
	m.appendBatch.Observe(float64(appends))
	m.appendDuration.Observe(took.Seconds())
}
