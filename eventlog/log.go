package eventlog

import (
	"context"
	"fmt"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
)

// Log is what a projection runner needs of a notification log to follow
// it: the local journal (Local) or another node's log over HTTP
// (eventlog/httplog).
type Log interface {
	// Partitions returns the number of partitions of the log.
	Partitions() int
	// Select returns up to limit notifications of a partition from
	// position start on, in position order.
	Select(ctx context.Context, partition int, start uint64, limit int) ([]journal.Notification, error)
	// Head returns the last position of a partition.
	Head(ctx context.Context, partition int) (uint64, error)
	// Wait blocks until the partition's head is past after, or ctx ends
	// (or a bounded while passes; callers loop), and returns the head.
	Wait(ctx context.Context, partition int, after uint64) (uint64, error)
	// Decode returns the domain event a record carries.
	Decode(ctx context.Context, r journal.Record) (domain.Envelope, error)
}

// Tailer is a Log that waits for a partition's next notifications and
// returns them in one step (journal.Tailer): a notifier uses it instead
// of Wait and Select when the log is one.
type Tailer interface {
	Tail(ctx context.Context, partition int, after uint64, limit int) ([]journal.Notification, error)
}

// Tail is l's Tail when l is a Tailer, otherwise Wait and then Select:
// up to limit notifications of the partition after after, or none when a
// bounded wait passed (callers loop).
func Tail(ctx context.Context, l Log, partition int, after uint64, limit int) ([]journal.Notification, error) {
	if t, ok := l.(Tailer); ok {
		return t.Tail(ctx, partition, after, limit)
	}
	head, err := l.Wait(ctx, partition, after)
	if err != nil || head <= after {
		return nil, err
	}
	ns, err := l.Select(ctx, partition, after+1, limit)
	if err == nil && len(ns) == 0 {
		err = fmt.Errorf("eventlog: partition %d: the log returned no notifications though its head is %d", partition, head)
	}
	return ns, err
}

// MultiTailer is a Log that waits for the next notifications of several
// partitions at once (journal.MultiTailer): a runner that follows many
// partitions tails them all in one step per wake-up. errors.ErrUnsupported
// says the log cannot.
type MultiTailer interface {
	TailMany(ctx context.Context, cursors []journal.Cursor, limit int) ([]journal.Notification, error)
}

// Local is the log of an event store's own journal as a Log.
func Local(events *journal.EventStore) Log { return localLog{events} }

type localLog struct{ s *journal.EventStore }

func (l localLog) Partitions() int { return l.s.Journal().Partitions() }
func (l localLog) Select(ctx context.Context, p int, start uint64, limit int) ([]journal.Notification, error) {
	return l.s.Journal().Select(ctx, p, start, limit)
}
func (l localLog) Head(ctx context.Context, p int) (uint64, error) { return l.s.Journal().Head(ctx, p) }
func (l localLog) Wait(ctx context.Context, p int, after uint64) (uint64, error) {
	return l.s.Journal().Wait(ctx, p, after)
}
func (l localLog) Tail(ctx context.Context, p int, after uint64, limit int) ([]journal.Notification, error) {
	return journal.Tail(ctx, l.s.Journal(), p, after, limit)
}
func (l localLog) TailMany(ctx context.Context, cursors []journal.Cursor, limit int) ([]journal.Notification, error) {
	return journal.TailMany(ctx, l.s.Journal(), cursors, limit)
}
func (l localLog) Decode(ctx context.Context, r journal.Record) (domain.Envelope, error) {
	return l.s.Decode(ctx, r)
}
