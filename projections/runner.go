package projections

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/eventlog"
	"github.com/factum-dev/factum/journal"
)

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	// System is the actor system process managers send their commands
	// to, and whose application's log is the default log. Required unless
	// Logs has a "" log and no process manager is added.
	System *actors.System
	// Logs are the logs projections may follow, by name (see Follow).
	// The "" log defaults to the System's application's log.
	Logs map[string]eventlog.Log
	// Registry decodes the events (default: the System's application's).
	Registry *domain.Registry
	// Checkpoints is the default checkpoint store (default: in memory).
	Checkpoints CheckpointStore
	// Logger receives failures and recoveries (nil: the system's logger,
	// or none).
	Logger *slog.Logger
	// Placed makes Start start nothing: a cluster node starts and stops
	// each partition it owns with StartPartition and StopPartition.
	Placed bool
}

// Runner is a system definition: the projections and process managers
// that follow which logs. Start starts them all (one notification actor
// per followed log partition and one worker per projection and
// partition); Stop stops them cleanly.
type Runner struct {
	cfg   RunnerConfig
	logr  *slog.Logger
	mu    sync.Mutex
	projs []*Projection
	state int // 0 new, 1 started, 2 stopped

	cancel    context.CancelFunc
	runCtx    context.Context // the workers' context (not Placed)
	wg        sync.WaitGroup
	notifiers map[string][]*notifier
	hubs      map[string]*tailHub // per log; nil where the log tails one partition at a time
	workers   []*worker
	stopOnce  sync.Once
	// Placed runners only: each projection's handlers, and what runs per
	// partition.
	handlers map[string]map[string]*handler
	parts    map[int]*partGroup
}

// NewRunner returns a runner with nothing to run yet.
func NewRunner(cfg RunnerConfig) (*Runner, error) {
	logs := map[string]eventlog.Log{}
	for k, v := range cfg.Logs {
		logs[k] = v
	}
	if logs[""] == nil {
		if cfg.System == nil {
			return nil, fmt.Errorf("projections: RunnerConfig: no System and no \"\" log to follow: %w", ErrProjection)
		}
		logs[""] = cfg.System.App().Log()
	}
	cfg.Logs = logs
	if cfg.Registry == nil && cfg.System != nil {
		cfg.Registry = cfg.System.App().Registry()
	}
	if cfg.Registry == nil {
		return nil, fmt.Errorf("projections: RunnerConfig: no Registry and no System: %w", ErrProjection)
	}
	if cfg.Checkpoints == nil {
		cfg.Checkpoints = NewMemoryCheckpoints()
	}
	if cfg.Logger == nil && cfg.System != nil {
		cfg.Logger = cfg.System.Logger()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Runner{cfg: cfg, logr: cfg.Logger}, nil
}

// Runnable is a Projection or a ProcessManager.
type Runnable interface{ projection() *Projection }

func (p *Projection) projection() *Projection { return p }

// Add adds projections and process managers; call it before Start.
func (r *Runner) Add(rs ...Runnable) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != 0 {
		return fmt.Errorf("projections: runner: add after Start: %w", ErrRunning)
	}
	for _, x := range rs {
		p := x.projection()
		if len(p.errs) > 0 {
			return p.errs[0]
		}
		for _, q := range r.projs {
			if q.name == p.name {
				return fmt.Errorf("projections: runner: projection %q is added twice: %w", p.name, ErrProjection)
			}
		}
		if r.cfg.Logs[p.opts.log] == nil {
			return fmt.Errorf("projections: runner: projection %q follows log %q, which the runner does not know: %w", p.name, p.opts.log, ErrProjection)
		}
		if p.pm != nil && p.pm.sys == nil {
			return fmt.Errorf("projections: runner: process manager %q has no system: %w", p.name, ErrProjection)
		}
		r.projs = append(r.projs, p)
	}
	return nil
}

