package school

import "github.com/factum-dev/factum/actors"

// RegisterDog is the command that registers a dog.
type RegisterDog struct {
	Name string `json:"name"`
}

// AddTrick is the command that teaches a dog a trick.
type AddTrick struct {
	Trick string `json:"trick"`
}

// Leave is the command that takes a dog off the school's books.
type Leave struct{}

// DogType is the Dog as a persistent actor: "register" creates a dog,
// "add-trick" teaches it, "leave" discards it.
func DogType(opts ...actors.AggregateOption) *actors.AggregateType[*Dog] {
	t := actors.NewAggregateType(AggregateType, func() *Dog { return &Dog{} }, opts...)
	actors.Create(t, "register", func(d *Dog, c RegisterDog) error { return d.Register(c.Name) })
	actors.Handle(t, "add-trick", func(d *Dog, c AddTrick) error { return d.AddTrick(c.Trick) })
	actors.Handle(t, "leave", func(d *Dog, _ Leave) error { return d.Leave() })
	return t
}
