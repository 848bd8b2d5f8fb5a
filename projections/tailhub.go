package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/factum-dev/factum/eventlog"
	"github.com/factum-dev/factum/journal"
)

// hubSettle is how long the hub lets subscriptions come and go before it
// reads again after one changed: a runner that starts 64 partitions at
// once gets one read for all of them, not 64 interrupted ones.
const hubSettle = 5 * time.Millisecond

// tailHub tails every partition of one log that a runner's notifiers
// follow, in one step per wake-up for all of them (eventlog.MultiTailer:
// one XREAD BLOCK over all the partitions' streams on Redis), and hands
// each partition's new section to its notifier, which publishes it to its
// workers as it would have read it itself. A node that follows 64
// partitions then pays one round trip per wake-up instead of one per
// partition, and under load each wake-up brings many partitions' entries.
//
// One goroutine, started by newTailHub and joined by close, owns the
// reads. A notifier that subscribes while a read is blocked interrupts
// it, so its partition is read at once, not when another partition next
// has news.
type tailHub struct {
	log   eventlog.MultiTailer
	name  string
	batch int
	logr  *slog.Logger

	mu        sync.Mutex
	subs      map[int]*hubSub
	interrupt context.CancelFunc // ends the read in flight, or nil
	changed   chan struct{}      // 1-buffered: subscriptions changed

	ctx    context.Context // ends at close
	cancel context.CancelFunc
	done   chan struct{}
}

// hubSub is one partition's notifier and how far the hub has read it.
type hubSub struct {
	n    *notifier
	seen uint64
}

// newTailHub returns a running hub for log, or nil when the log cannot
// tail several partitions at once (then each notifier tails its own).
func newTailHub(ctx context.Context, name string, log eventlog.Log, batch int, logr *slog.Logger) (*tailHub, error) {
	mt, ok := log.(eventlog.MultiTailer)
	if !ok {
		return nil, nil
	}
	if _, err := mt.TailMany(ctx, nil, batch); err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			return nil, nil
		}
		return nil, fmt.Errorf("projections: runner: log %q: %w", name, err)
	}
	h := &tailHub{log: mt, name: name, batch: batch, logr: logr, subs: map[int]*hubSub{},
		changed: make(chan struct{}, 1), done: make(chan struct{})}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	go h.run()
	return h, nil
}

// add makes the hub read n's partition from n's head on.
func (h *tailHub) add(n *notifier) {
	h.mu.Lock()
	h.subs[n.part] = &hubSub{n: n, seen: n.head.Load()}
	if h.interrupt != nil {
		h.interrupt()
	}
	h.mu.Unlock()
	h.signal()
}

// remove stops reading n's partition (if n still is its notifier).
func (h *tailHub) remove(n *notifier) {
	h.mu.Lock()
	if s := h.subs[n.part]; s != nil && s.n == n {
		delete(h.subs, n.part)
	}
	h.mu.Unlock()
	h.signal()
}

func (h *tailHub) signal() {
	select {
	case h.changed <- struct{}{}:
	default:
	}
}

// close stops the hub and waits for its goroutine. Safe twice.
func (h *tailHub) close() {
	h.cancel()
	<-h.done
}

func (h *tailHub) run() {
	defer close(h.done)
	ctx := h.ctx
	bo := backoff{min: 10 * time.Millisecond, max: 2 * time.Second}
	settle := time.NewTimer(hubSettle)
	defer settle.Stop()
	for ctx.Err() == nil {
		select {
		case <-h.changed:
			// Let a burst of subscriptions settle, then read them all.
			settle.Reset(hubSettle)
			select {
			case <-settle.C:
			case <-ctx.Done():
				return
			}
		default:
		}
		round, interrupt := context.WithCancel(ctx)
		h.mu.Lock()
		cursors := make([]journal.Cursor, 0, len(h.subs))
		subs := make(map[int]*hubSub, len(h.subs))
		for p, s := range h.subs {
			cursors = append(cursors, journal.Cursor{Partition: p, After: s.seen})
			subs[p] = s
		}
		h.interrupt = interrupt
		h.mu.Unlock()
		if len(cursors) == 0 {
			interrupt()
			select {
			case <-h.changed:
				h.signal() // settle first
			case <-ctx.Done():
			}
			continue
		}
		ns, err := h.log.TailMany(round, cursors, h.batch)
		interrupted := round.Err() != nil
		h.mu.Lock()
		h.interrupt = nil
		h.mu.Unlock()
		interrupt()
		if ctx.Err() != nil {
			return
		}
		if interrupted && err != nil {
			continue // a subscription came: read again with it
		}
		if err != nil {
			h.logr.Warn("notification log: tailing the partitions failed; retrying", "log", h.name, "partitions", len(cursors), "err", err)
			for _, s := range subs {
				s.n.fail(fmt.Errorf("projections: notification log partition %d: tail after position %d: %w", s.n.part, s.seen, err))
			}
			if !bo.sleep(ctx, nil) {
				return
			}
			continue
		}
		bo.reset()
		for _, s := range subs {
			s.n.failing.Store(false)
		}
		for len(ns) > 0 {
			p := ns[0].Partition
			end := 1
			for end < len(ns) && ns[end].Partition == p {
				end++
			}
			section := ns[:end:end]
			ns = ns[end:]
			s := subs[p]
			if s == nil {
				continue
			}
			h.mu.Lock()
			if h.subs[p] == s {
				s.seen = section[len(section)-1].Position
			}
			h.mu.Unlock()
			s.n.publish(section)
		}
	}
}
