package domain

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Aggregate is an event-sourced aggregate: a struct that embeds Base and
// evolves its state in Apply. Only types that embed Base satisfy it.
type Aggregate interface {
	// Apply evolves the state by one event. It is called for new events by
	// Raise and for stored events when the aggregate is rebuilt. It must
	// return an error (see UnknownEvent) before changing anything when it
	// cannot apply the event.
	Apply(event any) error

	// Provided by Base.
	ID() uuid.UUID
	Version() uint64
	CreatedAt() time.Time
	ModifiedAt() time.Time
	Pending() []Envelope
	CollectEvents() []Envelope
	Discarded() bool
	root() *Base
}

// Base is the part of an aggregate that factum manages: id, version,
// timestamps and the events raised but not yet saved. Embed it by value.
// Its fields are unexported, so encoding/json leaves them out of snapshots.
type Base struct {
	id         uuid.UUID
	version    uint64
	createdAt  time.Time
	modifiedAt time.Time
	clock      Clock
	pending    []Envelope
	discarded  bool
}

func (b *Base) root() *Base { return b }

// ID returns the aggregate's id.
func (b *Base) ID() uuid.UUID { return b.id }

// Version returns the number of events in the aggregate's history,
// including pending ones. A new aggregate is at version 0.
func (b *Base) Version() uint64 { return b.version }

// CreatedAt returns the time of the aggregate's first event.
func (b *Base) CreatedAt() time.Time { return b.createdAt }

// ModifiedAt returns the time of the aggregate's latest event.
func (b *Base) ModifiedAt() time.Time { return b.modifiedAt }

// Pending returns the events raised since the last CollectEvents, oldest
// first. The slice is the aggregate's own: do not change it.
func (b *Base) Pending() []Envelope { return b.pending }

// Discarded reports whether the aggregate was discarded (see Discard):
// its last event is a Discarded event and it takes no more.
func (b *Base) Discarded() bool { return b.discarded }

// CollectEvents returns the pending events and forgets them (nil when
// there are none).
func (b *Base) CollectEvents() []Envelope {
	if len(b.pending) == 0 {
		return nil // a slice handed back with Recycle stays
	}
	p := b.pending
	b.pending = nil
	return p
}

// maxRecycled is the largest slice of events Recycle keeps: an
// aggregate that once raised many events keeps no large slice for good.
const maxRecycled = 8

// Recycle hands back to aggregate a the slice of events that its
// CollectEvents returned, once they are saved and nothing uses the slice
// any more, so that the events the aggregate raises next reuse it instead
// of a new one (the actor runtime does this after each append). It does
// nothing when a has pending events already, or the slice is large. The
// slice must not be used after it was handed back.
func Recycle(a Aggregate, events []Envelope) {
	b := a.root()
	if b.pending != nil || cap(events) == 0 || cap(events) > maxRecycled {
		return
	}
	clear(events) // keeps no event values alive
	b.pending = events[:0]
}

func (b *Base) now() time.Time {
	if b.clock == nil {
		return time.Now().UTC()
	}
	return b.clock.Now()
}

// Init gives a new aggregate its id and the clock that stamps its events
// (nil means the system clock). It does not raise an event: the first
// command method does that.
func Init(a Aggregate, id uuid.UUID, clock Clock) {
	b := a.root()
	b.id = id
	b.clock = clock
}

// SetClock sets the clock of an aggregate that was rebuilt or restored.
func SetClock(a Aggregate, clock Clock) { a.root().clock = clock }

