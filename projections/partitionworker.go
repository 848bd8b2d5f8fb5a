package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/eventlog"
	"github.com/factum-dev/factum/journal"
)

// worker is the projection actor of one projection in one partition: one
// goroutine owns its position and runs its handlers one notification at a
// time, in position order.
type worker struct {
	p        *Projection
	part     int
	log      eventlog.Log
	n        *notifier
	store    CheckpointStore
	tx       TxStore // store as a TxStore, or nil
	handlers map[string]*handler
	logr     *slog.Logger
	mbox     chan []journal.Notification

	// stop asks the worker to end after the notification in hand; the
	// context the handlers get ends only on abort.
	stop   chan struct{}
	exited chan struct{}

	next      uint64 // the next position to handle
	saved     uint64 // the last checkpoint saved
	lastSave  time.Time
	bo        backoff
	readahead chan readResult // one Select in flight while a batch is handled
	unsure    bool            // a commit failed: the store's checkpoint tells whether it went through
	// placed: the worker runs in a cluster node's Placed runner, where a
	// checkpoint moved by another worker means the partition moved (or
	// this node took it while the last owner's commit was on its way).
	placed bool
	// stored is the checkpoint the store holds as far as the worker knows
	// (loaded, or last saved or committed): a fenced save or commit
	// expects it. pending is the position of the save or commit whose
	// outcome is unknown (unsure), fenced whether that was a fenced one.
	stored    uint64
	pending   uint64
	fenced    bool
	failPos   uint64 // the position that failed last, and how many times in a row
	failCount int

	// Status, read by other goroutines.
	position    atomic.Uint64 // last position handled (and committed, on a TxStore, unless skipped since the last commit)
	inTx        bool          // handling a batch in a TxStore transaction: position waits for the commit
	lastTime    atomic.Int64  // unix nanos of the last handled event
	pendingTime atomic.Int64  // unix nanos of the oldest event fetched and not yet handled
	handled     atomic.Uint64
	failures    atomic.Uint64
	retrying    atomic.Bool
	parkedN     atomic.Uint64
	errMu       sync.Mutex
	lastErr     error
	lastErrAt   time.Time
	parked      []Parked // the most recent, oldest first
	stopped     string   // why the partition stopped (OnUnreadable(StopAtUnreadable))
}

// Parked is a notification a projection gave up on and went past: its
// handler refused it for good, or failed MaxAttempts times with a fault,
// or its event cannot be read (shredded, corrupt).
type Parked struct {
	Position    uint64    `json:"position"`
	AggregateID uuid.UUID `json:"aggregate_id"`
	Version     uint64    `json:"version"`
	Type        string    `json:"type"`
	// Kind is "refused", "fault", "shredded" or "corrupt".
	Kind     string    `json:"kind"`
	Reason   string    `json:"reason"`
	Attempts int       `json:"attempts"`
	At       time.Time `json:"at"`
}

// keepParked is how many parked notifications a worker's status lists.
const keepParked = 20

// errHalt stops a partition at an unreadable notification.
var errHalt = errors.New("stopped at an unreadable notification")

// parkable counts a failure of notification jn and decides whether it is
// parked now: a refusal or an unreadable event (when skipped) at once, a
// fault after MaxAttempts, a transient failure never. An unreadable event
// under StopAtUnreadable gives errHalt.
func (w *worker) parkable(jn *journal.Notification, err error) (bool, error) {
	if jn.Position != w.failPos {
		w.failPos, w.failCount = jn.Position, 0
	}
	kind := ""
	if mark := eventlog.Mark(err); mark != "" && errors.Is(err, errDecode) {
		if w.p.opts.unreadable == StopAtUnreadable {
			return false, fmt.Errorf("%w: %w", errHalt, err)
		}
		kind = mark
	} else {
		switch k := actors.KindOf(err); k {
		case actors.KindTransient:
			return false, err
		case actors.KindRefused:
			kind = k.String()
		default:
			if w.failCount++; w.failCount < w.p.opts.maxAttempts {
				return false, err
			}
			kind = actors.KindFault.String()
		}
	}
	p := Parked{Position: jn.Position, AggregateID: jn.AggregateID, Version: jn.Version, Type: jn.Type,
		Kind: kind, Reason: err.Error(), Attempts: max(w.failCount, 1), At: time.Now()}
	w.parkedN.Add(1)
	w.errMu.Lock()
	if len(w.parked) == keepParked {
		w.parked = append(w.parked[:0], w.parked[1:]...)
	}
	w.parked = append(w.parked, p)
	w.errMu.Unlock()
	w.logr.Error("projection parked a notification and goes on", "projection", w.p.name, "partition", w.part,
		"position", jn.Position, "type", jn.Type, "aggregate", jn.AggregateID, "kind", kind, "attempts", p.Attempts, "err", err)
	return true, nil
}

