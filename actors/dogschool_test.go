package actors_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/examples/dogschool/school"
	jmemory "github.com/factum-dev/factum/journal/memory"
	smemory "github.com/factum-dev/factum/snapshots/memory"
)

type RegisterDog struct {
	Name string `json:"name"`
}

type AddTrick struct {
	Trick string `json:"trick"`
}

func dogType(opts ...actors.AggregateOption) *actors.AggregateType[*school.Dog] {
	t := actors.NewAggregateType(school.AggregateType, func() *school.Dog { return &school.Dog{} }, opts...)
	actors.Create(t, "Register", func(d *school.Dog, c RegisterDog) error { return d.Register(c.Name) })
	actors.Handle(t, "AddTrick", func(d *school.Dog, c AddTrick) error { return d.AddTrick(c.Trick) })
	return t
}

// The DogSchool through the actors, beside its repository.
func TestDogSchoolActors(t *testing.T) {
	s, err := school.New(app.Config{})
	require.NoError(t, err)
	sys, err := actors.NewSystem(actors.SystemConfig{App: s.Application})
	require.NoError(t, err)
	defer sys.Close()
	require.NoError(t, actors.Register(sys, dogType(actors.SnapshotEvery(2), actors.PassivateAfter(time.Minute))),
		"the school's repository registered the Dog already: accepted")

	ctx := ctx(t)
	id := uuid.New()
	_, err = sys.Dispatch(ctx, actors.Command{AggregateType: school.AggregateType, AggregateID: id, Name: "Register", Payload: []byte(`{"name":"Fido"}`)})
	require.NoError(t, err)
	for _, trick := range []string{"roll over", "fetch ball"} {
		_, err := actors.Send(ctx, sys, school.AggregateType, id, AddTrick{Trick: trick})
		require.NoError(t, err)
	}
	_, err = actors.Send(ctx, sys, school.AggregateType, id, AddTrick{})
	require.ErrorIs(t, err, actors.ErrRejected)
	assert.Contains(t, err.Error(), "a trick needs a name")

	dog, err := actors.Get[*school.Dog](ctx, sys, school.AggregateType, id)
	require.NoError(t, err)
	assert.Equal(t, "Fido", dog.Name)
	assert.Equal(t, []string{"roll over", "fetch ball"}, dog.Tricks)
	dog.Tricks[0] = "changed" // a private copy

	details, err := s.GetDog(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, school.DogDetails{Name: "Fido", Tricks: []string{"roll over", "fetch ball"}}, details)

	st, err := sys.State(ctx, school.AggregateType, id, 0)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"Fido","tricks":["roll over","fetch ball"]}`, string(st.Data))
}

// A command that fails with ErrAlreadyExists or ErrAggregateNotFound.
func ExampleSystem_Dispatch() {
	s, _ := school.New(app.Config{})
	sys, _ := actors.NewSystem(actors.SystemConfig{App: s.Application})
	defer sys.Close()
	_ = actors.Register(sys, dogType())

	ctx := context.Background()
	id := uuid.MustParse("7f1e2c4a-0000-4000-8000-000000000001")
	rep, err := actors.Send(ctx, sys, school.AggregateType, id, RegisterDog{Name: "Fido"}, actors.WithCommandID("register-fido"))
	fmt.Println(rep.Version, err)
	rep, err = actors.Send(ctx, sys, school.AggregateType, id, RegisterDog{Name: "Fido"}, actors.WithCommandID("register-fido"))
	fmt.Println(rep.Version, rep.Duplicate, err)
	_, err = actors.Send(ctx, sys, school.AggregateType, id, RegisterDog{Name: "Rex"})
	fmt.Println(errors.Is(err, actors.ErrAlreadyExists))
	_, err = actors.Send(ctx, sys, school.AggregateType, uuid.MustParse("7f1e2c4a-0000-4000-8000-000000000002"), AddTrick{Trick: "sit"})
	fmt.Println(errors.Is(err, actors.ErrAggregateNotFound))
	fmt.Println(err)
	// Output:
	// 1 <nil>
	// 1 true <nil>
	// true
	// true
	// actors: dogschool.Dog 7f1e2c4a-0000-4000-8000-000000000002: command AddTrick: aggregate not found
}

// A command that discards its aggregate is answered as any other; then
// the actor refuses commands and queries with ErrDiscarded (also after a
// restart), no snapshot is taken of the discarded aggregate, and its
// history is readable at earlier versions.
func TestDiscardedAggregate(t *testing.T) {
	j, err := jmemory.New(jmemory.Config{})
	require.NoError(t, err)
	snaps := smemory.New()
	start := func() *actors.System {
		reg := domain.NewRegistry()
		require.NoError(t, school.RegisterTypes(reg))
		a, err := app.New(app.Config{Registry: reg, Journal: j, Snapshots: snaps})
		require.NoError(t, err)
		sys, err := actors.NewSystem(actors.SystemConfig{App: a})
		require.NoError(t, err)
		require.NoError(t, actors.Register(sys, school.DogType(actors.SnapshotEvery(1))))
		return sys
	}
	sys := start()
	c := ctx(t)
	id := uuid.New()
	_, err = actors.Send(c, sys, school.AggregateType, id, school.RegisterDog{Name: "Fido"})
	require.NoError(t, err)
	_, err = actors.Send(c, sys, school.AggregateType, id, school.AddTrick{Trick: "sit"})
	require.NoError(t, err)
	rep, err := actors.Send(c, sys, school.AggregateType, id, school.Leave{}, actors.WithCommandID("leave"))
	require.NoError(t, err)
	assert.EqualValues(t, 3, rep.Version)
	rep, err = actors.Send(c, sys, school.AggregateType, id, school.Leave{}, actors.WithCommandID("leave"))
	require.NoError(t, err, "a retry of the discarding command is a duplicate")
	assert.True(t, rep.Duplicate)

	check := func(sys *actors.System) {
		_, err := actors.Send(c, sys, school.AggregateType, id, school.AddTrick{Trick: "beg"})
		require.ErrorIs(t, err, actors.ErrDiscarded)
		assert.Contains(t, err.Error(), "discarded at version 3")
		_, err = actors.Send(c, sys, school.AggregateType, id, school.RegisterDog{Name: "Fido again"})
		require.ErrorIs(t, err, actors.ErrDiscarded, "a create command cannot bring it back")
		_, err = sys.State(c, school.AggregateType, id, 0)
		require.ErrorIs(t, err, actors.ErrDiscarded)
		require.ErrorIs(t, err, actors.ErrAggregateNotFound)
		_, err = actors.Get[*school.Dog](c, sys, school.AggregateType, id)
		require.ErrorIs(t, err, actors.ErrDiscarded)
		st, err := sys.State(c, school.AggregateType, id, 2)
		require.NoError(t, err, "its history is readable")
		assert.JSONEq(t, `{"name":"Fido","tricks":["sit"]}`, string(st.Data))
	}
	check(sys)
	require.NoError(t, sys.Close())
	s, err := snaps.Latest(c, id, 0)
	require.NoError(t, err)
	assert.EqualValues(t, 2, s.Version, "no snapshot of the discarded aggregate")

	sys = start()
	defer sys.Close()
	check(sys)
}
