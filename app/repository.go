package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/snapshots"
)

// Repository gets aggregates of one type back from their events.
type Repository[A domain.Aggregate] struct {
	app   *Application
	name  string
	newFn func() A
}

// AggregateOption changes how an aggregate type is registered.
type AggregateOption func(*AggregateOptions)

// AggregateOptions are what the options of an aggregate type set.
type AggregateOptions struct {
	// Policy says when to snapshot (default: never).
	Policy snapshots.Policy
	// TypeOptions are passed to the registry for the snapshot state.
	TypeOptions []domain.TypeOption
}

// Options applies opts to the defaults.
func Options(opts ...AggregateOption) AggregateOptions {
	o := AggregateOptions{Policy: snapshots.Never}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// SnapshotEvery snapshots an aggregate each time its version passes a
// multiple of n (n <= 0: never, the default).
func SnapshotEvery(n int) AggregateOption {
	return func(o *AggregateOptions) { o.Policy = snapshots.Every(n) }
}

// SnapshotWhen snapshots an aggregate when p says so.
func SnapshotWhen(p snapshots.Policy) AggregateOption {
	return func(o *AggregateOptions) { o.Policy = p }
}

// StateOptions passes type options (codec, schema version, upcasters) for
// the aggregate's snapshot state to the registry.
func StateOptions(opts ...domain.TypeOption) AggregateOption {
	return func(o *AggregateOptions) { o.TypeOptions = append(o.TypeOptions, opts...) }
}

// RegisterAggregate registers the aggregate type A under name in the
// application's registry, with its snapshot policy. An aggregate type the
// registry already has under name with the same Go type is accepted; a
// different Go type under the same name is domain.ErrDuplicateType.
func RegisterAggregate[A domain.Aggregate](app *Application, name string, newFn func() A, o AggregateOptions) error {
	reg := app.Registry()
	if err := domain.RegisterAggregate(reg, name, newFn, o.TypeOptions...); err != nil {
		if !errors.Is(err, domain.ErrDuplicateType) {
			return err
		}
		blank, lookErr := reg.NewAggregate(name)
		if _, same := blank.(A); lookErr != nil || !same {
			return err
		}
	}
	app.SetSnapshotPolicy(name, o.Policy)
	return nil
}

// NewRepository registers the aggregate type A under name in the
// application's registry and returns its repository. newFn makes a blank
// A (for example func() *Dog { return &Dog{} }).
func NewRepository[A domain.Aggregate](app *Application, name string, newFn func() A, opts ...AggregateOption) (*Repository[A], error) {
	if err := RegisterAggregate(app, name, newFn, Options(opts...)); err != nil {
		return nil, err
	}
	return &Repository[A]{app: app, name: name, newFn: newFn}, nil
}

// Name returns the aggregate type's registered name.
func (r *Repository[A]) Name() string { return r.name }

// New returns a blank aggregate with a new id, stamped by the application's
// clock. Its first command method raises its first event.
func (r *Repository[A]) New() A { return r.NewWithID(r.app.NewID()) }

// NewWithID is New with a given id, such as one from domain.NameID.
func (r *Repository[A]) NewWithID(id uuid.UUID) A {
	a := r.newFn()
	domain.Init(a, id, r.app.Clock())
	return a
}

// Get returns the aggregate at its latest version, or ErrAggregateNotFound.
func (r *Repository[A]) Get(ctx context.Context, id uuid.UUID) (A, error) {
	return r.GetAt(ctx, id, 0)
}

// GetAt returns the aggregate as it was at version (at its latest version
// if it never reached it): rebuilt from the latest snapshot at or below
// version and the events after it. version 0 means the latest.
func (r *Repository[A]) GetAt(ctx context.Context, id uuid.UUID, version uint64) (A, error) {
	var zero A
	if r.app.closed.Load() {
		return zero, ErrClosed
	}
	agg, err := r.app.Load(ctx, id, version, func() domain.Aggregate { return r.newFn() })
	if err != nil {
		return zero, err
	}
	a, ok := agg.(A)
	if !ok {
		return zero, fmt.Errorf("app: aggregate %s is a %T, not a %s: %w", id, agg, r.name, ErrWrongType)
	}
	return a, nil
}

// Contains reports whether the aggregate has events and was not discarded.
// A discarded aggregate is never snapshotted and its Discarded event is
// its last, so only the events after its latest snapshot are read.
func (r *Repository[A]) Contains(ctx context.Context, id uuid.UUID) (bool, error) {
	from := uint64(1)
	if s, err := r.app.snapshots.Latest(ctx, id, 0); err == nil {
		from = s.Version + 1
	}
	recs, err := r.app.events.Journal().Read(ctx, id, from, 0)
	if err != nil {
		return false, err
	}
	if len(recs) == 0 {
		return from > 1, nil
	}
	return recs[len(recs)-1].Type != domain.DiscardedType, nil
}

// TakeSnapshot snapshots the aggregate at version (0: its latest).
func (r *Repository[A]) TakeSnapshot(ctx context.Context, id uuid.UUID, version uint64) error {
	a, err := r.GetAt(ctx, id, version)
	if err != nil {
		return err
	}
	return r.app.saveSnapshot(ctx, a)
}