// skip moves past jn without handling it.
func (w *worker) skip(jn *journal.Notification) {
	w.next = jn.Position + 1
	w.position.Store(jn.Position)
	w.lastTime.Store(jn.Time.UnixNano())
	w.pendingTime.Store(jn.Time.UnixNano())
}

// halt stops the partition: it records why and waits for the runner to
// stop.
func (w *worker) halt(ctx context.Context, err error) {
	w.retrying.Store(false)
	w.errMu.Lock()
	w.stopped = fmt.Sprintf("stopped before position %d: %v", w.next, err)
	w.lastErr, w.lastErrAt = err, time.Now()
	w.errMu.Unlock()
	w.logr.Error("projection stopped at an unreadable notification", "projection", w.p.name, "partition", w.part,
		"position", w.next, "err", err)
	select {
	case <-w.stop:
	case <-ctx.Done():
	}
}

type readResult struct {
	start uint64
	ns    []journal.Notification
	err   error
}

func (w *worker) stopping() bool {
	select {
	case <-w.stop:
		return true
	default:
		return false
	}
}

// begin finds where the worker starts.
func (w *worker) begin(ctx context.Context) error {
	cp, err := w.store.Load(ctx, w.p.name, w.part)
	if err != nil {
		return fmt.Errorf("projections: projection %q partition %d: load checkpoint: %w: %w", w.p.name, w.part, ErrCheckpoint, err)
	}
	w.stored = cp
	switch {
	case w.p.opts.start == FromBeginning:
		cp = 0
	case w.p.opts.start == FromLatest && cp == 0:
		cp = w.n.head.Load()
	}
	w.next, w.saved, w.lastSave = cp+1, cp, time.Now()
	w.position.Store(cp)
	return nil
}

// run handles notifications until stop or ctx ends.
func (w *worker) run(ctx context.Context) {
	for !w.stopping() && ctx.Err() == nil {
		ns, ok := w.fetch(ctx)
		if !ok {
			break
		}
		// A pushed section is the notifier's size; handle (and commit)
		// it the projection's batch at a time.
		for len(ns) > 0 && !w.stopping() && ctx.Err() == nil {
			k := min(len(ns), w.p.opts.batch)
			w.handle(ctx, ns[:k])
			// What is left follows on, unless the worker resumed from
			// a checkpoint another worker moved (checkpointMoved).
			ns = w.follows(ns[k:])
		}
	}
	if w.readahead != nil {
		<-w.readahead
		w.readahead = nil
	}
	if ctx.Err() == nil {
		w.flush(ctx)
	}
}

// fetch returns the next section to handle: from the mailbox when it
// follows on, otherwise read from the log.
func (w *worker) fetch(ctx context.Context) ([]journal.Notification, bool) {
	for {
		if w.stopping() || ctx.Err() != nil {
			return nil, false
		}
		if w.next <= w.n.head.Load() {
			select {
			case ns := <-w.mbox:
				if ns = w.follows(ns); ns != nil {
					return ns, true
				}
				continue
			default:
			}
			ns, err := w.read(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil, false
				}
				w.fail(fmt.Errorf("projections: projection %q partition %d: read the log from position %d: %w", w.p.name, w.part, w.next, err))
				if !w.bo.sleep(ctx, w.stop) {
					return nil, false
				}
				continue
			}
			return ns, true
		}
		select {
		case ns := <-w.mbox:
			if ns = w.follows(ns); ns != nil {
				return ns, true
			}
		case <-w.stop:
			return nil, false
		case <-ctx.Done():
			return nil, false
		}
	}
}

