package projections

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/factum-dev/factum/journal"
)

// Placed runs: in a cluster, each node runs the notifiers and workers of
// the partitions it owns only. A runner made with RunnerConfig.Placed
// starts none in Start; StartPartition and StopPartition start and stop
// those of one partition (of every log followed) as the node acquires
// and gives up partitions.

// partGroup is what runs for one partition.
type partGroup struct {
	ctx     context.Context // the workers' (ends at abort)
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	workers []*worker
}

// StartPartition starts the notifier and every projection's worker of
// partition p, each resuming from its checkpoint. Starting a partition
// that runs does nothing.
func (r *Runner) StartPartition(ctx context.Context, p int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != 1 || !r.cfg.Placed {
		return fmt.Errorf("projections: runner: StartPartition needs a started runner with Placed: %w", ErrRunning)
	}
	if r.parts[p] != nil {
		return nil
	}
	g := &partGroup{}
	notifiers := map[string]*notifier{}
	for _, pr := range r.projs {
		log := r.cfg.Logs[pr.opts.log]
		if p >= log.Partitions() {
			continue
		}
		n := notifiers[pr.opts.log]
		if n == nil {
			hub, err := r.hubOf(ctx, pr.opts.log, log)
			if err != nil {
				return err
			}
			n = newNotifier(log, p, 1000, r.logr)
			n.hub = hub
			if err := n.prime(ctx); err != nil {
				return fmt.Errorf("projections: runner: log %q partition %d: head: %w", pr.opts.log, p, err)
			}
			notifiers[pr.opts.log] = n
		}
		store := pr.opts.store
		if store == nil {
			store = r.cfg.Checkpoints
		}
		tx, _ := store.(TxStore)
		w := &worker{p: pr, part: p, log: log, n: n, store: store, tx: tx, handlers: r.handlers[pr.name], logr: r.logr,
			mbox: make(chan []journal.Notification, 8), stop: make(chan struct{}), exited: make(chan struct{}),
			bo: backoff{min: pr.opts.minBackoff, max: pr.opts.maxBackoff}, placed: true}
		if err := w.begin(ctx); err != nil {
			return err
		}
		g.workers = append(g.workers, w)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	g.ctx, g.cancel = runCtx, cancel
	for _, n := range notifiers {
		g.wg.Add(1)
		go func() { defer g.wg.Done(); n.run(runCtx) }()
	}
	for _, w := range g.workers {
		w.n.subscribe(w)
		g.wg.Add(1)
		go func() { defer g.wg.Done(); defer close(w.exited); w.run(runCtx) }()
	}
	r.parts[p] = g
	r.workers = append(r.workers, g.workers...)
	return nil
}

// StopPartition stops partition p's workers after the notification in
// hand (saving their checkpoints) and its notifier. When ctx ends first,
// or with abort, the handlers' contexts are cancelled and no checkpoint
// is saved on the way out (the partition was lost: another node may own
// it now). Stopping a partition that does not run does nothing.
func (r *Runner) StopPartition(ctx context.Context, p int, abort bool) error {
	r.mu.Lock()
	g := r.parts[p]
	delete(r.parts, p)
	var ws []*worker
	if g != nil {
		ws = slices.Clone(g.workers) // Restart changes g.workers under r.mu
	}
	r.mu.Unlock()
	if g == nil {
		return nil
	}
	var err error
	if abort {
		g.cancel()
	} else {
		for _, w := range ws {
			close(w.stop)
		}
		done := make(chan struct{})
		go func() {
			for _, w := range ws {
				<-w.exited
			}
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			err = fmt.Errorf("projections: runner: stop partition %d: %w", p, ctx.Err())
		}
		g.cancel()
	}
	g.wg.Wait()
	r.mu.Lock()
	r.workers = slices.DeleteFunc(r.workers, func(w *worker) bool { return slices.Contains(ws, w) })
	r.mu.Unlock()
	return err
}

// Partitions returns the partitions a Placed runner runs, sorted.
func (r *Runner) Partitions() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]int, 0, len(r.parts))
	for p := range r.parts {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// stopPartitions stops every placed partition (Stop).
func (r *Runner) stopPartitions(ctx context.Context) error {
	var errs []error
	for _, p := range r.Partitions() {
		if err := r.StopPartition(ctx, p, ctx.Err() != nil); err != nil {
			errs = append(errs, err)
		}
	}
	r.closeHubs()
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}
