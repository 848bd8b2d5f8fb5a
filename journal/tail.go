package journal

import "context"

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