// follows trims a pushed section to the positions not handled yet; it
// returns nil when nothing is left or when there is a gap before it.
func (w *worker) follows(ns []journal.Notification) []journal.Notification {
	for len(ns) > 0 && ns[0].Position < w.next {
		ns = ns[1:]
	}
	if len(ns) == 0 || ns[0].Position != w.next {
		return nil
	}
	return ns
}

// read reads the next section from the log, and starts reading the one
// after it while this one is handled when the log is further ahead.
func (w *worker) read(ctx context.Context) ([]journal.Notification, error) {
	var ns []journal.Notification
	var err error
	if w.readahead != nil {
		r := <-w.readahead
		w.readahead = nil
		if r.start == w.next {
			ns, err = r.ns, r.err
		}
	}
	if ns == nil && err == nil {
		ns, err = w.log.Select(ctx, w.part, w.next, w.p.opts.batch)
	}
	if err != nil {
		return nil, err
	}
	if len(ns) == 0 {
		return nil, fmt.Errorf("the log returned no notifications though its head is %d", w.n.head.Load())
	}
	if n := len(ns); n == w.p.opts.batch && ns[n-1].Position < w.n.head.Load() {
		start := ns[n-1].Position + 1
		ch := make(chan readResult, 1)
		w.readahead = ch
		go func() {
			more, err := w.log.Select(ctx, w.part, start, w.p.opts.batch)
			ch <- readResult{start: start, ns: more, err: err}
		}()
	}
	return ns, nil
}

// handle handles a section, retrying a failure with backoff until it
// succeeds or the worker stops.
func (w *worker) handle(ctx context.Context, ns []journal.Notification) {
	if len(ns) > 0 {
		w.pendingTime.Store(ns[0].Time.UnixNano())
	}
	for len(ns) > 0 {
		done, err := w.apply(ctx, ns)
		ns = ns[done:]
		if err == nil {
			if len(ns) > 0 { // stopped part way
				return
			}
			break
		}
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errHalt) {
			w.halt(ctx, err)
			return
		}
		if errors.Is(err, ErrCheckpointMoved) {
			w.checkpointMoved(ctx, err)
			return
		}
		w.fail(err)
		if w.stopping() || !w.bo.sleep(ctx, w.stop) {
			return
		}
	}
	w.pendingTime.Store(0)
	if w.retrying.Load() {
		w.retrying.Store(false)
		w.logr.Info("projection recovered", "projection", w.p.name, "partition", w.part, "position", w.position.Load())
	}
	w.bo.reset()
}

func (w *worker) fail(err error) {
	w.failures.Add(1)
	w.retrying.Store(true)
	w.errMu.Lock()
	w.lastErr, w.lastErrAt = err, time.Now()
	w.errMu.Unlock()
	w.logr.Error("projection failed; retrying", "projection", w.p.name, "partition", w.part,
		"position", w.next, "retry_in", w.bo.cur*2, "err", err)
}

// apply handles ns in order and moves the checkpoint; it returns how many
// notifications are done (handled and checkpointed, or committed).
func (w *worker) apply(ctx context.Context, ns []journal.Notification) (int, error) {
	if w.tx != nil {
		return w.applyTx(ctx, ns)
	}
	every := w.p.opts.checkpointEvery
	if !w.handles(ns) {
		every = max(every, skippedCheckpointEvery)
	}
	for i := range ns {
		if i > 0 && w.stopping() {
			return i, w.checkpoint(ctx, every)
		}
		if err := w.one(ctx, &ns[i]); err != nil {
			park, err := w.parkable(&ns[i], err)
			if !park {
				return i, errors.Join(err, w.checkpoint(ctx, every))
			}
			w.skip(&ns[i])
		}
	}
	return len(ns), w.checkpoint(ctx, every)
}

