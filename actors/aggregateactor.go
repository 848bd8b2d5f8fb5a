package actors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/google/uuid"

	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/snapshots"
)

// aggregateActor is the persistent actor of one aggregate. Its mailbox
// serialises the commands; it handles one at a time, blocking on the
// journal while the next commands queue. A command that finds the actor
// idle runs on the sender's goroutine; the ones queued behind it run on a
// goroutine of the worker pool (see callerRunsMailbox): never two at once.
type aggregateActor struct {
	r  *router
	e  *entry
	id uuid.UUID
	// agg is the current state, or nil when it must be (re)loaded from
	// the journal before the next message: after activation failed, after
	// a handler panicked or left events it did not save, after an append
	// failed or its outcome is unknown.
	agg  domain.Aggregate
	seen dedup
	// wrongType is set when the id belongs to an aggregate of another
	// type: every command and query is answered with it, for good.
	wrongType error
	// discarded is the version at which the aggregate was discarded (0:
	// it was not): its actor refuses every command and query.
	discarded uint64
	// dropped is set once the state of an evicted actor was dropped.
	dropped bool
}

// Receive implements actor.Actor.
func (a *aggregateActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *call:
		a.dropIfEvicted()
		a.command(m)
		a.handled(ctx)
	case *stateQuery:
		a.dropIfEvicted()
		a.state(m)
		a.handled(ctx)
	case *actor.Started:
		// Activation: the first message loads the state (ensureLoaded),
		// in its own context, so that the load is part of its trace;
		// commands sent meanwhile wait in the mailbox, in order.
	case *actor.Stopped:
		a.r.sys.actors.Done()
	}
}

func (a *aggregateActor) handled(ctx actor.Context) {
	a.e.idleSince.Store(a.r.sys.now())
	if a.e.pending.Add(-1) == 0 && a.e.evicted.Load() {
		ctx.Stop(ctx.Self())
	}
}

// dropIfEvicted forgets the state of an evicted actor (System.Evict), once:
// the messages still queued for it are handled on a fresh load from the
// stores, which refuses a shredded aggregate.
func (a *aggregateActor) dropIfEvicted() {
	if a.e.evicted.Load() && !a.dropped {
		a.agg, a.discarded, a.dropped = nil, 0, true
	}
}

// load rebuilds the state from the latest snapshot and the events after
// it; an aggregate with no events starts blank at version 0.
func (a *aggregateActor) load() (err error) {
	a.agg = nil
	if o := a.r.sys.cfg.Observer; o != nil {
		start := time.Now()
		defer func() { o.Activated(a.r.rt.name, time.Since(start), err) }()
	}
	ctx, cancel := a.r.sys.journalContext()
	defer cancel()
	l, err := a.r.sys.app.Rebuild(ctx, a.id, 0, a.r.rt.newFn)
	var discarded *app.DiscardedError
	switch {
	case errors.Is(err, ErrWrongType):
		a.wrongType = fmt.Errorf("actors: %s %s: %w", a.r.rt.name, a.id, err)
		return a.wrongType
	case errors.As(err, &discarded):
		a.discarded = discarded.Version
		return nil
	case errors.Is(err, ErrAggregateNotFound):
		agg := a.r.rt.newFn()
		domain.Init(agg, a.id, a.r.sys.app.Clock())
		a.agg = agg
		a.seen.reset(nil, nil)
		return nil
	case err != nil:
		return fmt.Errorf("actors: %s %s: load: %w", a.r.rt.name, a.id, err)
	}
	a.agg = l.Aggregate
	a.seen.reset(l.SnapshotHeaders, l.Commands)
	return nil
}

// ensureLoaded loads the state when there is none; ctx (nil: none) is
// the context of the message that needs it, and command its name.
func (a *aggregateActor) ensureLoaded(ctx context.Context, command string) error {
	if a.wrongType != nil {
		return a.wrongType
	}
	if a.agg == nil && a.discarded == 0 {
		end := a.r.sys.phase(ctx, "activate", a.r.rt.name, command)
		err := a.load()
		end(err)
		if err != nil {
			a.r.sys.log.Warn("aggregate activation failed", "type", a.r.rt.name, "id", a.id, "err", err)
			return err
		}
	}
	if a.discarded > 0 {
		return fmt.Errorf("actors: %s %s: %w", a.r.rt.name, a.id, &app.DiscardedError{AggregateID: a.id, Version: a.discarded})
	}
	return nil
}

