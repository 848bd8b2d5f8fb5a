package projections

import (
	"context"
	"fmt"
	"slices"

	"github.com/factum-dev/factum/journal"
)

// Reset rebuilds projection name from the start of its log: its workers
// stop after the notification in hand, its checkpoint in every partition
// is set to 0, and new workers handle the whole log again. Its read model
// is not cleared: handlers see every event again, so they must be
// idempotent, or the read model's owner clears it first (a TxStore's
// writes committed with the checkpoint are overwritten as they are
// replayed). A Placed runner (in a cluster) does not reset.
func (r *Runner) Reset(ctx context.Context, name string) error {
	r.mu.Lock()
	if r.state != 1 || r.cfg.Placed {
		r.mu.Unlock()
		return fmt.Errorf("projections: runner: reset %q: needs a started runner that is not placed: %w", name, ErrRunning)
	}
	var old []*worker
	for _, w := range r.workers {
		if w.p.name == name {
			old = append(old, w)
		}
	}
	if len(old) == 0 {
		r.mu.Unlock()
		return fmt.Errorf("projections: runner: reset %q: %w", name, ErrUnknownProjection)
	}
	r.workers = slices.DeleteFunc(r.workers, func(w *worker) bool { return slices.Contains(old, w) })
	r.mu.Unlock()

	for _, w := range old {
		w.n.unsubscribe(w)
		close(w.stop)
	}
	for _, w := range old {
		select {
		case <-w.exited:
		case <-ctx.Done():
			return fmt.Errorf("projections: runner: reset %q: stopping its workers: %w", name, ctx.Err())
		}
	}
	fresh := make([]*worker, 0, len(old))
	for _, o := range old {
		if err := o.store.Save(ctx, name, o.part, 0); err != nil {
			return fmt.Errorf("projections: runner: reset %q partition %d: %w: %w", name, o.part, ErrCheckpoint, err)
		}
		w := &worker{p: o.p, part: o.part, log: o.log, n: o.n, store: o.store, tx: o.tx, handlers: o.handlers, logr: o.logr,
			mbox: make(chan []journal.Notification, 8), stop: make(chan struct{}), exited: make(chan struct{}),
			bo: backoff{min: o.p.opts.minBackoff, max: o.p.opts.maxBackoff}}
		if err := w.begin(ctx); err != nil {
			return err
		}
		w.next, w.saved = 1, 0 // from the start, whatever the projection's Start option says
		w.position.Store(0)
		fresh = append(fresh, w)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != 1 {
		return fmt.Errorf("projections: runner: reset %q: the runner stopped: %w", name, ErrRunning)
	}
	for _, w := range fresh {
		w.n.subscribe(w)
		r.wg.Add(1)
		go func() { defer r.wg.Done(); defer close(w.exited); w.run(r.runCtx) }()
	}
	r.workers = append(r.workers, fresh...)
	r.logr.Info("projection reset: rebuilding from the start", "projection", name, "partitions", len(fresh))
	return nil
}