// skippedCheckpointEvery is how often at most a projection saves (or
// commits) its checkpoint after sections of the log of which it handles
// nothing: a projection of a few event types that follows a busy log
// would otherwise write its checkpoint for every few events of other
// types. Stopped or restarted, it reads those again, and handles none of
// them.
const skippedCheckpointEvery = time.Second

// handles says whether the projection has a handler for one of ns.
func (w *worker) handles(ns []journal.Notification) bool {
	for i := range ns {
		if w.handlers[ns[i].Type] != nil {
			return true
		}
	}
	return false
}

// applyTx handles ns in one transaction of the TxStore. After a commit
// that failed, whose outcome may be unknown, it first asks the store how
// far the checkpoint got, so that a batch that was committed after all is
// not applied twice.
func (w *worker) applyTx(ctx context.Context, ns []journal.Notification) (int, error) {
	skip := 0
	if w.unsure {
		cp, err := w.store.Load(ctx, w.p.name, w.part)
		if err != nil {
			return 0, fmt.Errorf("projections: projection %q partition %d: load checkpoint after a failed commit: %w: %w", w.p.name, w.part, ErrCheckpoint, err)
		}
		w.unsure = false
		if w.fenced {
			switch cp {
			case w.stored: // the commit did not go through
				cp = 0
			case w.pending: // it did
				w.stored = cp
			default:
				return 0, fmt.Errorf("projections: projection %q partition %d: after a failed commit at %d expecting %d, the checkpoint is %d: %w",
					w.p.name, w.part, w.pending, w.stored, cp, ErrCheckpointMoved)
			}
		}
		if first := ns[0].Position; cp >= first && cp <= ns[len(ns)-1].Position {
			skip = int(cp - first + 1)
			w.next, w.saved = cp+1, cp
			w.position.Store(cp)
			w.lastTime.Store(ns[skip-1].Time.UnixNano())
			if skip == len(ns) {
				return skip, nil
			}
		}
	}
	if ns = ns[skip:]; !w.handles(ns) && time.Since(w.lastSave) < skippedCheckpointEvery {
		// Nothing to handle: the checkpoint moves later (flush commits
		// it on a clean stop).
		for i := range ns {
			w.skip(&ns[i])
		}
		return skip + len(ns), nil
	}
	done, err := w.commitTx(ctx, ns)
	return skip + done, err
}

// commitTx handles ns in one transaction of the TxStore. After a failure at
// notification i it commits ns[:i] again on its own, so that the
// checkpoint stops right before the failure.
func (w *worker) commitTx(ctx context.Context, ns []journal.Notification) (int, error) {
	txCtx, tx, err := w.tx.Begin(ctx, w.p.name, w.part)
	if err != nil {
		return 0, fmt.Errorf("projections: projection %q partition %d: begin at position %d: %w", w.p.name, w.part, ns[0].Position, err)
	}
	next, pos, last := w.next, w.position.Load(), w.lastTime.Load()
	// Within the transaction, one moves w.next only: the position and
	// time that Status reports move when the commit went through.
	w.inTx = true
	for i := range ns {
		if i > 0 && w.stopping() {
			ns = ns[:i]
			break
		}
		if err := w.one(txCtx, &ns[i]); err != nil {
			w.inTx = false
			tx.Rollback()
			w.next, _ = next, w.position.Swap(pos)
			w.lastTime.Store(last)
			if i == 0 {
				// Park it (what its handler wrote is rolled back) with a
				// transaction of its own that only moves the checkpoint.
				park, err := w.parkable(&ns[0], err)
				if !park {
					return 0, err
				}
				if err := w.skipTx(ctx, &ns[0]); err != nil {
					return 0, err
				}
				if len(ns) == 1 {
					return 1, nil
				}
				done, err := w.commitTx(ctx, ns[1:])
				return 1 + done, err
			}
			park, err := w.parkable(&ns[i], err)
			done, err2 := w.commitTx(ctx, ns[:i])
			if !park || err2 != nil {
				return done, errors.Join(err, err2)
			}
			if err := w.skipTx(ctx, &ns[i]); err != nil {
				return done, err
			}
			if i+1 == len(ns) {
				return done + 1, nil
			}
			more, err := w.commitTx(ctx, ns[i+1:])
			return done + 1 + more, err
		}
	}
	w.inTx = false
	at := ns[len(ns)-1].Position
	if err := w.commit(ctx, tx, at); err != nil {
		w.next, _ = next, w.position.Swap(pos)
		w.lastTime.Store(last)
		return 0, err
	}
	w.saved = at
	w.position.Store(at)
	w.lastTime.Store(ns[len(ns)-1].Time.UnixNano())
	return len(ns), nil
}

