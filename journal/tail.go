package journal

import (
	"context"
	"errors"
	"fmt"
)

// Tailer is a Journal that waits for a partition's next notifications
// and returns them in one step, where Wait and then Select would take
// two or more (the Redis journal: one XREAD BLOCK instead of a head read,
// an XREAD BLOCK, another head read and an XRANGE). A notifier that
// follows a busy partition pays that on every wake-up.
type Tailer interface {
	// Tail blocks until the partition has notifications after after, or
	// ctx ends, or a bounded while passes (then it returns none and no
	// error: callers loop), and returns up to limit of them from after+1
	// on, in position order.
	Tail(ctx context.Context, partition int, after uint64, limit int) ([]Notification, error)
}

// Tail is j's Tail when j is a Tailer, otherwise Wait and then Select.
func Tail(ctx context.Context, j Journal, partition int, after uint64, limit int) ([]Notification, error) {
	if t, ok := j.(Tailer); ok {
		return t.Tail(ctx, partition, after, limit)
	}
	head, err := j.Wait(ctx, partition, after)
	if err != nil || head <= after {
		return nil, err
	}
	return j.Select(ctx, partition, after+1, limit)
}

// Cursor is where a reader of one partition stands: it has read up to and
// including After.
type Cursor struct {
	Partition int
	After     uint64
}

// MultiTailer is a Journal that waits for the next notifications of
// several partitions at once and returns them in one step (the Redis
// journal: one XREAD BLOCK over several streams). A node that follows
// many partitions pays one round trip per wake-up for all of them, not
// one per partition.
type MultiTailer interface {
	// TailMany blocks until one of the cursors' partitions has
	// notifications after its cursor, or ctx ends, or a bounded while
	// passes (then it returns none and no error: callers loop), and
	// returns up to limit of each such partition's, from its cursor on:
	// grouped by partition, each partition's in position order. A journal
	// that wraps one that cannot answers errors.ErrUnsupported.
	TailMany(ctx context.Context, cursors []Cursor, limit int) ([]Notification, error)
}

// TailMany is j's TailMany, or errors.ErrUnsupported when j is not a
// MultiTailer.
func TailMany(ctx context.Context, j Journal, cursors []Cursor, limit int) ([]Notification, error) {
	if t, ok := j.(MultiTailer); ok {
		return t.TailMany(ctx, cursors, limit)
	}
	return nil, fmt.Errorf("journal: tail several partitions at once: %w", errors.ErrUnsupported)
}