// Raise applies event to the aggregate and, when Apply succeeds, records it
// as pending at the next version. When Apply fails nothing is recorded and
// the version stays as it was.
func Raise(a Aggregate, event any) error {
	b := a.root()
	if b.id == uuid.Nil {
		return fmt.Errorf("domain: raise %T: %w (call domain.Init first)", event, ErrNoID)
	}
	if b.discarded {
		return fmt.Errorf("domain: raise %T on aggregate %s: it was discarded at version %d: %w", event, b.id, b.version, ErrDiscarded)
	}
	if _, ok := event.(Discarded); ok {
		b.discarded = true
	} else if err := a.Apply(event); err != nil {
		return fmt.Errorf("domain: aggregate %s at version %d: apply %T: %w", b.id, b.version, event, err)
	}
	now := b.now()
	b.version++
	if b.version == 1 {
		b.createdAt = now
	}
	b.modifiedAt = now
	b.pending = append(b.pending, Envelope{AggregateID: b.id, Version: b.version, Time: now, Data: event})
	return nil
}

// Replay applies stored events to the aggregate, in order. It first checks
// that every event is the aggregate's (an aggregate with no id takes the id
// of the first event) and that versions follow on from the aggregate's
// version without a gap; when one does not, it returns ErrHistory naming
// both and the aggregate is left as it was. An Apply error part way leaves
// the aggregate half-rebuilt: discard it (Rebuild does).
func Replay(a Aggregate, events ...Envelope) error {
	b := a.root()
	id, v := b.id, b.version
	for _, e := range events {
		if id == uuid.Nil && v == 0 {
			id = e.AggregateID
		}
		if e.AggregateID != id {
			return fmt.Errorf("domain: event %s version %d of aggregate %s cannot be applied to aggregate %s: %w",
				e.Type, e.Version, e.AggregateID, id, ErrHistory)
		}
		if e.Version != v+1 {
			return fmt.Errorf("domain: event %s version %d cannot be applied to aggregate %s at version %d (want version %d): %w",
				e.Type, e.Version, id, v, v+1, ErrHistory)
		}
		v++
	}
	for _, e := range events {
		if b.discarded {
			return fmt.Errorf("domain: aggregate %s: event %s version %d follows its discarding at version %d: %w",
				e.AggregateID, e.Type, e.Version, b.version, ErrHistory)
		}
		if _, ok := e.Data.(Discarded); ok {
			b.discarded = true
		} else if err := a.Apply(e.Data); err != nil {
			return fmt.Errorf("domain: aggregate %s: apply event %s version %d: %w", e.AggregateID, e.Type, e.Version, err)
		}
		b.id = e.AggregateID
		b.version = e.Version
		if e.Version == 1 {
			b.createdAt = e.Time
		}
		b.modifiedAt = e.Time
	}
	return nil
}

// Rebuild makes a new aggregate with newFn and replays events onto it. On
// any error it returns the zero A and the error, so no half-built aggregate
// escapes.
func Rebuild[A Aggregate](newFn func() A, events ...Envelope) (A, error) {
	a := newFn()
	if err := Replay(a, events...); err != nil {
		var zero A
		return zero, err
	}
	return a, nil
}

// UnknownEvent is the error an aggregate's Apply returns for an event type
// it does not handle.
func UnknownEvent(a Aggregate, event any) error {
	return fmt.Errorf("%w: %T has no case for %T", ErrUnknownEvent, a, event)
}

// restoreBase sets the managed fields of a restored aggregate.
func restoreBase(a Aggregate, id uuid.UUID, version uint64, created, modified time.Time) {
	b := a.root()
	b.id, b.version, b.createdAt, b.modifiedAt = id, version, created, modified
	b.pending, b.discarded = nil, false
}

// Discarded is the event that discards an aggregate (the seeds'
// __discard__): it is its last event. Apply never sees it: Raise and
// Replay mark the aggregate discarded instead. Every Registry knows it as
// DiscardedType.
type Discarded struct{}

// DiscardedType is the registered name of the Discarded event.
const DiscardedType = "factum.Discarded"

// Discard discards the aggregate: it raises a Discarded event, after which
// the aggregate raises no more events (ErrDiscarded). Once saved, the
// aggregate is gone from its repository (not found) and its actor refuses
// commands; its history stays readable at earlier versions.
func Discard(a Aggregate) error { return Raise(a, Discarded{}) }