// skipTx commits the checkpoint at jn's position in a transaction of its
// own.
func (w *worker) skipTx(ctx context.Context, jn *journal.Notification) error {
	_, tx, err := w.tx.Begin(ctx, w.p.name, w.part)
	if err != nil {
		return fmt.Errorf("projections: projection %q partition %d: begin at position %d: %w", w.p.name, w.part, jn.Position, err)
	}
	if err := w.commit(ctx, tx, jn.Position); err != nil {
		return err
	}
	w.saved = jn.Position
	w.skip(jn)
	return nil
}

// commit commits tx at position at: on condition that the checkpoint is
// still the one the worker knows when the store can (FencedTx).
func (w *worker) commit(ctx context.Context, tx Tx, at uint64) error {
	var err error
	ftx, fenced := tx.(FencedTx)
	if fenced {
		err = ftx.CommitIf(ctx, w.stored, at)
	} else {
		err = tx.Commit(ctx, at)
	}
	if err == nil {
		w.stored, w.lastSave = at, time.Now()
		return nil
	}
	if errors.Is(err, ErrCheckpointMoved) {
		return fmt.Errorf("projections: projection %q partition %d: commit at position %d: %w", w.p.name, w.part, at, err)
	}
	w.unsure, w.pending, w.fenced = true, at, fenced
	return fmt.Errorf("projections: projection %q partition %d: commit at position %d: %w: %w", w.p.name, w.part, at, ErrCheckpoint, err)
}

// save saves position as the checkpoint: on condition that the checkpoint
// is still the one the worker knows when the store can
// (FencedCheckpoints). After a save whose outcome is unknown it first
// asks the store whether it went through.
func (w *worker) save(ctx context.Context, position uint64) error {
	fs, fenced := w.store.(FencedCheckpoints)
	if !fenced {
		return w.store.Save(ctx, w.p.name, w.part, position)
	}
	if w.unsure {
		cp, err := w.store.Load(ctx, w.p.name, w.part)
		if err != nil {
			return err
		}
		switch cp {
		case w.stored:
		case w.pending:
			w.stored = cp
		default:
			return fmt.Errorf("after a failed save at %d expecting %d, the checkpoint is %d: %w", w.pending, w.stored, cp, ErrCheckpointMoved)
		}
		w.unsure = false
	}
	err := fs.SaveIf(ctx, w.p.name, w.part, w.stored, position)
	switch {
	case err == nil:
		w.stored = position
	case !errors.Is(err, ErrCheckpointMoved):
		w.unsure, w.pending, w.fenced = true, position, true
	}
	return err
}

