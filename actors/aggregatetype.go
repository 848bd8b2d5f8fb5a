package actors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	fastjson "github.com/segmentio/encoding/json"

	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/snapshots"
)

// DefaultPassivateAfter is how long an aggregate actor stays idle before it
// stops itself, unless PassivateAfter says otherwise.
const DefaultPassivateAfter = 2 * time.Minute

// DefaultDedupWindow is how many recent command ids an aggregate keeps,
// unless DedupWindow says otherwise.
const DefaultDedupWindow = 64

// AggregateOption changes how an aggregate type is registered with a
// System.
type AggregateOption func(*aggregateOptions)

type aggregateOptions struct {
	app       []app.AggregateOption
	passivate time.Duration
	dedup     int
	raises    []any
}

// Raises declares the events the aggregate type raises (a value of each,
// such as Raises(Registered{}, TrickAdded{})): Register then checks that
// each is registered in the application's registry, so that a forgotten
// domain.Register is an error when the type is registered rather than on
// its first command.
func Raises(events ...any) AggregateOption {
	return func(o *aggregateOptions) { o.raises = append(o.raises, events...) }
}

// SnapshotEvery snapshots an aggregate each time its version passes a
// multiple of n (n <= 0: never, the default).
func SnapshotEvery(n int) AggregateOption {
	return func(o *aggregateOptions) { o.app = append(o.app, app.SnapshotEvery(n)) }
}

// SnapshotWhen snapshots an aggregate when p says so.
func SnapshotWhen(p snapshots.Policy) AggregateOption {
	return func(o *aggregateOptions) { o.app = append(o.app, app.SnapshotWhen(p)) }
}

// StateOptions passes type options (codec, schema version, upcasters) for
// the aggregate's snapshot state to the registry.
func StateOptions(opts ...domain.TypeOption) AggregateOption {
	return func(o *aggregateOptions) { o.app = append(o.app, app.StateOptions(opts...)) }
}

// PassivateAfter sets how long an aggregate actor of this type stays idle
// before it stops itself (default 2 minutes; d < 0: never).
func PassivateAfter(d time.Duration) AggregateOption {
	return func(o *aggregateOptions) { o.passivate = d }
}

// DedupWindow sets how many of its most recent command ids an aggregate
// remembers to recognise a retried command (default 64; n < 0: none).
func DedupWindow(n int) AggregateOption {
	return func(o *aggregateOptions) { o.dedup = n }
}

// AggregateType describes an aggregate type A for the actor system: its
// registered name, how to make a blank one, its command handlers and its
// options. Make one with NewAggregateType, add handlers with Create and
// Handle, then Register it with a System.
type AggregateType[A domain.Aggregate] struct {
	name     string
	newFn    func() A
	opts     []AggregateOption
	commands map[string]*command
	byType   map[reflect.Type]*command
	errs     []error
}

// NewAggregateType describes the aggregate type A, registered under name.
// newFn makes a blank A (for example func() *Dog { return &Dog{} }).
// Options: SnapshotEvery, SnapshotWhen, StateOptions, PassivateAfter,
// DedupWindow.
func NewAggregateType[A domain.Aggregate](name string, newFn func() A, opts ...AggregateOption) *AggregateType[A] {
	return &AggregateType[A]{name: name, newFn: newFn, opts: opts,
		commands: map[string]*command{}, byType: map[reflect.Type]*command{}}
}

// options applies the system's defaults, then the type's own options.
func (t *AggregateType[A]) options(defaults []AggregateOption) aggregateOptions {
	o := aggregateOptions{passivate: DefaultPassivateAfter, dedup: DefaultDedupWindow}
	for _, opt := range defaults {
		opt(&o)
	}
	for _, opt := range t.opts {
		opt(&o)
	}
	return o
}

// Name returns the aggregate type's registered name.
func (t *AggregateType[A]) Name() string { return t.name }

// Create adds the handler of command name, of type C, that creates an
// aggregate: it runs only on an aggregate with no events (version 0); sent
// to one that exists, the command fails with ErrAlreadyExists. The handler
// decides events by calling the aggregate's methods (which call
// domain.Raise); an error it returns is the command's ErrRejected.
func Create[A domain.Aggregate, C any](t *AggregateType[A], name string, h func(A, C) error) {
	addCommand(t, name, true, plain(h))
}

