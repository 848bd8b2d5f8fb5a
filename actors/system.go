package actors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/google/uuid"

	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/eventlog"
)

// SystemConfig configures a System.
type SystemConfig struct {
	// App is the application the actors save to and load from. Required.
	// It stays the caller's: System.Close does not close it (whoever
	// creates closes).
	App *app.Application
	// Logger receives the system's logs, and protoactor's at
	// ActorLogLevel and above. Nil: the application's logger.
	Logger *slog.Logger
	// ActorLogLevel is the lowest level of protoactor's own logs that are
	// passed on (nil: slog.LevelWarn, quiet).
	ActorLogLevel slog.Leveler
	// AskTimeout bounds a Dispatch, Send, State or Get whose context has
	// no deadline (default 30 s).
	AskTimeout time.Duration
	// Defaults are aggregate options applied to every registered type
	// before the type's own (a server's snapshot interval and passivation
	// timeout, say); the type's own options win.
	Defaults []AggregateOption
	// JournalTimeout, when more than 0, bounds each journal and
	// snapshot-store operation an actor makes. By default (0) they are
	// bounded by the stores' own timeouts (as go-redis's read and write
	// timeouts) and cancelled when Close ends: a context with a deadline
	// per command costs a timer.
	JournalTimeout time.Duration
	// SnapshotQueue is how many snapshots may wait for the writer (default
	// 4096); a snapshot that finds the queue full is dropped and logged.
	SnapshotQueue int
	// SnapshotWriters is how many goroutines write snapshots (default 2).
	SnapshotWriters int
	// Stamp, when set, is called on the metadata of every event an actor
	// is about to append (a cluster node records the writer in Extra).
	Stamp func(id uuid.UUID, m *domain.Metadata)
	// Observer watches commands, activations, passivations and snapshots
	// (for metrics); nil: none.
	Observer Observer
	// Tracer starts spans of the phases of each command; nil: none.
	Tracer Tracer
}

func (c *SystemConfig) setDefaults() {
	if c.Logger == nil && c.App != nil {
		c.Logger = c.App.Logger()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.ActorLogLevel == nil {
		c.ActorLogLevel = slog.LevelWarn
	}
	if c.AskTimeout == 0 {
		c.AskTimeout = 30 * time.Second
	}
	if c.SnapshotQueue == 0 {
		c.SnapshotQueue = 4096
	}
	if c.SnapshotWriters == 0 {
		c.SnapshotWriters = 2
	}
}

// Validate reports the first setting that is wrong.
func (c *SystemConfig) Validate() error {
	switch {
	case c.App == nil:
		return errors.New("actors: SystemConfig.App is nil: make one with NewApplication")
	case c.AskTimeout < 0:
		return fmt.Errorf("actors: SystemConfig.AskTimeout = %v, want more than 0", c.AskTimeout)
	case c.SnapshotQueue < 0:
		return fmt.Errorf("actors: SystemConfig.SnapshotQueue = %d, want at least 1", c.SnapshotQueue)
	case c.SnapshotWriters < 0:
		return fmt.Errorf("actors: SystemConfig.SnapshotWriters = %d, want at least 1", c.SnapshotWriters)
	}
	return nil
}

// System runs one persistent actor per live aggregate on protoactor-go:
// commands for an aggregate go to its actor, which handles them one at a
// time; many aggregates run in parallel.
type System struct {
	cfg       SystemConfig
	app       *app.Application
	log       *slog.Logger
	as        *actor.ActorSystem
	root      *actor.RootContext
	snapshots *snapshotWriter
	start     time.Time
	pool      *workerPool
	// base is the context of the actors' journal operations; Close
	// cancels it last.
	base       context.Context
	cancelBase context.CancelFunc
	calls      sync.Pool // of *call
	router     atomic.Pointer[Router]

	typesMu sync.RWMutex
	types   map[string]*typeRuntime

	// closeMu guards closed and the Add of inflight: Close sets closed,
	// then waits for the commands already in flight.
	closeMu  sync.RWMutex
	closed   bool
	inflight sync.WaitGroup
	// actors counts the live actors; each calls Done when it has stopped.
	actors sync.WaitGroup

	stopSweep chan struct{}
	sweeper   sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// NewSystem starts an actor system on cfg.App.
func NewSystem(cfg SystemConfig) (*System, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &System{cfg: cfg, app: cfg.App, log: cfg.Logger, start: time.Now(),
		types: map[string]*typeRuntime{}, stopSweep: make(chan struct{})}
	actorLog := slog.New(levelHandler{min: cfg.ActorLogLevel, h: cfg.Logger.Handler()}).With("lib", "protoactor")
	s.as = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return actorLog }))
	s.root = s.as.Root
	s.pool = newWorkerPool(300, 10*time.Second)
	s.base, s.cancelBase = context.WithCancel(context.Background())
	s.snapshots = newSnapshotWriter(s)
	return s, nil
}

// App returns the application the system saves to.
func (s *System) App() *app.Application { return s.app }

