// Package school is the DogSchool of the eventsourcing tutorial, in Go: a
// Dog aggregate that is registered and learns tricks, and the School
// application that registers dogs, teaches them and tells about them.
package school

import (
	"errors"
	"fmt"

	"github.com/factum-dev/factum/domain"
)

// Registered is the event of a dog's registration.
type Registered struct {
	Name string `json:"name"`
}

// TrickAdded is the event of a dog learning a trick.
type TrickAdded struct {
	Trick string `json:"trick"`
}

// Dog is an event-sourced aggregate.
type Dog struct {
	domain.Base
	Name   string   `json:"name"`
	Tricks []string `json:"tricks"`
}

// ErrAlreadyRegistered is returned when a registered dog is registered again.
var ErrAlreadyRegistered = errors.New("dog already registered")

// Register registers the dog under name.
func (d *Dog) Register(name string) error {
	if d.Version() > 0 {
		return fmt.Errorf("dog %s: %w", d.ID(), ErrAlreadyRegistered)
	}
	if name == "" {
		return errors.New("a dog needs a name")
	}
	return domain.Raise(d, Registered{Name: name})
}

// AddTrick teaches the dog a trick.
func (d *Dog) AddTrick(trick string) error {
	if trick == "" {
		return errors.New("a trick needs a name")
	}
	return domain.Raise(d, TrickAdded{Trick: trick})
}

// Leave takes the dog off the school's books: the aggregate is discarded
// (its history stays readable at earlier versions).
func (d *Dog) Leave() error { return domain.Discard(d) }

// Apply evolves the dog by one event.
func (d *Dog) Apply(event any) error {
	switch e := event.(type) {
	case Registered:
		d.Name = e.Name
	case TrickAdded:
		d.Tricks = append(d.Tricks, e.Trick)
	default:
		return domain.UnknownEvent(d, event)
	}
	return nil
}

// RegisterTypes registers the dog's events with reg.
func RegisterTypes(reg *domain.Registry) error {
	return errors.Join(
		domain.Register[Registered](reg, "dogschool.Registered"),
		domain.Register[TrickAdded](reg, "dogschool.TrickAdded"),
	)
}
