package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/eventlog"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/snapshots"
)

// Config configures an Application. Registry, Journal and Snapshots are
// required: the application imports no backend (memory.New from
// journal/memory and snapshots/memory give in-memory ones, and
// factum/inmem.NewApplication wires them).
type Config struct {
	// Registry maps event and aggregate types to names. Required.
	Registry *domain.Registry
	// Journal stores events. Required.
	Journal journal.Journal
	// Snapshots stores snapshots. Required.
	Snapshots snapshots.Store
	// Owned are closed by Application.Close, after it stops: what the
	// caller hands over to the application (whoever creates a store
	// closes it; a caller that wants the application to close its stores
	// lists them here).
	Owned []io.Closer
	// Transforms change records on their way into the journal (compression,
	// encryption, hash chain), in order.
	Transforms []journal.Transform
	// SnapshotTransforms change snapshots on their way into the snapshot
	// store (compression, encryption), in order.
	SnapshotTransforms []snapshots.Transform
	// Clock stamps events. Default: the system clock.
	Clock domain.Clock
	// NewID makes aggregate ids. Default: random (v4) UUIDs.
	NewID domain.IDFunc
	// MaxSelectLimit is the largest limit NotificationLog.Select accepts
	// (default 1000).
	MaxSelectLimit int
	// Logger receives the application's logs. Nil discards them.
	Logger *slog.Logger
	// History, when set, reads an aggregate's latest snapshot and the
	// records after it in one request (see HistoryReader); it must read
	// the same Journal and Snapshots. Nil: the snapshot, then the records.
	History HistoryReader
}

// HistoryReader is an optional port: it reads what an aggregate is
// rebuilt from in one request, which a journal and a snapshot store on the
// same server can do (app/redishistory, for Redis). Rebuilding an
// aggregate otherwise reads its latest snapshot, then the events after it:
// two round trips per activation.
type HistoryReader interface {
	// ReadHistory returns aggregate id's stored snapshot with the highest
	// version at most maxVersion (0: any), with found false when there is
	// none, and the aggregate's records after the snapshot's version (all
	// of them when none was found) up to maxVersion (0: to the last). The
	// snapshot and the records are as stored: before the transforms.
	ReadHistory(ctx context.Context, id uuid.UUID, maxVersion uint64) (snap domain.Snapshot, found bool, records []journal.Record, err error)
}

