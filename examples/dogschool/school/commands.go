package school

import (
	"context"

	"github.com/factum-dev/factum/actors"
)

// RegisterDog is the command that registers a dog.
type RegisterDog struct {
	Name string `json:"name"`
}

// AddTrick is the command that teaches a dog a trick.
type AddTrick struct {
	Trick string `json:"trick"`
}

// Tricks is the result of "add-trick": how many tricks the dog knows now.
type Tricks struct {
	Count int `json:"tricks"`
}

// Leave is the command that takes a dog off the school's books.
type Leave struct{}

// DogType is the Dog as a persistent actor: "register" creates a dog,
// "add-trick" teaches it (and answers how many tricks it knows), "leave" discards it.
func DogType(opts ...actors.AggregateOption) *actors.AggregateType[*Dog] {
	// Raises: Register checks that the events are registered.
	opts = append([]actors.AggregateOption{actors.Raises(Registered{}, TrickAdded{})}, opts...)
	t := actors.NewAggregateType(AggregateType, func() *Dog { return &Dog{} }, opts...)
	actors.Create(t, "register", func(d *Dog, c RegisterDog) error { return d.Register(c.Name) })
	actors.HandleResult(t, "add-trick", func(_ context.Context, d *Dog, c AddTrick) (Tricks, error) {
		if err := d.AddTrick(c.Trick); err != nil {
			return Tricks{}, err
		}
		return Tricks{Count: len(d.Tricks)}, nil
	})
	actors.Handle(t, "leave", func(d *Dog, _ Leave) error { return d.Leave() })
	return t
}