// Start loads the checkpoints and starts every notification actor and
// projection worker. It returns once all have started; a projection that
// is behind catches up in the background.
func (r *Runner) Start(ctx context.Context) (err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer func() {
		if err != nil { // nothing runs: stop the hubs made on the way
			for _, h := range r.hubs {
				if h != nil {
					h.close()
				}
			}
			r.hubs = nil
		}
	}()
	if r.state != 0 {
		return fmt.Errorf("projections: runner: Start twice: %w", ErrRunning)
	}
	reg := r.cfg.Registry
	if r.cfg.Placed {
		r.handlers, r.parts = map[string]map[string]*handler{}, map[int]*partGroup{}
		for _, p := range r.projs {
			handlers, err := p.resolve(reg)
			if err != nil {
				return err
			}
			r.handlers[p.name] = handlers
		}
		r.cancel = func() {}
		r.state = 1
		return nil
	}
	r.notifiers = map[string][]*notifier{}
	var workers []*worker
	for _, p := range r.projs {
		handlers, err := p.resolve(reg)
		if err != nil {
			return err
		}
		log := r.cfg.Logs[p.opts.log]
		ns, err := r.notifiersOf(ctx, p.opts.log, log)
		if err != nil {
			return err
		}
		store := p.opts.store
		if store == nil {
			store = r.cfg.Checkpoints
		}
		tx, _ := store.(TxStore)
		for part, n := range ns {
			w := &worker{p: p, part: part, log: log, n: n, store: store, tx: tx, handlers: handlers, logr: r.logr,
				mbox: make(chan []journal.Notification, 8), stop: make(chan struct{}), exited: make(chan struct{}),
				bo: backoff{min: p.opts.minBackoff, max: p.opts.maxBackoff}}
			if err := w.begin(ctx); err != nil {
				return err
			}
			workers = append(workers, w)
		}
	}
	runCtx, cancel := context.WithCancel(context.Background())
	r.cancel, r.runCtx = cancel, runCtx
	for _, ns := range r.notifiers {
		for _, n := range ns {
			r.wg.Add(1)
			go func() { defer r.wg.Done(); n.run(runCtx) }()
		}
	}
	for _, w := range workers {
		w.n.subscribe(w)
		r.wg.Add(1)
		go func() { defer r.wg.Done(); defer close(w.exited); w.run(runCtx) }()
	}
	r.workers = workers
	r.state = 1
	return nil
}

func (r *Runner) notifiersOf(ctx context.Context, name string, log eventlog.Log) ([]*notifier, error) {
	if ns := r.notifiers[name]; ns != nil {
		return ns, nil
	}
	hub, err := r.hubOf(ctx, name, log)
	if err != nil {
		return nil, err
	}
	ns := make([]*notifier, log.Partitions())
	for i := range ns {
		ns[i] = newNotifier(log, i, 1000, r.logr)
		ns[i].hub = hub
		if err := ns[i].prime(ctx); err != nil {
			return nil, fmt.Errorf("projections: runner: log %q partition %d: head: %w", name, i, err)
		}
	}
	r.notifiers[name] = ns
	return ns, nil
}

// Stop stops every worker after the notification in hand, saves their
// checkpoints, and stops the notification actors. When ctx ends first the
// handlers' contexts are cancelled. It is safe to call more than once.
func (r *Runner) Stop(ctx context.Context) error {
	r.mu.Lock()
	started := r.state == 1
	r.state = 2
	r.mu.Unlock()
	if !started {
		return nil
	}
	var err error
	if r.cfg.Placed {
		r.stopOnce.Do(func() { err = r.stopPartitions(ctx) })
		return err
	}
	r.stopOnce.Do(func() {
		for _, w := range r.workers {
			close(w.stop)
		}
		done := make(chan struct{})
		go func() {
			r.waitWorkers()
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			err = fmt.Errorf("projections: runner: stop: %w", ctx.Err())
		}
		r.cancel()
		<-done
		r.wg.Wait()
		r.closeHubs()
	})
	return err
}

// hubOf returns the tail hub of the named log, made on first use; nil
// when the log tails one partition at a time. Call it with r.mu held.
func (r *Runner) hubOf(ctx context.Context, name string, log eventlog.Log) (*tailHub, error) {
	if h, ok := r.hubs[name]; ok {
		return h, nil
	}
	h, err := newTailHub(ctx, name, log, 1000, r.logr)
	if err != nil {
		return nil, err
	}
	if r.hubs == nil {
		r.hubs = map[string]*tailHub{}
	}
	r.hubs[name] = h
	return h, nil
}