// command runs one command and replies to its caller.
func (a *aggregateActor) command(c *call) {
	if err := c.ctx.Err(); err != nil {
		c.reply(Reply{}, fmt.Errorf("actors: %s %s: command %s was not run: %w", a.r.rt.name, a.id, c.cmd.name, err))
		return
	}
	if err := a.ensureLoaded(c.ctx, c.cmd.name); err != nil {
		if acc, ok := a.seen.find(c.commandID); ok && a.discarded > 0 {
			// A retry of the command that discarded it, say.
			c.reply(a.duplicate(c, acc))
			return
		}
		c.reply(Reply{}, err)
		return
	}
	rep, conflict, err := a.execute(c)
	if conflict {
		// Another writer appended first: catch up and try once more.
		a.agg = nil
		if lerr := a.ensureLoaded(c.ctx, c.cmd.name); lerr != nil {
			c.reply(Reply{}, errors.Join(err, lerr))
			return
		}
		rep, conflict, err = a.execute(c)
		if conflict {
			a.agg = nil
		}
	}
	if !conflict && a.agg != nil && mayBeStale(rep, err) {
		// Decided on the actor's state alone: another node may have
		// applied this command, or moved the aggregate on, meanwhile.
		// Catch up with the journal before answering; run it again on the
		// state caught up (a duplicate, when it was this command).
		if err == nil {
			a.seen.forget(c.commandID) // accepted without events: decided again below
		}
		moved, cerr := a.catchUp()
		switch {
		case cerr != nil:
			// The outcome cannot be told: the caller retries.
			rep, err = Reply{}, fmt.Errorf("actors: %s %s: command %s: catch up with the journal: %w", a.r.rt.name, a.id, c.cmd.name, cerr)
		case moved:
			rep, conflict, err = a.execute(c)
			if conflict {
				a.agg = nil
			}
		case err == nil:
			a.seen.add(accepted{ID: c.commandID, Version: rep.Version})
		}
	}
	c.reply(rep, err)
}

// execute decides and appends the events of command c on the current
// state. conflict reports an append that lost to another writer.
func (a *aggregateActor) execute(c *call) (rep Reply, conflict bool, err error) {
	rt := a.r.rt
	if acc, ok := a.seen.find(c.commandID); ok {
		rep, err := a.duplicate(c, acc)
		return rep, false, err
	}
	if !c.notBefore.IsZero() && c.commandID != "" {
		v, err := a.lookBack(c.commandID, c.notBefore)
		if err != nil {
			return Reply{}, false, fmt.Errorf("actors: %s %s: command %s: look for command id %q in the journal: %w", rt.name, a.id, c.cmd.name, c.commandID, err)
		}
		if v > 0 {
			return Reply{Version: v, Duplicate: true}, false, nil
		}
	}
	before := a.agg.Version()
	switch {
	case c.cmd.create && before > 0:
		return Reply{}, false, fmt.Errorf("actors: %s %s: create command %s: %w (at version %d)", rt.name, a.id, c.cmd.name, ErrAlreadyExists, before)
	case !c.cmd.create && before == 0:
		return Reply{}, false, fmt.Errorf("actors: %s %s: command %s: %w", rt.name, a.id, c.cmd.name, ErrAggregateNotFound)
	}
	end := a.r.sys.phase(c.ctx, "handle", rt.name, c.cmd.name)
	result, err := a.run(c)
	end(err)
	if err != nil {
		if errors.Is(err, ErrHandlerPanic) || len(a.agg.Pending()) > 0 {
			a.agg = nil // the handler changed the state: rebuild it
		}
		return Reply{}, false, err
	}
	events := a.agg.CollectEvents()
	if len(events) == 0 {
		a.seen.add(accepted{ID: c.commandID, Version: before, Hash: c.hash})
		return Reply{Version: before, Result: result}, false, nil
	}
	var extra map[string]string
	if c.hash != "" {
		// Durable with the command's id: a retry after passivation or a
		// restart is still told from another command under the same id.
		extra = map[string]string{app.MetaCommandHash: c.hash}
	}
	stamp := a.r.sys.cfg.Stamp
	for i := range events {
		events[i].Meta.CausationID = c.commandID
		events[i].Meta.CorrelationID = c.correlationID
		events[i].Meta.Extra = mergeExtra(events[i].Meta.Extra, extra)
		if stamp != nil {
			stamp(a.id, &events[i].Meta)
		}
	}
	ctx, cancel := a.r.sys.journalContext()
	end = a.r.sys.phase(c.ctx, "append", rt.name, c.cmd.name)
	pos, err := a.r.sys.app.Events().Append(ctx, rt.name, a.id, before, events)
	end(err)
	cancel()
	if a.agg != nil {
		domain.Recycle(a.agg, events) // the journal keeps none of them
	}
	if errors.Is(err, domain.ErrUnknownType) {
		// The events could not be encoded: nothing was sent.
		a.agg = nil
		return Reply{}, false, fmt.Errorf("actors: %s %s: command %s raised an event whose type is not registered (register it with domain.Register): %w: %w",
			rt.name, a.id, c.cmd.name, ErrUnregisteredEvent, err)
	}
	if err != nil {
		a.agg = nil // not saved, or not known to be: reload before the next message
		return Reply{}, errors.Is(err, journal.ErrVersionConflict),
			fmt.Errorf("actors: %s %s: command %s: append at version %d: %w", rt.name, a.id, c.cmd.name, before, err)
	}
	after := a.agg.Version()
	a.seen.add(accepted{ID: c.commandID, Version: after, Position: pos, Hash: c.hash})
	if a.agg.Discarded() {
		// No snapshot of the discarded aggregate, and no more commands.
		a.discarded, a.agg = after, nil
		if v := snapshots.Due(rt.policy, before, after); v > 0 && v < after {
			a.r.sys.snapshots.enqueueAt(rt, a.id, v)
		}
		return Reply{Version: after, Position: pos, Result: result}, false, nil
	}
	switch v := snapshots.Due(rt.policy, before, after); {
	case v == 0:
	case v == after:
		a.snapshot()
	default:
		// The command passed the version the policy names: the writer
		// rebuilds the aggregate at that version, off the command path.
		a.r.sys.snapshots.enqueueAt(rt, a.id, v)
	}
	return Reply{Version: after, Position: pos, Result: result}, false, nil
}