// checkpointMoved handles ErrCheckpointMoved: another worker of this
// projection and partition moved the checkpoint, so this one's batch was
// not written and its position is stale. It does not retry the batch. On
// one node (two runners share the store) the partition stops, as for an
// unreadable notification. In a Placed runner it means the partition
// moved to another node, which this node's runner stops at once; but it
// also happens to the new owner when the last owner's commit was on its
// way as the new owner loaded the checkpoint: so the worker resumes from
// the stored checkpoint after a backoff, until it is stopped. Every
// commit being conditional, two workers at once still apply each
// notification once.
func (w *worker) checkpointMoved(ctx context.Context, err error) {
	w.failures.Add(1)
	w.retrying.Store(false)
	w.errMu.Lock()
	w.lastErr, w.lastErrAt = err, time.Now()
	w.errMu.Unlock()
	if !w.placed {
		err = fmt.Errorf("%w (two runners of projection %q share its checkpoint store; stop one)", err, w.p.name)
		w.errMu.Lock()
		w.stopped = fmt.Sprintf("stopped before position %d: %v", w.next, err)
		w.lastErr = err
		w.errMu.Unlock()
		w.logr.Error("projection stopped: another runner moved its checkpoint", "projection", w.p.name, "partition", w.part,
			"position", w.next, "err", err)
		select {
		case <-w.stop:
		case <-ctx.Done():
		}
		return
	}
	w.logr.Warn("projection's checkpoint moved: another node committed in this partition; dropping the batch and resuming from the stored checkpoint",
		"projection", w.p.name, "partition", w.part, "position", w.next, "err", err)
	for w.bo.sleep(ctx, w.stop) {
		cp, err := w.store.Load(ctx, w.p.name, w.part)
		if err != nil {
			w.fail(fmt.Errorf("projections: projection %q partition %d: load checkpoint after it moved: %w: %w", w.p.name, w.part, ErrCheckpoint, err))
			continue
		}
		w.next, w.saved, w.stored, w.lastSave, w.unsure = cp+1, cp, cp, time.Now(), false
		w.position.Store(cp)
		w.pendingTime.Store(0)
		w.bo.reset()
		return
	}
}

// errDecode marks a failure to decode a notification's event (beside
// ErrHandler).
var errDecode = errors.New("decode")

// one handles one notification: skipped undecoded when the projection has
// no handler for its type.
func (w *worker) one(ctx context.Context, jn *journal.Notification) error {
	if h := w.handlers[jn.Type]; h != nil {
		e, err := w.log.Decode(ctx, jn.Record)
		if err != nil {
			return fmt.Errorf("projections: projection %q partition %d position %d: %w %s: %w: %w",
				w.p.name, w.part, jn.Position, errDecode, jn.Type, ErrHandler, err)
		}
		if err := w.call(ctx, h, e.Data, notificationOf(jn)); err != nil {
			return fmt.Errorf("projections: projection %q partition %d position %d (%s of %s): %w: %w",
				w.p.name, w.part, jn.Position, jn.Type, jn.AggregateID, ErrHandler, err)
		}
		w.handled.Add(1)
	}
	w.next = jn.Position + 1
	w.pendingTime.Store(jn.Time.UnixNano())
	if !w.inTx {
		w.position.Store(jn.Position)
		w.lastTime.Store(jn.Time.UnixNano())
	}
	return nil
}

// call runs a handler, turning a panic into an error.
func (w *worker) call(ctx context.Context, h *handler, v any, n Notification) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", actors.ErrHandlerPanic, r)
		}
	}()
	return h.call(ctx, v, n)
}

// checkpoint saves the position handled, unless the last save was less
// than every ago (0: save now).
func (w *worker) checkpoint(ctx context.Context, every time.Duration) error {
	pos := w.position.Load()
	if pos == w.saved || time.Since(w.lastSave) < every {
		return nil
	}
	if err := w.save(ctx, pos); err != nil {
		return fmt.Errorf("projections: projection %q partition %d: save checkpoint %d: %w: %w", w.p.name, w.part, pos, ErrCheckpoint, err)
	}
	w.saved, w.lastSave = pos, time.Now()
	return nil
}

// flush saves the last checkpoint on a clean stop: on a TxStore, the
// position of notifications skipped since the last commit.
func (w *worker) flush(ctx context.Context) {
	if w.tx != nil {
		pos := w.position.Load()
		if pos == w.saved || w.unsure {
			return
		}
		_, tx, err := w.tx.Begin(ctx, w.p.name, w.part)
		if err == nil {
			if err = w.commit(ctx, tx, pos); err == nil {
				w.saved = pos
				return
			}
		}
		// Not an error of the projection's: those notifications are read
		// again, and skipped again, by the next worker.
		w.logr.Debug("projection: committing the checkpoint of skipped notifications on stop failed", "projection", w.p.name, "partition", w.part, "position", pos, "err", err)
		return
	}
	if err := w.checkpoint(ctx, 0); err != nil {
		w.logr.Error("projection: saving the checkpoint on stop failed", "projection", w.p.name, "partition", w.part, "err", err)
	}
}