func (c *Config) setDefaults() {
	if c.Clock == nil {
		c.Clock = domain.SystemClock{}
	}
	if c.NewID == nil {
		c.NewID = domain.NewID
	}
	if c.MaxSelectLimit == 0 {
		c.MaxSelectLimit = 1000
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Validate reports the first setting that is wrong.
func (c *Config) Validate() error {
	if c.Registry == nil {
		return errors.New("app: Config.Registry is nil: make one with domain.NewRegistry and register the event types")
	}
	if c.Journal == nil {
		return errors.New("app: Config.Journal is nil: pass a journal (journal/memory, journal/redis), or use inmem.NewApplication")
	}
	if c.Snapshots == nil {
		return errors.New("app: Config.Snapshots is nil: pass a snapshot store (snapshots/memory, snapshots/redis), or use inmem.NewApplication")
	}
	if c.MaxSelectLimit < 0 {
		return fmt.Errorf("app: Config.MaxSelectLimit = %d, want at least 1", c.MaxSelectLimit)
	}
	return nil
}

// Application is the application layer: it saves aggregates, gets them
// back through repositories, snapshots them, and serves the notification
// log.
type Application struct {
	cfg       Config
	events    *journal.EventStore
	snapshots snapshots.Store
	log       *eventlog.NotificationLog

	mu       sync.RWMutex
	policies map[string]snapshots.Policy // aggregate type name -> policy

	closed atomic.Bool
}

// New returns an application configured by cfg.
func New(cfg Config) (*Application, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	app := &Application{cfg: cfg, policies: map[string]snapshots.Policy{}}
	app.events = journal.NewEventStore(cfg.Journal, cfg.Registry, cfg.Transforms...)
	app.snapshots = cfg.Snapshots
	app.log = eventlog.NewNotificationLog(app.events, cfg.MaxSelectLimit)
	return app, nil
}

// Registry returns the application's type registry.
func (a *Application) Registry() *domain.Registry { return a.cfg.Registry }

// Events returns the application's event store.
func (a *Application) Events() *journal.EventStore { return a.events }

// Snapshots returns the application's snapshot store.
func (a *Application) Snapshots() snapshots.Store { return a.snapshots }

// Clock returns the clock that stamps events.
func (a *Application) Clock() domain.Clock { return a.cfg.Clock }

// Logger returns the application's logger.
func (a *Application) Logger() *slog.Logger { return a.cfg.Logger }

// NewID returns a new aggregate id.
func (a *Application) NewID() uuid.UUID { return a.cfg.NewID() }

// NotificationLog returns the log of all events, in the order they were
// saved.
func (a *Application) NotificationLog() *eventlog.NotificationLog { return a.log }

// Log returns the application's own log as an eventlog.Log, the one that
// projections follow.
func (a *Application) Log() eventlog.Log { return eventlog.Local(a.events) }

// SetSnapshotPolicy sets when aggregates of the registered type name are
// snapshotted after a save.
func (a *Application) SetSnapshotPolicy(typeName string, p snapshots.Policy) {
	a.mu.Lock()
	a.policies[typeName] = p
	a.mu.Unlock()
}

func (a *Application) policy(typeName string) snapshots.Policy {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if p, ok := a.policies[typeName]; ok {
		return p
	}
	return snapshots.Never
}

// Save appends the pending events of the aggregates to the journal, all
// or nothing (the seeds' save(a, b)): only if nobody else saved any of
// them since it was got; otherwise nothing is written, no log position is
// used, every aggregate keeps its pending events and the error is
// ErrVersionConflict (a *journal.ConflictError naming the aggregate). It
// returns the log position of each aggregate's last new event (0 for an
// aggregate with nothing pending). Saving several aggregates with events
// needs a journal that appends to several at once (journal.MultiAppender:
// memory, Redis, and Redis Cluster within one partition; across
// partitions Redis Cluster refuses with journal.ErrCrossPartition).
func (a *Application) Save(ctx context.Context, aggregates ...domain.Aggregate) ([]uint64, error) {
	if a.closed.Load() {
		return nil, ErrClosed
	}
	positions := make([]uint64, len(aggregates))
	var batches []journal.Batch
	var which []int
	for i, agg := range aggregates {
		pending := agg.Pending()
		if len(pending) == 0 {
			continue
		}
		name, err := a.cfg.Registry.AggregateName(agg)
		if err != nil {
			return positions, fmt.Errorf("app: save aggregate %s: %w", agg.ID(), err)
		}
		batches = append(batches, journal.Batch{AggregateType: name, AggregateID: agg.ID(),
			Expected: agg.Version() - uint64(len(pending)), Events: pending})
		which = append(which, i)
	}
	if len(batches) == 0 {
		return positions, nil
	}
	lasts, err := a.events.AppendMany(ctx, batches)
	if err != nil {
		if len(batches) == 1 {
			return positions, fmt.Errorf("app: save aggregate %s: %w", batches[0].AggregateID, err)
		}
		return positions, fmt.Errorf("app: save %d aggregates (none saved): %w", len(batches), err)
	}
	for k, i := range which {
		agg := aggregates[i]
		agg.CollectEvents()
		positions[i] = lasts[k]
		a.snapshotDue(ctx, batches[k].AggregateType, agg, batches[k].Expected)
	}
	return positions, nil
}

// SnapshotDue returns the version the snapshot policy of the aggregate
// type asks for after a save from version before to after, or 0.
func (a *Application) SnapshotDue(typeName string, before, after uint64) uint64 {
	return snapshots.Due(a.policy(typeName), before, after)
}

// snapshotDue saves the snapshot the policy asks for after agg was saved
// from version before: of agg itself when the policy names its version,
// or rebuilt at the version it names (a save that went from 3 to 5 with
// SnapshotEvery(4) snapshots version 4). A failure is logged: a snapshot
// is an optimisation and never fails the save that triggered it.
func (a *Application) snapshotDue(ctx context.Context, name string, agg domain.Aggregate, before uint64) {
	v := a.SnapshotDue(name, before, agg.Version())
	if agg.Discarded() && v == agg.Version() {
		return // a discarded aggregate is not snapshotted
	}
	var err error
	switch {
	case v == 0:
		return
	case v == agg.Version():
		err = a.saveSnapshot(ctx, agg)
	default:
		err = a.TakeSnapshot(ctx, agg.ID(), v)
	}
	if err != nil {
		a.cfg.Logger.Warn("snapshot failed", "aggregate", agg.ID(), "version", v, "err", err)
	}
}

func (a *Application) saveSnapshot(ctx context.Context, agg domain.Aggregate) error {
	s, err := a.cfg.Registry.TakeSnapshot(agg)
	if err != nil {
		return err
	}
	return a.StoreSnapshot(ctx, s)
}

// storeSnapshot runs the snapshot transforms on s and saves it.
func (a *Application) StoreSnapshot(ctx context.Context, s domain.Snapshot) error {
	for _, t := range a.cfg.SnapshotTransforms {
		if err := t.EncodeSnapshot(ctx, &s); err != nil {
			return fmt.Errorf("app: snapshot aggregate %s version %d: %w", s.AggregateID, s.Version, err)
		}
	}
	return a.snapshots.Save(ctx, s)
}

// TakeSnapshot snapshots the aggregate at the given version (0: its latest
// version).
func (a *Application) TakeSnapshot(ctx context.Context, id uuid.UUID, version uint64) error {
	agg, err := a.Load(ctx, id, version, nil)
	if err != nil {
		return err
	}
	return a.saveSnapshot(ctx, agg)
}

// Load rebuilds aggregate id at version (0: latest) from its latest
// snapshot at or below that version and the events after it. newFn makes a
// blank aggregate when there is no snapshot; nil means look the type up in
// the registry from the snapshot or fail.
func (a *Application) Load(ctx context.Context, id uuid.UUID, version uint64, newFn func() domain.Aggregate) (domain.Aggregate, error) {
	l, err := a.Rebuild(ctx, id, version, newFn)
	return l.Aggregate, err
}

// Loaded is an aggregate rebuilt by Rebuild, with what it was rebuilt from.
type Loaded struct {
	Aggregate domain.Aggregate
	// SnapshotHeaders are the headers of the snapshot it started from (nil
	// when it was rebuilt from the first event).
	SnapshotHeaders map[string]string
	// Commands are the command ids (causation ids) of the events replayed
	// after the snapshot, with their versions, oldest first.
	Commands []Caused
}

// Caused is a command id recorded as the causation id of the events of
// one version, with the command's fingerprint when one was recorded.
type Caused struct {
	ID      string
	Version uint64
	// Hash is the event's MetaCommandHash ("" when none).
	Hash string
}

// MetaCommandHash is the metadata key (Metadata.Extra) under which the
// actor runtime records a fingerprint of the command that caused an
// event, beside its id (the causation id).
const MetaCommandHash = "factum-command-hash"

// Rebuild is Load that also returns the snapshot headers and the command
// ids of the events it replayed.
func (a *Application) Rebuild(ctx context.Context, id uuid.UUID, version uint64, newFn func() domain.Aggregate) (Loaded, error) {
	var agg domain.Aggregate
	var headers map[string]string
	// want is the type asked for ("" when the caller lets the stored
	// type decide): the snapshot and the first event must be of it.
	var want string
	var blank domain.Aggregate
	if newFn != nil {
		blank = newFn()
		want, _ = a.cfg.Registry.AggregateName(blank)
	}
	var snap domain.Snapshot
	var err error
	// read holds the records after the snapshot (all of them without
	// one), when the history reader read them with it (haveRead).
	var read []journal.Record
	haveRead := false
	if h := a.cfg.History; h != nil {
		haveRead = true
		var found bool
		snap, found, read, err = h.ReadHistory(ctx, id, version)
		switch {
		case err != nil:
			return Loaded{}, fmt.Errorf("app: load aggregate %s: %w", id, err)
		case !found:
			err = fmt.Errorf("app: aggregate %s: %w", id, snapshots.ErrNotFound)
		}
	} else {
		snap, err = a.snapshots.Latest(ctx, id, version)
	}
	if err == nil {
		if want != "" && snap.Type != want {
			return Loaded{}, &WrongTypeError{ID: id, Want: want, Stored: snap.Type}
		}
		agg, err = a.restore(ctx, snap)
		headers = snap.Headers
	}
	switch {
	case err == nil:
	case errors.Is(err, snapshots.ErrNotFound):
	case ctx.Err() != nil:
		return Loaded{}, fmt.Errorf("app: load aggregate %s: %w", id, err)
	default:
		// A snapshot is an optimisation: without one, replay all events.
		a.cfg.Logger.Warn("snapshot not usable, replaying all events", "aggregate", id, "err", err)
		agg, headers, read, haveRead = nil, nil, nil, false
	}
	from := uint64(1)
	if agg != nil {
		from = agg.Version() + 1
	} else {
		if newFn == nil {
			if agg, err = a.blank(ctx, id); err != nil {
				return Loaded{}, err
			}
		} else {
			agg = blank
		}
		domain.Init(agg, id, nil)
	}
	var commands []Caused
	if version == 0 || from <= version {
		// Events are decoded and applied one by one: a long history is
		// never held in memory twice.
		visit := func(e *domain.Envelope) {
			if e.Meta.CausationID != "" {
				commands = append(commands, Caused{ID: e.Meta.CausationID, Version: e.Version, Hash: e.Meta.Extra[MetaCommandHash]})
			}
		}
		if haveRead {
			_, err = a.events.ReplayRecordsAs(ctx, want, agg, id, read, visit)
		} else {
			_, err = a.events.ReplayAs(ctx, want, agg, id, from, version, visit)
		}
		if err != nil {
			var wt *journal.WrongTypeError
			if errors.As(err, &wt) {
				return Loaded{}, &WrongTypeError{ID: id, Want: wt.Want, Stored: wt.Stored}
			}
			return Loaded{}, fmt.Errorf("app: load aggregate %s: %w", id, err)
		}
	}
	if agg.Version() == 0 {
		return Loaded{}, fmt.Errorf("app: aggregate %s: %w", id, ErrAggregateNotFound)
	}
	if agg.Discarded() {
		return Loaded{}, &DiscardedError{AggregateID: id, Version: agg.Version()}
	}
	domain.SetClock(agg, a.cfg.Clock)
	return Loaded{Aggregate: agg, SnapshotHeaders: headers, Commands: commands}, nil
}

// restore decodes a stored snapshot into an aggregate.
func (a *Application) restore(ctx context.Context, snap domain.Snapshot) (domain.Aggregate, error) {
	for i := len(a.cfg.SnapshotTransforms) - 1; i >= 0; i-- {
		if err := a.cfg.SnapshotTransforms[i].DecodeSnapshot(ctx, &snap); err != nil {
			return nil, fmt.Errorf("app: load aggregate %s: snapshot version %d: %w", snap.AggregateID, snap.Version, err)
		}
	}
	return a.cfg.Registry.Restore(snap)
}

// blank returns a new aggregate of the type recorded on id's first event.
func (a *Application) blank(ctx context.Context, id uuid.UUID) (domain.Aggregate, error) {
	first, err := a.events.Journal().Read(ctx, id, 1, 1)
	if err != nil {
		return nil, fmt.Errorf("app: load aggregate %s: %w", id, err)
	}
	if len(first) == 0 {
		return nil, fmt.Errorf("app: aggregate %s: %w", id, ErrAggregateNotFound)
	}
	name := first[0].Headers[journal.HeaderAggregateType]
	if name == "" {
		return nil, fmt.Errorf("app: aggregate %s: its first event does not name its type", id)
	}
	return a.cfg.Registry.NewAggregate(name)
}

// Close closes what Config.Owned lists (nothing else: the stores passed in
// Config belong to whoever made them). It is safe to call more than once.
func (a *Application) Close() error {
	if a.closed.Swap(true) {
		return nil
	}
	var errs []error
	for _, c := range a.cfg.Owned {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// NewHistoryReader returns a HistoryReader that reads the snapshot from
// s, then the records from j: what the application does without one, in
// two requests. It is the reference that app/historytest holds every
// HistoryReader to.
func NewHistoryReader(j journal.Journal, s snapshots.Store) HistoryReader {
	return twoReads{j: j, s: s}
}

type twoReads struct {
	j journal.Journal
	s snapshots.Store
}

func (r twoReads) ReadHistory(ctx context.Context, id uuid.UUID, maxVersion uint64) (domain.Snapshot, bool, []journal.Record, error) {
	snap, err := r.s.Latest(ctx, id, maxVersion)
	found := err == nil
	switch {
	case found:
	case errors.Is(err, snapshots.ErrNotFound):
	default:
		return domain.Snapshot{}, false, nil, err
	}
	from := uint64(1)
	if found {
		from = snap.Version + 1
	}
	if maxVersion != 0 && from > maxVersion {
		return snap, found, nil, nil
	}
	records, err := r.j.Read(ctx, id, from, maxVersion)
	if err != nil {
		return domain.Snapshot{}, false, nil, err
	}
	return snap, found, records, nil
}
