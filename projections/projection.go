package projections

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
)

// Notification is where and when an event happened: its place in the log
// and its envelope's metadata. Handlers get it beside the decoded event.
type Notification struct {
	Partition int
	// Position is the event's place in its partition: 1, 2, 3, ...
	Position    uint64
	AggregateID uuid.UUID
	// Version is the aggregate's version after the event.
	Version uint64
	// Type is the event's registered type name.
	Type string
	Time time.Time
	Meta domain.Metadata
}

func notificationOf(n *journal.Notification) Notification {
	return Notification{Partition: n.Partition, Position: n.Position, AggregateID: n.AggregateID, Version: n.Version,
		Type: n.Type, Time: n.Time, Meta: n.Meta}
}

// StartFrom says where a projection starts when it has no say of its own.
type StartFrom int

const (
	// FromCheckpoint (the default) resumes after the stored checkpoint, or
	// from the beginning when there is none.
	FromCheckpoint StartFrom = iota
	// FromBeginning rebuilds: it starts at position 1 whatever the
	// checkpoint says. Clear the read model first.
	FromBeginning
	// FromLatest skips the history: it starts after the head of each
	// partition at Start (unless a checkpoint exists).
	FromLatest
)

func (s StartFrom) String() string {
	switch s {
	case FromBeginning:
		return "beginning"
	case FromLatest:
		return "latest"
	default:
		return "checkpoint"
	}
}

// ProjectionOption sets an optional property of a projection.
type ProjectionOption func(*projectionOptions)

type projectionOptions struct {
	start           StartFrom
	store           CheckpointStore
	log             string
	batch           int
	minBackoff      time.Duration
	maxBackoff      time.Duration
	checkpointEvery time.Duration
	maxAttempts     int
	unreadable      UnreadablePolicy
}

// Start says where the projection starts (default FromCheckpoint).
func Start(s StartFrom) ProjectionOption { return func(o *projectionOptions) { o.start = s } }

// Checkpoints sets the projection's checkpoint store (default: the
// runner's). A TxStore makes the projection exactly-once in effect.
func Checkpoints(s CheckpointStore) ProjectionOption {
	return func(o *projectionOptions) { o.store = s }
}

// Follow makes the projection follow the log the runner knows by name
// (see RunnerConfig.Logs; default "": the local application's log).
func Follow(log string) ProjectionOption { return func(o *projectionOptions) { o.log = log } }

// BatchSize sets how many notifications are read and handled at a time
// (default 1000).
func BatchSize(n int) ProjectionOption { return func(o *projectionOptions) { o.batch = n } }

// Backoff sets the first and the longest wait before a failed handler is
// tried again (default 10 ms and 5 s; the wait doubles after each failure).
func Backoff(first, longest time.Duration) ProjectionOption {
	return func(o *projectionOptions) { o.minBackoff, o.maxBackoff = first, longest }
}

// CheckpointEvery makes a projection on a plain CheckpointStore save its
// checkpoint at most once per d (default 0: after every batch); a clean
// Stop saves the last one. After a crash up to d of notifications are
// handled again. It does not apply to a TxStore, which commits the
// checkpoint with every batch.
func CheckpointEvery(d time.Duration) ProjectionOption {
	return func(o *projectionOptions) { o.checkpointEvery = d }
}

// MaxAttempts sets how many times a notification whose handler fails
// with a fault (actors.KindFault: a bug, a panic, an error of no known
// kind) is tried before it is parked (default 5). A refusal
// (actors.KindRefused) is parked at once, a transient failure
// (actors.KindTransient: unavailable, outcome unknown, ...) is retried
// with backoff for as long as it lasts. A parked notification is
// recorded in the runner's Status (Parked, ParkedRecent) and logged, and
// the projection goes on with the next one: one poison event never blocks
// a partition.
func MaxAttempts(n int) ProjectionOption { return func(o *projectionOptions) { o.maxAttempts = n } }

// UnreadablePolicy says what a projection does with a notification whose
// event cannot be read: shredded (its subject was crypto-shredded) or
// corrupt (it does not decrypt or decode).
type UnreadablePolicy int

const (
	// SkipUnreadable (the default) parks the notification (recorded in
	// Status, as a failed handler's is) and goes on.
	SkipUnreadable UnreadablePolicy = iota
	// StopAtUnreadable stops the projection's partition right before it:
	// Status says Stopped and why; the checkpoint stays before it.
	StopAtUnreadable
)