// Logger returns the system's logger.
func (s *System) Logger() *slog.Logger { return s.log }

// NotificationLog returns the application's log of all events.
func (s *System) NotificationLog() *eventlog.NotificationLog { return s.app.NotificationLog() }

// now is the system's monotonic clock, in nanoseconds since it started.
func (s *System) now() int64 { return int64(time.Since(s.start)) }

func (s *System) addType(rt *typeRuntime) error {
	s.typesMu.Lock()
	defer s.typesMu.Unlock()
	if s.types[rt.name] != nil {
		return fmt.Errorf("actors: aggregate type %q is registered twice with the system", rt.name)
	}
	rt.router = newRouter(s, rt)
	rt.obs = s.commandObservers(rt)
	s.types[rt.name] = rt
	if rt.idle > 0 {
		s.startSweeper(rt)
	}
	return nil
}

func (s *System) typeOf(name string) (*typeRuntime, error) {
	s.typesMu.RLock()
	rt := s.types[name]
	s.typesMu.RUnlock()
	if rt == nil {
		return nil, fmt.Errorf("actors: aggregate type %q: %w", name, ErrUnknownType)
	}
	return rt, nil
}

// Types describes the registered aggregate types, sorted by name.
func (s *System) Types() []TypeInfo {
	s.typesMu.RLock()
	out := make([]TypeInfo, 0, len(s.types))
	for _, rt := range s.types {
		out = append(out, rt.info())
	}
	s.typesMu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Live returns the number of live aggregate actors of a type.
func (s *System) Live(aggregateType string) int {
	rt, err := s.typeOf(aggregateType)
	if err != nil {
		return 0
	}
	return rt.router.count()
}

// Evict stops the live actors of aggregate id (of whichever type) and
// returns how many it found. Messages already queued for one are handled
// on a fresh load from the stores, and the next command or query rebuilds
// the aggregate: what a shred of its data key needs, so that no decrypted
// state outlives it in memory. It does not wait for the actors to stop.
func (s *System) Evict(id uuid.UUID) int {
	s.typesMu.RLock()
	defer s.typesMu.RUnlock()
	n := 0
	for _, rt := range s.types {
		if rt.router.evict(id) {
			n++
		}
	}
	return n
}

// spawn starts the actor of aggregate id.
func (s *System) spawn(r *router, id uuid.UUID, e *entry) *actor.PID {
	s.actors.Add(1)
	a := &aggregateActor{r: r, e: e, id: id, seen: dedup{max: r.rt.dedup}}
	return s.root.Spawn(actor.PropsFromProducer(func() actor.Actor { return a },
		actor.WithDispatcher(s.pool), actor.WithMailbox(newCallerRunsMailbox)))
}

// startSweeper starts the goroutine that passivates the type's idle actors.
func (s *System) startSweeper(rt *typeRuntime) {
	every := min(max(rt.idle/4, 5*time.Millisecond), 10*time.Second)
	s.sweeper.Add(1)
	go func() {
		defer s.sweeper.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-s.stopSweep:
				return
			case <-t.C:
				if n := rt.router.sweep(s.now() - int64(rt.idle)); n > 0 {
					s.log.Debug("passivated idle aggregates", "type", rt.name, "count", n)
					if s.cfg.Observer != nil {
						s.cfg.Observer.Passivated(rt.name, n)
					}
				}
			}
		}
	}()
}

// enter counts a command or query in flight, or fails after Close.
func (s *System) enter() error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	s.inflight.Add(1)
	return nil
}

// Close stops taking commands, waits for the ones in flight, stops the
// actors, writes the queued snapshots, flushes the journal (when it has a
// Flush(ctx) error method) and stops protoactor. It leaves the
// application open: whoever made it closes it, after the system.
// It is safe to call more than once.
func (s *System) Close() error {
	s.closeOnce.Do(func() {
		s.closeMu.Lock()
		s.closed = true
		s.closeMu.Unlock()
		s.inflight.Wait()

		close(s.stopSweep)
		s.sweeper.Wait()
		s.typesMu.RLock()
		for _, rt := range s.types {
			rt.router.stopAll()
		}
		s.typesMu.RUnlock()
		s.actors.Wait()

		s.snapshots.close()
		var errs []error
		if f, ok := s.app.Events().Journal().(interface{ Flush(context.Context) error }); ok {
			ctx, cancel := s.journalContext()
			errs = append(errs, f.Flush(ctx))
			cancel()
		}
		s.as.Shutdown()
		s.pool.close()
		s.cancelBase()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// levelHandler passes on the records at min and above.
type levelHandler struct {
	min slog.Leveler
	h   slog.Handler
}

func (l levelHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= l.min.Level() && l.h.Enabled(ctx, level)
}
func (l levelHandler) Handle(ctx context.Context, r slog.Record) error { return l.h.Handle(ctx, r) }
func (l levelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return levelHandler{min: l.min, h: l.h.WithAttrs(as)}
}
func (l levelHandler) WithGroup(name string) slog.Handler {
	return levelHandler{min: l.min, h: l.h.WithGroup(name)}
}
