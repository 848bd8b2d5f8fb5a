// Package countertest is a tiny counter aggregate that the tests of the
// actor runtime and of projections share.
package countertest

import (
	"errors"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/domain"
)

// The counter: a tiny aggregate for the actor tests.

// Type is the counter's aggregate type name.
const Type = "test.Counter"

// Opened is the counter's first event.
type Opened struct {
	Start int `json:"start"`
}

// Added adds By to the counter.
type Added struct {
	By int `json:"by"`
}

// Counter is the aggregate.
type Counter struct {
	domain.Base
	Value int `json:"value"`
}

// Apply implements domain.Aggregate.
func (c *Counter) Apply(event any) error {
	switch e := event.(type) {
	case Opened:
		c.Value = e.Start
	case Added:
		c.Value += e.By
	default:
		return domain.UnknownEvent(c, event)
	}
	return nil
}

// Commands.
type (
	// Open creates a counter at Start.
	Open   struct{ Start int }
	Add    struct{ By int }
	Double struct{} // two events
	Noop   struct{}
	Reject struct{ Why string }
	Boom   struct{} // raises an event, then panics
)

// ErrNegative is the rule an Add can break.
var ErrNegative = errors.New("a counter cannot go below zero")

// Aggregate describes the counter for an actor system, with the commands
// Open (create), Add, Double (two events), Noop, Reject (raises, then
// fails) and Boom (raises, then panics).
func Aggregate(opts ...actors.AggregateOption) *actors.AggregateType[*Counter] {
	t := actors.NewAggregateType(Type, func() *Counter { return &Counter{} }, opts...)
	actors.Create(t, "Open", func(c *Counter, o Open) error { return domain.Raise(c, Opened(o)) })
	actors.Handle(t, "Add", func(c *Counter, a Add) error {
		if c.Value+a.By < 0 {
			return ErrNegative
		}
		return domain.Raise(c, Added(a))
	})
	actors.Handle(t, "Double", func(c *Counter, _ Double) error {
		return errors.Join(domain.Raise(c, Added{By: 1}), domain.Raise(c, Added{By: 1}))
	})
	actors.Handle(t, "Noop", func(c *Counter, _ Noop) error { return nil })
	actors.Handle(t, "Reject", func(c *Counter, r Reject) error {
		_ = domain.Raise(c, Added{By: 1000}) // changed the state, then failed
		return errors.New(r.Why)
	})
	actors.Handle(t, "Boom", func(c *Counter, _ Boom) error {
		_ = domain.Raise(c, Added{By: 1000})
		panic("boom")
	})
	return t
}

// RegisterEvents registers the counter's events in reg.
func RegisterEvents(reg *domain.Registry) {
	domain.MustRegister[Opened](reg, "test.Opened")
	domain.MustRegister[Added](reg, "test.Added")
}
