package school

import (
	"context"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/inmem"
)

// AggregateType is the Dog's registered type name.
const AggregateType = "dogschool.Dog"

// School is the DogSchool application.
type School struct {
	*app.Application
	Dogs *app.Repository[*Dog]
}

// New returns a School on the stores in cfg (in memory when they are nil).
// cfg.Registry may be nil: the school then makes its own.
func New(cfg app.Config, opts ...app.AggregateOption) (*School, error) {
	if cfg.Registry == nil {
		cfg.Registry = domain.NewRegistry()
	}
	if err := RegisterTypes(cfg.Registry); err != nil {
		return nil, err
	}
	a, err := inmem.NewApplication(cfg)
	if err != nil {
		return nil, err
	}
	dogs, err := app.NewRepository(a, AggregateType, func() *Dog { return &Dog{} }, opts...)
	if err != nil {
		_ = a.Close()
		return nil, err
	}
	return &School{Application: a, Dogs: dogs}, nil
}

// RegisterDog registers a new dog and returns its id.
func (s *School) RegisterDog(ctx context.Context, name string) (uuid.UUID, error) {
	dog := s.Dogs.New()
	if err := dog.Register(name); err != nil {
		return uuid.Nil, err
	}
	if _, err := s.Save(ctx, dog); err != nil {
		return uuid.Nil, err
	}
	return dog.ID(), nil
}

// AddTrick teaches dog id a trick.
func (s *School) AddTrick(ctx context.Context, id uuid.UUID, trick string) error {
	dog, err := s.Dogs.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := dog.AddTrick(trick); err != nil {
		return err
	}
	_, err = s.Save(ctx, dog)
	return err
}

// DogDetails is what the school tells about a dog.
type DogDetails struct {
	Name   string   `json:"name"`
	Tricks []string `json:"tricks"`
}

// GetDog tells about dog id.
func (s *School) GetDog(ctx context.Context, id uuid.UUID) (DogDetails, error) {
	dog, err := s.Dogs.Get(ctx, id)
	if err != nil {
		return DogDetails{}, err
	}
	return DogDetails{Name: dog.Name, Tricks: append([]string{}, dog.Tricks...)}, nil
}
