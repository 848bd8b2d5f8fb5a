package actors

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"reflect"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
)

// Command is one command for one aggregate, in the shape of the wire
// format's CommandEnvelope.
type Command struct {
	// AggregateType is the aggregate's registered type name.
	AggregateType string
	AggregateID   uuid.UUID
	// Name is the command's name, as given to Create or Handle.
	Name string
	// Payload is the command as JSON; it is decoded into the handler's
	// command type. Empty means {}.
	Payload []byte
	// Value is the command already decoded, of the handler's command
	// type; when set, Payload is not used.
	Value any
	// CommandID, when set, makes the command idempotent: a command id the
	// aggregate already accepted is answered with its first reply (with
	// Duplicate set) and nothing is written. It is every event's
	// causation id.
	CommandID string
	// CorrelationID is recorded on every event the command raises.
	CorrelationID string
	// NewCommandID says CommandID was made for this command rather than
	// given by the caller (as the server makes one for a request without
	// an Idempotency-Key): it cannot come again, so no fingerprint of the
	// command is computed or kept with its events.
	NewCommandID bool
	// Timeout bounds the wait for the reply when ctx has no deadline (0:
	// SystemConfig.AskTimeout). It costs less than a context with a
	// deadline: the wait uses a timer the system reuses.
	Timeout time.Duration
	// NotBefore, when set with a CommandID, says that the command cannot
	// have been accepted before that time (a process manager's command
	// cannot be older than the event that triggered it). When the id is
	// not in the aggregate's de-duplication window, the aggregate's events
	// since then (less a minute for clocks that disagree) are searched for
	// it (their causation ids), so that a retry after any number of other
	// commands, however long an outage lasted, is still answered as a
	// duplicate and never applied twice.
	NotBefore time.Time
}

// Reply is the outcome of a command that was accepted, in the shape of
// the wire format's CommandReply.
type Reply struct {
	// Version is the aggregate's version after the command.
	Version uint64 `json:"version"`
	// Position is the log position of the command's last event (0 when it
	// raised none, or for a duplicate known only from the journal).
	Position uint64 `json:"position"`
	// Duplicate is true when the command id had been accepted before and
	// this is its first reply again.
	Duplicate bool `json:"duplicate"`
	// Result is what a handler added with CreateResult or HandleResult
	// returned, as JSON (nil for other handlers, and for a duplicate).
	Result json.RawMessage `json:"result,omitempty"`
}

// Dispatch sends a command to its aggregate's actor, activating the actor
// if needed, and waits for the reply: after the journal acknowledged the
// command's events, or with the command's error. When ctx ends first the
// error wraps journal.ErrOutcomeUnknown: the command may still run.
func (s *System) Dispatch(ctx context.Context, c Command) (Reply, error) {
	rt, cmd, v, err := s.resolve(c)
	if err != nil {
		return Reply{}, err
	}
	if r := s.routerOf(); r != nil {
		if c.AggregateID == uuid.Nil {
			return Reply{}, fmt.Errorf("actors: %s command %s: nil aggregate id: %w", rt.name, cmd.name, ErrBadCommand)
		}
		if c.Value != nil && len(c.Payload) == 0 {
			// A command given as a value travels as its JSON.
			b, err := json.Marshal(c.Value)
			if err != nil {
				return Reply{}, fmt.Errorf("actors: %s %s: command %s: encode: %v: %w", rt.name, c.AggregateID, cmd.name, err, ErrBadCommand)
			}
			c.Payload = b
		}
		return r.Route(ctx, c, func(ctx context.Context, c Command) (Reply, error) {
			return s.dispatchLocal(ctx, rt, cmd, c.AggregateID, v, c.CommandID, c.CorrelationID, c.Timeout, c.NotBefore, c.NewCommandID)
		})
	}
	return s.dispatchLocal(ctx, rt, cmd, c.AggregateID, v, c.CommandID, c.CorrelationID, c.Timeout, c.NotBefore, c.NewCommandID)
}

