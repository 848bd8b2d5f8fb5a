package projections

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/factum-dev/factum/journal"
)

// Reset rebuilds projection name from the start of its log: its workers
// stop after the notification in hand, its checkpoint in every partition
// is set to 0, and new workers handle the whole log again. On a
// ResettableStore (every store here) its read model is cleared with the
// checkpoints, in one atomic step; on another store it is not, and its
// handlers see every event again, so they must be idempotent or the read
// model's owner clears it first.
//
// A Placed runner (a cluster node) restarts the workers of the
// partitions it runs, after the reset; the other nodes' workers find
// their next commit refused (the checkpoint moved: commits are
// compare-and-set) and resume from the stored checkpoint, 0, or are
// restarted at once by their node (Restart), which the server asks for.
// A commit of a stale worker, whatever it had loaded, cannot bring back
// an old position.
func (r *Runner) Reset(ctx context.Context, name string) error {
	r.mu.Lock()
	started, placed := r.state == 1, r.cfg.Placed
	r.mu.Unlock()
	if !started {
		return fmt.Errorf("projections: runner: reset %q: needs a started runner: %w", name, ErrRunning)
	}
	p := r.find(name)
	if p == nil {
		return fmt.Errorf("projections: runner: reset %q: %w", name, ErrUnknownProjection)
	}
	if placed {
		return r.restartPlaced(ctx, p, true)
	}
	r.mu.Lock()
	var old []*worker
	for _, w := range r.workers {
		if w.p.name == name {
			old = append(old, w)
		}
	}
	r.workers = slices.DeleteFunc(r.workers, func(w *worker) bool { return slices.Contains(old, w) })
	r.mu.Unlock()

	if err := stopWorkers(ctx, old); err != nil {
		return fmt.Errorf("projections: runner: reset %q: stopping its workers: %w", name, err)
	}
	if err := r.clear(ctx, p); err != nil {
		return err
	}
	fresh := make([]*worker, 0, len(old))
	for _, o := range old {
		w := o.renew()
		if err := w.resume(ctx); err != nil {
			return err
		}
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

// Restart stops the workers of projection name in the partitions a Placed
// runner runs, and starts them again from the stored checkpoints. A
// cluster node calls it when another node reset the projection, so that
// its idle workers rebuild at once.
func (r *Runner) Restart(ctx context.Context, name string) error {
	r.mu.Lock()
	ok := r.state == 1 && r.cfg.Placed
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("projections: runner: restart %q: needs a started Placed runner: %w", name, ErrRunning)
	}
	p := r.find(name)
	if p == nil {
		return fmt.Errorf("projections: runner: restart %q: %w", name, ErrUnknownProjection)
	}
	return r.restartPlaced(ctx, p, false)
}

func (r *Runner) find(name string) *Projection {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.projs {
		if p.name == name {
			return p
		}
	}
	return nil
}

// restartPlaced replaces p's workers in the partitions the runner runs
// with new ones that resume from the store, after clearing the projection
// when reset is true.
func (r *Runner) restartPlaced(ctx context.Context, p *Projection, reset bool) error {
	type slot struct {
		g *partGroup
		w *worker
	}
	var old []slot
	r.mu.Lock()
	for _, g := range r.parts {
		for _, w := range g.workers {
			if w.p == p {
				old = append(old, slot{g, w})
			}
		}
		g.workers = slices.DeleteFunc(g.workers, func(w *worker) bool { return w.p == p })
	}
	r.workers = slices.DeleteFunc(r.workers, func(w *worker) bool { return w.p == p })
	r.mu.Unlock()

	ws := make([]*worker, len(old))
	for i, o := range old {
		ws[i] = o.w
	}
	if err := stopWorkers(ctx, ws); err != nil {
		// They stop after the notification in hand; their commits are
		// refused after the reset. The partitions need new workers
		// anyway.
		r.logr.Warn("projection restart: workers still stopping", "projection", p.name, "err", err)
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
	}
	var errs []error
	if reset {
		// On failure the workers go on from the checkpoints as they are.
		errs = append(errs, r.clear(ctx, p))
	}
	started := 0
	for _, o := range old {
		w := o.w.renew()
		if err := w.resume(ctx); err != nil {
			errs = append(errs, err)
			continue
		}
		r.mu.Lock()
		if r.state == 1 && r.parts[w.part] == o.g { // still runs the partition
			w.n.subscribe(w)
			o.g.workers = append(o.g.workers, w)
			r.workers = append(r.workers, w)
			o.g.wg.Add(1)
			go func() { defer o.g.wg.Done(); defer close(w.exited); w.run(o.g.ctx) }()
			started++
		}
		r.mu.Unlock()
	}
	r.logr.Info("projection restarted from the stored checkpoints", "projection", p.name, "reset", reset, "partitions", started)
	return errors.Join(errs...)
}

// stopWorkers stops ws after the notification in hand and waits for them.
func stopWorkers(ctx context.Context, ws []*worker) error {
	for _, w := range ws {
		w.n.unsubscribe(w)
		close(w.stop)
	}
	for _, w := range ws {
		select {
		case <-w.exited:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// clear sets p's checkpoints in every partition of its log to 0, and
// clears its read model, at once on a ResettableStore.
func (r *Runner) clear(ctx context.Context, p *Projection) error {
	store := p.opts.store
	if store == nil {
		store = r.cfg.Checkpoints
	}
	parts := r.cfg.Logs[p.opts.log].Partitions()
	if rs, ok := store.(ResettableStore); ok {
		if err := rs.ResetProjection(ctx, p.name, parts); err != nil {
			return fmt.Errorf("projections: runner: reset %q: %w: %w", p.name, ErrCheckpoint, err)
		}
		return nil
	}
	for part := range parts {
		if err := store.Save(ctx, p.name, part, 0); err != nil {
			return fmt.Errorf("projections: runner: reset %q partition %d: %w: %w", p.name, part, ErrCheckpoint, err)
		}
	}
	return nil
}

// renew returns a new worker in o's place, not started.
func (o *worker) renew() *worker {
	return &worker{p: o.p, part: o.part, log: o.log, n: o.n, store: o.store, tx: o.tx, handlers: o.handlers, logr: o.logr,
		mbox: make(chan []journal.Notification, 8), stop: make(chan struct{}), exited: make(chan struct{}),
		bo: backoff{min: o.p.opts.minBackoff, max: o.p.opts.maxBackoff}, placed: o.placed}
}

// resume sets the worker to go on from the stored checkpoint, whatever
// the projection's Start option says (it is for the first start).
func (w *worker) resume(ctx context.Context) error {
	if err := w.begin(ctx); err != nil {
		return err
	}
	w.next, w.saved = w.stored+1, w.stored
	w.position.Store(w.stored)
	return nil
}
