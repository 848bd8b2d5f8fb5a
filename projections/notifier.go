package projections

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/factum-dev/factum/eventlog"
	"github.com/factum-dev/factum/journal"
)

// notifier is the notification actor of one log partition: one goroutine
// owns it. It tails the partition (eventlog.Tailer's Tail where the log
// has it: one XREAD BLOCK on Redis that returns the new entries; otherwise
// eventlog.Log.Wait, a wake-up signal on the memory journal, and then
// Select), reads each new section of the log once and pushes it, in
// position order, to the mailboxes of the partition workers subscribed to
// it. Where the log can tail several partitions at once
// (eventlog.MultiTailer: Redis, not Redis Cluster), the runner's tailHub
// reads all of a log's partitions in one step and the notifiers only
// publish.
//
// Backpressure: a mailbox holds a few sections; when a worker's mailbox is
// full the notifier does not wait for it. The worker, finding a gap or its
// mailbox empty while the head is ahead, reads the log itself at full
// speed (catch-up) and takes the pushed sections again once it is level.
// So one slow projection never holds up the others or the notifier, and no
// buffer grows without bound.
type notifier struct {
	log   eventlog.Log
	part  int
	batch int
	logr  *slog.Logger
	hub   *tailHub // tails the partition when set (run only subscribes)

	head atomic.Uint64

	mu   sync.Mutex
	subs []*worker

	// failing is true while reading the partition fails and is retried;
	// lastErr is the last failure (guarded by errMu), for Status.
	failing   atomic.Bool
	errMu     sync.Mutex
	lastErr   error
	lastErrAt time.Time
}

// fail records a failure of the notifier, which it retries.
func (n *notifier) fail(err error) {
	n.errMu.Lock()
	n.lastErr, n.lastErrAt = err, time.Now()
	n.errMu.Unlock()
	n.failing.Store(true)
}

// lastError returns the notifier's last failure while it is failing.
func (n *notifier) lastError() (error, time.Time) {
	if !n.failing.Load() {
		return nil, time.Time{}
	}
	n.errMu.Lock()
	defer n.errMu.Unlock()
	return n.lastErr, n.lastErrAt
}

func newNotifier(log eventlog.Log, part, batch int, logr *slog.Logger) *notifier {
	return &notifier{log: log, part: part, batch: batch, logr: logr}
}

func (n *notifier) unsubscribe(w *worker) {
	n.mu.Lock()
	n.subs = slices.DeleteFunc(slices.Clone(n.subs), func(s *worker) bool { return s == w })
	n.mu.Unlock()
}

func (n *notifier) subscribe(w *worker) {
	n.mu.Lock()
	n.subs = append(n.subs, w)
	n.mu.Unlock()
}

// prime reads the head before the workers start.
func (n *notifier) prime(ctx context.Context) error {
	h, err := n.log.Head(ctx, n.part)
	if err == nil {
		n.head.Store(h)
	}
	return err
}

// run tails the partition until ctx ends; with a hub, the hub tails it
// (with the runner's other partitions of the log) and run only subscribes.
func (n *notifier) run(ctx context.Context) {
	if n.hub != nil {
		n.hub.add(n)
		<-ctx.Done()
		n.hub.remove(n)
		return
	}
	bo := backoff{min: 10 * time.Millisecond, max: 2 * time.Second}
	seen := n.head.Load()
	for ctx.Err() == nil {
		if n.failing.Load() {
			// Wait may block long after the log is back: ask for the
			// head first, so the failure ends as soon as it answers.
			if _, err := n.log.Head(ctx, n.part); err != nil {
				if ctx.Err() != nil {
					return
				}
				n.fail(fmt.Errorf("projections: notification log partition %d: head: %w", n.part, err))
				if !bo.sleep(ctx, nil) {
					return
				}
				continue
			}
			n.failing.Store(false)
		}
		// One step per wake-up where the log has it (Tail), otherwise
		// Wait and Select.
		ns, err := eventlog.Tail(ctx, n.log, n.part, seen, n.batch)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			n.logr.Warn("notification log: tailing the partition failed; retrying", "partition", n.part, "after", seen, "err", err)
			n.fail(fmt.Errorf("projections: notification log partition %d: tail after position %d: %w", n.part, seen, err))
			if !bo.sleep(ctx, nil) {
				return
			}
			continue
		}
		n.failing.Store(false)
		bo.reset()
		if len(ns) > 0 {
			seen = ns[len(ns)-1].Position
			n.publish(ns)
		}
	}
}

// publish moves the head, then offers the section to every subscriber
// without waiting for any.
func (n *notifier) publish(ns []journal.Notification) {
	last := &ns[len(ns)-1]
	if last.Position > n.head.Load() {
		n.head.Store(last.Position)
	}
	n.mu.Lock()
	subs := n.subs
	n.mu.Unlock()
	for _, w := range subs {
		select {
		case w.mbox <- ns:
		default:
			// The worker is busy; it catches up from the log.
		}
	}
}

// backoff is an exponential wait between retries.
type backoff struct {
	min, max time.Duration
	cur      time.Duration
	timer    *time.Timer
}

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else {
		b.cur = min(2*b.cur, b.max)
	}
	return b.cur
}

func (b *backoff) reset() { b.cur = 0 }

// sleep waits for the next backoff, or until ctx ends or stop is closed
// (false). A nil stop never closes.
func (b *backoff) sleep(ctx context.Context, stop <-chan struct{}) bool {
	d := b.next()
	if b.timer == nil {
		b.timer = time.NewTimer(d)
	} else {
		b.timer.Reset(d)
	}
	select {
	case <-b.timer.C:
		return true
	case <-ctx.Done():
	case <-stop:
	}
	b.timer.Stop()
	return false
}