// duplicate answers a command whose id the aggregate accepted before: with
// the first reply when it is the same command, or ErrCommandIDReused when
// the id came with another command (another name or payload).
func (a *aggregateActor) duplicate(c *call, acc accepted) (Reply, error) {
	if acc.Hash != "" && c.hash != "" && acc.Hash != c.hash {
		return Reply{}, fmt.Errorf("actors: %s %s: command %s: command id %q was accepted at version %d for another command: %w",
			a.r.rt.name, a.id, c.cmd.name, c.commandID, acc.Version, ErrCommandIDReused)
	}
	return Reply{Version: acc.Version, Position: acc.Position, Duplicate: true}, nil
}

// mergeExtra returns a new map of extra's and add's keys (extra when add
// is empty): each event gets its own, which a Stamp may change.
func mergeExtra(extra, add map[string]string) map[string]string {
	if len(add) == 0 {
		return extra
	}
	out := make(map[string]string, len(extra)+len(add))
	for k, v := range extra {
		out[k] = v
	}
	for k, v := range add {
		out[k] = v
	}
	return out
}

// lookBackPage is how many events lookBack reads at a time; clockSkew is
// how much earlier than NotBefore it still looks.
const (
	lookBackPage = 256
	clockSkew    = time.Minute
)

// lookBack searches the aggregate's events, newest first, back to the
// first one older than notBefore (less clockSkew), for one caused by
// command id; it returns the version of the newest such event, or 0. It
// reads records undecoded: causation ids are metadata.
func (a *aggregateActor) lookBack(id string, notBefore time.Time) (uint64, error) {
	since := notBefore.Add(-clockSkew)
	ctx, cancel := a.r.sys.journalContext()
	defer cancel()
	j := a.r.sys.app.Events().Journal()
	for to := a.agg.Version(); to > 0; {
		from := uint64(1)
		if to > lookBackPage {
			from = to - lookBackPage + 1
		}
		recs, err := j.Read(ctx, a.id, from, to)
		if err != nil {
			return 0, err
		}
		for i := len(recs) - 1; i >= 0; i-- {
			if recs[i].Meta.CausationID == id {
				return recs[i].Version, nil
			}
			if recs[i].Time.Before(since) {
				return 0, nil
			}
		}
		to = from - 1
	}
	return 0, nil
}