// OnUnreadable sets the projection's UnreadablePolicy.
func OnUnreadable(p UnreadablePolicy) ProjectionOption {
	return func(o *projectionOptions) { o.unreadable = p }
}

// Projection follows a notification log and hands each event of the types
// it has handlers for (added with On) to its handler, in position order
// within each partition. Events of other types are skipped undecoded.
// Add it to a Runner to run it.
type Projection struct {
	name     string
	opts     projectionOptions
	handlers map[reflect.Type]*handler
	errs     []error
	// pm is the process manager that owns the projection, or nil.
	pm *ProcessManager
}

type handler struct {
	typ  reflect.Type
	zero any
	call func(ctx context.Context, v any, n Notification) error
}

// NewProjection returns a projection with no handlers. Its name is the
// key of its checkpoints: two projections with one name share them.
func NewProjection(name string, opts ...ProjectionOption) *Projection {
	o := projectionOptions{batch: 1000, minBackoff: 10 * time.Millisecond, maxBackoff: 5 * time.Second, maxAttempts: 5}
	for _, opt := range opts {
		opt(&o)
	}
	p := &Projection{name: name, opts: o, handlers: map[reflect.Type]*handler{}}
	switch {
	case name == "":
		p.errs = append(p.errs, fmt.Errorf("projections: a projection has no name: %w", ErrProjection))
	case o.batch < 1:
		p.errs = append(p.errs, fmt.Errorf("projections: projection %q: BatchSize %d, want at least 1: %w", name, o.batch, ErrProjection))
	case o.maxAttempts < 1:
		p.errs = append(p.errs, fmt.Errorf("projections: projection %q: MaxAttempts %d, want at least 1: %w", name, o.maxAttempts, ErrProjection))
	case o.minBackoff <= 0 || o.maxBackoff < o.minBackoff:
		p.errs = append(p.errs, fmt.Errorf("projections: projection %q: Backoff(%v, %v), want 0 < first <= longest: %w",
			name, o.minBackoff, o.maxBackoff, ErrProjection))
	}
	return p
}

// Name returns the projection's name.
func (p *Projection) Name() string { return p.name }

// On adds the projection's handler of events of type E (a registered event
// type). The handler runs in the projection's partition worker, one
// notification at a time. An error it returns stops the partition at that
// notification: it is retried with backoff and the checkpoint does not
// move past it, until it succeeds or is parked (see MaxAttempts). Delivery is at-least-once: after a crash or a failed
// batch, a handler may see a notification again, unless the projection is
// on a TxStore and writes only through its transaction.
func On[E any](p *Projection, h func(ctx context.Context, e E, n Notification) error) {
	t := reflect.TypeFor[E]()
	switch {
	case h == nil:
		p.errs = append(p.errs, fmt.Errorf("projections: projection %q: nil handler for %v: %w", p.name, t, ErrProjection))
		return
	case p.handlers[t] != nil:
		p.errs = append(p.errs, fmt.Errorf("projections: projection %q: two handlers for %v: %w", p.name, t, ErrProjection))
		return
	}
	var zero E
	p.handlers[t] = &handler{typ: t, zero: zero, call: func(ctx context.Context, v any, n Notification) error {
		e, ok := v.(E)
		if !ok {
			return fmt.Errorf("projections: projection %q: %s at position %d decoded to a %T, want a %v: %w",
				p.name, n.Type, n.Position, v, t, ErrProjection)
		}
		return h(ctx, e, n)
	}}
}

// resolve maps the handlers' Go types to their registered names.
func (p *Projection) resolve(reg *domain.Registry) (map[string]*handler, error) {
	if len(p.errs) > 0 {
		return nil, p.errs[0]
	}
	if len(p.handlers) == 0 {
		return nil, fmt.Errorf("projections: projection %q has no handlers: add them with On: %w", p.name, ErrProjection)
	}
	out := make(map[string]*handler, len(p.handlers))
	for t, h := range p.handlers {
		name, err := reg.NameOf(h.zero)
		if err != nil {
			return nil, fmt.Errorf("projections: projection %q: handler for %v: %w", p.name, t, err)
		}
		out[name] = h
	}
	return out, nil
}