// resolve finds c's type and command and decodes its value.
func (s *System) resolve(c Command) (*typeRuntime, *command, any, error) {
	rt, err := s.typeOf(c.AggregateType)
	if err != nil {
		return nil, nil, nil, err
	}
	cmd := rt.commands[c.Name]
	if cmd == nil {
		return nil, nil, nil, fmt.Errorf("actors: aggregate type %q has no command %q: %w", c.AggregateType, c.Name, ErrUnknownCommand)
	}
	v, err := cmd.value(rt, c.Value, c.Payload)
	if err != nil {
		return nil, nil, nil, err
	}
	return rt, cmd, v, nil
}

// commandHash fingerprints a command sent with an id: its name and its
// value encoded as JSON (the same value however its payload was spaced or
// ordered), so that the id reused for another command is told apart from
// a retry (ErrCommandIDReused).
func commandHash(name string, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write(b)
	return strconv.FormatUint(h.Sum64(), 16)
}

// SendOption sets an optional field of a command sent with Send.
type SendOption func(*Command)

// WithCommandID sets the command's id, for de-duplication.
func WithCommandID(id string) SendOption { return func(c *Command) { c.CommandID = id } }

// WithNotBefore sets the command's NotBefore.
func WithNotBefore(t time.Time) SendOption { return func(c *Command) { c.NotBefore = t } }

// WithCorrelationID sets the command's correlation id.
func WithCorrelationID(id string) SendOption { return func(c *Command) { c.CorrelationID = id } }

// Send sends cmd to aggregate id of aggregateType and waits for its reply,
// as Dispatch does. The command is found by its Go type C.
func Send[C any](ctx context.Context, sys *System, aggregateType string, id uuid.UUID, cmd C, opts ...SendOption) (Reply, error) {
	rt, err := sys.typeOf(aggregateType)
	if err != nil {
		return Reply{}, err
	}
	h := rt.byType[reflect.TypeFor[C]()]
	if h == nil {
		return Reply{}, fmt.Errorf("actors: aggregate type %q has no command of type %v: %w", aggregateType, reflect.TypeFor[C](), ErrUnknownCommand)
	}
	c := sendOptions(opts)
	if r := sys.routerOf(); r != nil {
		if id == uuid.Nil {
			return Reply{}, fmt.Errorf("actors: %s command %s: nil aggregate id: %w", rt.name, h.name, ErrBadCommand)
		}
		return sys.routed(ctx, r, rt, h, id, cmd, c.CommandID, c.CorrelationID, c.NotBefore)
	}
	return sys.dispatchLocal(ctx, rt, h, id, cmd, c.CommandID, c.CorrelationID, 0, c.NotBefore, false)
}

// sendOptions applies opts to a Command. Without options it takes no
// heap: the Command the options are applied to escapes (each option is a
// func given its address), so it is made only when there are some.
func sendOptions(opts []SendOption) Command {
	if len(opts) == 0 {
		return Command{}
	}
	return applyOptions(opts)
}

func applyOptions(opts []SendOption) Command {
	var c Command
	for _, o := range opts {
		o(&c)
	}
	return c
}

func (s *System) dispatchLocal(ctx context.Context, rt *typeRuntime, cmd *command, id uuid.UUID, v any, commandID, correlationID string, wait time.Duration, notBefore time.Time, newID bool) (rep Reply, err error) {
	if rt.obs != nil {
		// The monotonic clock alone: one clock read where time.Now takes
		// two (wall and monotonic).
		start := s.now()
		defer func() { rt.observed(cmd, time.Duration(s.now()-start), err) }()
	}
	if id == uuid.Nil {
		return Reply{}, fmt.Errorf("actors: %s command %s: nil aggregate id: %w", rt.name, cmd.name, ErrBadCommand)
	}
	if err := s.enter(); err != nil {
		return Reply{}, err
	}
	defer s.inflight.Done()
	c := s.getCall()
	c.ctx, c.cmd, c.value, c.commandID, c.correlationID, c.notBefore = ctx, cmd, v, commandID, correlationID, notBefore
	if commandID != "" && !newID {
		c.hash = commandHash(cmd.name, v)
	}
	rt.router.send(id, c)
	// A command that found its actor idle has run on this goroutine: its
	// reply is here already, whatever the context says by now.
	select {
	case res := <-c.done:
		s.putCall(c)
		return res.rep, res.err
	default:
	}
	// A context without a deadline gets the command's Timeout or
	// AskTimeout, on the call's own reused timer: a context.WithTimeout
	// per command would cost a timer and a context.
	var timeout <-chan time.Time
	if wait <= 0 {
		wait = s.cfg.AskTimeout
	}
	if _, ok := ctx.Deadline(); !ok {
		if c.timer == nil {
			c.timer = time.NewTimer(wait)
		} else {
			c.timer.Reset(wait)
		}
		timeout = c.timer.C
	}
	select {
	case res := <-c.done:
		if c.timer != nil {
			c.timer.Stop()
		}
		s.putCall(c)
		return res.rep, res.err
	case <-ctx.Done():
		// The call is the actor's now: it is not pooled again.
		return Reply{}, fmt.Errorf("actors: %s %s: command %s: no reply: %w: %w", rt.name, id, cmd.name, journal.ErrOutcomeUnknown, ctx.Err())
	case <-timeout:
		return Reply{}, fmt.Errorf("actors: %s %s: command %s: no reply within %v: %w: %w", rt.name, id, cmd.name,
			wait, journal.ErrOutcomeUnknown, context.DeadlineExceeded)
	}
}