// CreateResult is Create with a handler that gets the command's context
// (the caller's: its deadline, its values) and returns a result with its
// error. On success the result, encoded as JSON, is the reply's Result
// (and "result" in an HTTP reply); a result of a command answered as a
// duplicate is not kept.
func CreateResult[A domain.Aggregate, C, R any](t *AggregateType[A], name string, h func(context.Context, A, C) (R, error)) {
	addCommand(t, name, true, withResult(h))
}

// Handle adds the handler of command name, of type C, for an existing
// aggregate: sent to an aggregate with no events, the command fails with
// ErrAggregateNotFound.
func Handle[A domain.Aggregate, C any](t *AggregateType[A], name string, h func(A, C) error) {
	addCommand(t, name, false, plain(h))
}

// HandleResult is Handle with a handler that gets the command's context
// and returns a result, as CreateResult.
func HandleResult[A domain.Aggregate, C, R any](t *AggregateType[A], name string, h func(context.Context, A, C) (R, error)) {
	addCommand(t, name, false, withResult(h))
}

// handler is a command handler in the one shape the runtime calls.
type handler[A domain.Aggregate, C any] func(context.Context, A, C) (json.RawMessage, error)

func plain[A domain.Aggregate, C any](h func(A, C) error) handler[A, C] {
	if h == nil {
		return nil
	}
	return func(_ context.Context, a A, c C) (json.RawMessage, error) { return nil, h(a, c) }
}

func withResult[A domain.Aggregate, C, R any](h func(context.Context, A, C) (R, error)) handler[A, C] {
	if h == nil {
		return nil
	}
	return func(ctx context.Context, a A, c C) (json.RawMessage, error) {
		r, err := h(ctx, a, c)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("%w: the result %T does not encode as JSON: %v", ErrResult, r, err)
		}
		return b, nil
	}
}

func addCommand[A domain.Aggregate, C any](t *AggregateType[A], name string, create bool, h handler[A, C]) {
	ct := reflect.TypeFor[C]()
	switch {
	case name == "":
		t.errs = append(t.errs, fmt.Errorf("actors: aggregate type %q: a command of type %v has no name", t.name, ct))
		return
	case h == nil:
		t.errs = append(t.errs, fmt.Errorf("actors: aggregate type %q: command %q has a nil handler", t.name, name))
		return
	case t.commands[name] != nil:
		t.errs = append(t.errs, fmt.Errorf("actors: aggregate type %q: command %q is added twice", t.name, name))
		return
	case t.byType[ct] != nil:
		t.errs = append(t.errs, fmt.Errorf("actors: aggregate type %q: commands %q and %q are both of type %v; give each command its own type",
			t.name, t.byType[ct].name, name, ct))
		return
	}
	refs, err := refsOf(ct)
	if err != nil {
		t.errs = append(t.errs, fmt.Errorf("actors: aggregate type %q: command %q: %w", t.name, name, err))
		return
	}
	c := &command{
		idx:    len(t.commands),
		name:   name,
		create: create,
		typ:    ct,
		decode: func(payload []byte) (any, error) {
			var v C
			if len(refs) > 0 {
				var err error
				if payload, err = resolveRefs(payload, refs); err != nil {
					return nil, err
				}
			}
			// A field the command does not have is an error that names
			// it: a misspelt field is never silently dropped. One parse
			// (segmentio's encoding/json, encoding/json's rules) both
			// checks and decodes the body.
			rest, err := fastjson.Parse(payload, &v, fastjson.DisallowUnknownFields)
			if err != nil {
				return nil, err
			}
			if len(bytes.TrimSpace(rest)) > 0 {
				return nil, errors.New("more than one JSON value")
			}
			return v, nil
		},
		run: func(ctx context.Context, agg domain.Aggregate, v any) (json.RawMessage, error) {
			return h(ctx, agg.(A), v.(C))
		},
	}
	t.commands[name] = c
	t.byType[ct] = c
}