// closeHubs stops the tail hubs, once the notifiers have stopped.
func (r *Runner) closeHubs() {
	r.mu.Lock()
	hubs := r.hubs
	r.hubs = nil
	r.mu.Unlock()
	for _, h := range hubs {
		if h != nil {
			h.close()
		}
	}
}

// Abort stops everything at once, as a crash would: handlers' contexts are
// cancelled and no checkpoint is saved on the way out.
func (r *Runner) Abort() {
	r.mu.Lock()
	started := r.state == 1
	r.state = 2
	r.mu.Unlock()
	if !started {
		return
	}
	r.stopOnce.Do(func() {
		if r.cfg.Placed {
			for _, p := range r.Partitions() {
				_ = r.StopPartition(context.Background(), p, true)
			}
			r.closeHubs()
			return
		}
		r.cancel()
		r.wg.Wait()
		r.closeHubs()
	})
}

// waitWorkers waits until every worker's goroutine has returned.
func (r *Runner) waitWorkers() {
	for _, w := range r.workers {
		<-w.exited
	}
}

// Status is where one projection stands in one partition of its log.
type Status struct {
	Projection string `json:"projection"`
	Log        string `json:"log,omitempty"`
	Partition  int    `json:"partition"`
	// Position is the last position handled (and committed).
	Position uint64 `json:"position"`
	// Head is the partition's last position as the notification actor
	// last saw it.
	Head uint64 `json:"head"`
	// PositionLag is Head - Position.
	PositionLag uint64 `json:"position_lag"`
	// TimeLag is how old the oldest event not yet handled is (0 when
	// level with the head).
	TimeLag time.Duration `json:"time_lag_ns"`
	// Handled counts the events handled since Start; Failures the failed
	// attempts.
	Handled  uint64 `json:"handled"`
	Failures uint64 `json:"failures"`
	// Retrying is true while a failure is being retried, the
	// projection's own or its partition's notification actor's; LastError
	// is the last failure's message.
	Retrying    bool      `json:"retrying"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// Parked counts the notifications parked since Start (see
	// MaxAttempts); ParkedRecent lists the last few.
	Parked       uint64   `json:"parked"`
	ParkedRecent []Parked `json:"parked_recent,omitempty"`
	// Stopped says why the partition stopped (an unreadable notification
	// under OnUnreadable(StopAtUnreadable)); empty while it runs.
	Stopped string `json:"stopped,omitempty"`
}

// Status returns every projection's status in every partition, sorted by
// projection and partition.
func (r *Runner) Status() []Status {
	r.mu.Lock()
	ws := r.workers
	r.mu.Unlock()
	now := time.Now()
	out := make([]Status, 0, len(ws))
	for _, w := range ws {
		s := Status{Projection: w.p.name, Log: w.p.opts.log, Partition: w.part, Position: w.position.Load(),
			Head: w.n.head.Load(), Handled: w.handled.Load(), Failures: w.failures.Load(), Retrying: w.retrying.Load()}
		if s.Head > s.Position {
			s.PositionLag = s.Head - s.Position
			t := w.pendingTime.Load()
			if t == 0 {
				t = w.lastTime.Load()
			}
			if t != 0 {
				s.TimeLag = max(0, now.Sub(time.Unix(0, t)))
			}
		}
		s.Parked = w.parkedN.Load()
		w.errMu.Lock()
		if w.lastErr != nil {
			s.LastError, s.LastErrorAt = w.lastErr.Error(), w.lastErrAt
		}
		s.ParkedRecent = append([]Parked(nil), w.parked...)
		s.Stopped = w.stopped
		w.errMu.Unlock()
		// A failing notifier holds its workers up: they are retrying too.
		if err, at := w.n.lastError(); err != nil {
			s.Retrying = true
			if at.After(s.LastErrorAt) {
				s.LastError, s.LastErrorAt = err.Error(), at
			}
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Projection != out[j].Projection {
			return out[i].Projection < out[j].Projection
		}
		return out[i].Partition < out[j].Partition
	})
	return out
}