func (s *System) getCall() *call {
	if c, ok := s.calls.Get().(*call); ok {
		return c
	}
	return &call{done: make(chan callResult, 1)}
}

func (s *System) putCall(c *call) {
	*c = call{done: c.done, timer: c.timer}
	s.calls.Put(c)
}

// State is an aggregate's state at a version.
type State struct {
	Type    string `json:"type"`
	Version uint64 `json:"version"`
	// Data is the aggregate's state in its snapshot encoding (JSON unless
	// the type was registered with another codec).
	Data json.RawMessage `json:"data"`
}

// State returns aggregate id's state at version (0: latest): from its live
// actor when it has one and version is 0 or the actor's version, otherwise
// rebuilt from the repository (without activating an actor). An aggregate
// that never reached version is returned at its latest version.
func (s *System) State(ctx context.Context, aggregateType string, id uuid.UUID, version uint64) (State, error) {
	if r := s.routerOf(); r != nil {
		return r.RouteState(ctx, aggregateType, id, version, func(ctx context.Context) (State, error) {
			return s.StateLocal(ctx, aggregateType, id, version)
		})
	}
	snap, err := s.snapshot(ctx, aggregateType, id, version)
	if err != nil {
		return State{}, err
	}
	return State{Type: snap.Type, Version: snap.Version, Data: snap.Data}, nil
}

// Get returns a private copy of aggregate id's latest state, as State
// finds it.
func Get[A domain.Aggregate](ctx context.Context, sys *System, aggregateType string, id uuid.UUID) (A, error) {
	var zero A
	snap, err := sys.snapshot(ctx, aggregateType, id, 0)
	if err != nil {
		return zero, err
	}
	agg, err := sys.app.Registry().Restore(snap)
	if err != nil {
		return zero, err
	}
	a, ok := agg.(A)
	if !ok {
		return zero, fmt.Errorf("actors: aggregate %s is a %T, not a %T: %w", id, agg, zero, ErrWrongType)
	}
	domain.SetClock(a, sys.app.Clock())
	return a, nil
}

// snapshot encodes aggregate id's state at version, from its live actor
// or from the repository.
func (s *System) snapshot(ctx context.Context, aggregateType string, id uuid.UUID, version uint64) (domain.Snapshot, error) {
	rt, err := s.typeOf(aggregateType)
	if err != nil {
		return domain.Snapshot{}, err
	}
	if err := s.enter(); err != nil {
		return domain.Snapshot{}, err
	}
	defer s.inflight.Done()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.AskTimeout)
		defer cancel()
	}
	if e := rt.router.live(id); e != nil {
		q := &stateQuery{version: version, done: make(chan stateResult, 1)}
		s.root.Send(e.pid, q)
		select {
		case res := <-q.done:
			if res.err != nil || res.ok {
				return res.snap, res.err
			}
		case <-ctx.Done():
			return domain.Snapshot{}, fmt.Errorf("actors: %s %s: state: %w", aggregateType, id, ctx.Err())
		}
	}
	agg, err := s.app.Load(ctx, id, version, rt.newFn)
	if err != nil {
		return domain.Snapshot{}, fmt.Errorf("actors: %s %s: state: %w", aggregateType, id, err)
	}
	return s.app.Registry().TakeSnapshot(agg)
}
