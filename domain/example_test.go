package domain_test

import (
	"fmt"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
)

// Registered is the event of a dog's registration.
type Registered struct{ Name string }

// TrickAdded is the event of a dog learning a trick.
type TrickAdded struct{ Trick string }

// Dog is an event-sourced aggregate: it embeds domain.Base and has one
// apply switch.
type Dog struct {
	domain.Base
	Name   string
	Tricks []string
}

func (d *Dog) Register(name string) error  { return domain.Raise(d, Registered{Name: name}) }
func (d *Dog) AddTrick(trick string) error { return domain.Raise(d, TrickAdded{Trick: trick}) }

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

// The synopsis of the eventsourcing library, in Go: raise events, collect
// them, and rebuild a copy from them.
func Example() {
	dog := &Dog{}
	domain.Init(dog, domain.NewID(), nil)
	_ = dog.Register("Fido")
	_ = dog.AddTrick("roll over")
	fmt.Println(dog.Name, dog.Tricks, "version", dog.Version())

	events := dog.CollectEvents()
	copy, err := domain.Rebuild(func() *Dog { return &Dog{} }, events...)
	fmt.Println(copy.Name, copy.Tricks, "version", copy.Version(), err)
	fmt.Println(copy.ID() == dog.ID())
	// Output:
	// Fido [roll over] version 2
	// Fido [roll over] version 2 <nil>
	// true
}

// One account per email address: the same name always gives the same id.
func ExampleNameID() {
	accounts := uuid.MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	a := domain.NameID(accounts, "alice@example.com")
	b := domain.NameID(accounts, "alice@example.com")
	fmt.Println(a == b, a.Version())
	// Output: true VERSION_5
}