// catchUp applies the events another writer appended after the actor's
// version (another node, a stale activation), and learns their command
// ids; it reports whether there were any.
func (a *aggregateActor) catchUp() (bool, error) {
	ctx, cancel := a.r.sys.journalContext()
	defer cancel()
	n, err := a.r.sys.app.Events().ReplayAs(ctx, a.r.rt.name, a.agg, a.id, a.agg.Version()+1, 0, func(e *domain.Envelope) {
		if e.Meta.CausationID != "" {
			a.seen.add(accepted{ID: e.Meta.CausationID, Version: e.Version})
		}
	})
	if err != nil || (n > 0 && a.agg.Discarded()) {
		a.agg = nil // reload before the next message
		return false, err
	}
	return n > 0, nil
}

// mayBeStale reports whether the outcome of a command was decided on the
// actor's state alone, without the journal's append checking that state
// is current: a refusal, or an acceptance that raised no events.
func mayBeStale(rep Reply, err error) bool {
	if err != nil {
		return errors.Is(err, ErrRejected) || errors.Is(err, ErrAlreadyExists) ||
			(errors.Is(err, ErrAggregateNotFound) && !errors.Is(err, ErrWrongType))
	}
	return !rep.Duplicate && rep.Position == 0
}

// run runs the command's handler and turns its error or panic into the
// command's error.
func (a *aggregateActor) run(c *call) (result json.RawMessage, err error) {
	defer func() {
		if p := recover(); p != nil {
			a.r.sys.log.Error("command handler panicked", "type", a.r.rt.name, "id", a.id, "command", c.cmd.name, "panic", p)
			err = fmt.Errorf("actors: %s %s: command %s: %w: %v", a.r.rt.name, a.id, c.cmd.name, ErrHandlerPanic, p)
		}
	}()
	result, herr := c.cmd.run(c.ctx, a.agg, c.value)
	switch {
	case errors.Is(herr, ErrResult):
		return nil, fmt.Errorf("actors: %s %s: command %s: %w", a.r.rt.name, a.id, c.cmd.name, herr)
	case herr != nil:
		return nil, fmt.Errorf("actors: %s %s: command %s: %w: %w", a.r.rt.name, a.id, c.cmd.name, ErrRejected, herr)
	}
	return result, nil
}

// snapshot encodes the state here, where it is consistent, and leaves the
// write to the system's snapshot writer.
func (a *aggregateActor) snapshot() {
	s, err := a.r.sys.app.Registry().TakeSnapshot(a.agg)
	if err != nil {
		a.r.sys.log.Warn("snapshot failed", "type", a.r.rt.name, "id", a.id, "version", a.agg.Version(), "err", err)
		return
	}
	if h := a.seen.header(); h != "" {
		s.Headers = map[string]string{HeaderRecentCommands: h}
	}
	a.r.sys.snapshots.enqueue(s)
}

// state answers a query with the encoded current state.
func (a *aggregateActor) state(q *stateQuery) {
	if err := a.ensureLoaded(nil, ""); err != nil {
		if a.discarded > 0 && q.version != 0 && q.version < a.discarded {
			q.done <- stateResult{} // its history: the caller asks the repository
			return
		}
		q.done <- stateResult{err: err}
		return
	}
	v := a.agg.Version()
	switch {
	case v == 0:
		q.done <- stateResult{err: fmt.Errorf("actors: %s %s: %w", a.r.rt.name, a.id, ErrAggregateNotFound)}
	case q.version != 0 && q.version != v:
		q.done <- stateResult{} // not at that version: the caller asks the repository
	default:
		s, err := a.r.sys.app.Registry().TakeSnapshot(a.agg)
		q.done <- stateResult{snap: s, ok: err == nil, err: err}
	}
}

// stateQuery asks a live actor for its state at version (0: current).
type stateQuery struct {
	version uint64
	done    chan stateResult
}

type stateResult struct {
	snap domain.Snapshot
	ok   bool
	err  error
}

// call is one command on its way to an actor, with the channel its reply
// comes back on. Calls are pooled: a call is reused only after its reply
// was received.
type call struct {
	ctx           context.Context
	cmd           *command
	value         any
	commandID     string
	hash          string // the command's fingerprint (see payloadHash)
	correlationID string
	notBefore     time.Time
	done          chan callResult
	timer         *time.Timer // AskTimeout, for a context without a deadline
}

type callResult struct {
	rep Reply
	err error
}

func (c *call) reply(rep Reply, err error) { c.done <- callResult{rep: rep, err: err} }

// journalContext bounds one journal operation of an actor.
func (s *System) journalContext() (context.Context, context.CancelFunc) {
	if s.cfg.JournalTimeout <= 0 {
		return s.base, func() {}
	}
	return context.WithTimeout(s.base, s.cfg.JournalTimeout)
}