// command is a registered command handler, with the types erased.
type command struct {
	idx    int // its index among its type's commands
	name   string
	create bool
	typ    reflect.Type
	decode func([]byte) (any, error)
	run    func(context.Context, domain.Aggregate, any) (json.RawMessage, error)
}

// value returns the command value v as the handler's type, or decodes
// payload into it.
func (c *command) value(rt *typeRuntime, v any, payload []byte) (any, error) {
	if v != nil {
		if reflect.TypeOf(v) != c.typ {
			return nil, fmt.Errorf("actors: %s command %s: value is a %T, want a %v: %w", rt.name, c.name, v, c.typ, ErrBadCommand)
		}
		return v, nil
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	out, err := c.decode(payload)
	if err != nil {
		return nil, fmt.Errorf("actors: %s command %s: payload does not decode into %v: %v: %w", rt.name, c.name, c.typ, err, ErrBadCommand)
	}
	return out, nil
}

// typeRuntime is a registered aggregate type, with the types erased.
type typeRuntime struct {
	name     string
	newFn    func() domain.Aggregate
	policy   snapshots.Policy
	idle     time.Duration
	dedup    int
	commands map[string]*command
	byType   map[reflect.Type]*command
	router   *router
	obs      []CommandObserver // by command index; nil without an Observer
}

func (t *AggregateType[A]) runtime(o aggregateOptions) (*typeRuntime, error) {
	if err := errors.Join(t.errs...); err != nil {
		return nil, err
	}
	if t.name == "" {
		return nil, errors.New("actors: an aggregate type has no name")
	}
	if t.newFn == nil {
		return nil, fmt.Errorf("actors: aggregate type %q: newFn is nil", t.name)
	}
	if len(t.commands) == 0 {
		return nil, fmt.Errorf("actors: aggregate type %q has no commands: add them with Create and Handle", t.name)
	}
	newFn := t.newFn
	return &typeRuntime{name: t.name, newFn: func() domain.Aggregate { return newFn() },
		policy: app.Options(o.app...).Policy, idle: o.passivate, dedup: o.dedup,
		commands: t.commands, byType: t.byType}, nil
}

// TypeInfo describes a registered aggregate type.
type TypeInfo struct {
	Name string `json:"name"`
	// Commands are the names of all its commands, sorted.
	Commands []string `json:"commands"`
	// CreateCommands are the names of those that create an aggregate.
	CreateCommands []string `json:"create_commands"`
}

func (rt *typeRuntime) info() TypeInfo {
	ti := TypeInfo{Name: rt.name, Commands: []string{}, CreateCommands: []string{}}
	for name, c := range rt.commands {
		ti.Commands = append(ti.Commands, name)
		if c.create {
			ti.CreateCommands = append(ti.CreateCommands, name)
		}
	}
	sort.Strings(ti.Commands)
	sort.Strings(ti.CreateCommands)
	return ti
}

// Register registers the aggregate type t with the system, and with the
// application's domain registry (an aggregate type the registry already
// has under t's name with the same Go type, for example through
// NewRepository, is accepted). Register it before sending it commands.
func Register[A domain.Aggregate](sys *System, t *AggregateType[A]) error {
	o := t.options(sys.cfg.Defaults)
	rt, err := t.runtime(o)
	if err != nil {
		return err
	}
	var missing []string
	for _, e := range o.raises {
		if _, err := sys.app.Registry().NameOf(e); err != nil {
			missing = append(missing, fmt.Sprintf("%T", e))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("actors: aggregate type %q raises %s, not registered: register each with domain.Register before Register: %w",
			t.name, strings.Join(missing, ", "), ErrUnregisteredEvent)
	}
	if err := app.RegisterAggregate(sys.app, t.name, t.newFn, app.Options(o.app...)); err != nil {
		return err
	}
	return sys.addType(rt)
}

// Hostable is an aggregate type of any Go type that can be registered with
// a System: what a server hosts. *AggregateType[A] is one.
type Hostable interface {
	// Name returns the aggregate type's registered name.
	Name() string
	// RegisterWith registers the type with sys (see Register).
	RegisterWith(sys *System) error
}

// RegisterWith registers t with sys: Register(sys, t).
func (t *AggregateType[A]) RegisterWith(sys *System) error { return Register(sys, t) }
