// Package domain is factum's domain layer: event-sourced aggregates, the
// envelopes their events travel in, ids, clocks, and the type registry with
// the codecs that turn events and aggregate state into bytes and back.
//
// An aggregate is a struct that embeds Base and has one Apply method, the
// apply switch that evolves its state by one event. Command methods decide
// and call Raise, which applies the event and records it as pending; the same
// Apply rebuilds the aggregate from its history:
//
//	type Dog struct {
//		domain.Base
//		Name   string
//		Tricks []string
//	}
//
//	func (d *Dog) AddTrick(trick string) error {
//		return domain.Raise(d, TrickAdded{Trick: trick})
//	}
//
//	func (d *Dog) Apply(event any) error {
//		switch e := event.(type) {
//		case Registered:
//			d.Name = e.Name
//		case TrickAdded:
//			d.Tricks = append(d.Tricks, e.Trick)
//		default:
//			return domain.UnknownEvent(d, event)
//		}
//		return nil
//	}
//
// Nothing here is global: a Registry, a Clock and id generation are values
// that the application passes in.
//
// # Caveats
//
// Apply must check before it changes anything: an Apply that returns an
// error after it has changed the state leaves the aggregate half-changed.
// Raise only records an event whose Apply succeeded; Rebuild returns no
// aggregate at all when any event of the history fails.
package domain
