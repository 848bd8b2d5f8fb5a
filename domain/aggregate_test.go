package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/domain"
)

var errNoTricksForUnnamed = errors.New("an unnamed dog learns no tricks")

// picky is a dog whose Apply refuses tricks before it has a name.
type picky struct{ Dog }

func (p *picky) Apply(event any) error {
	if _, ok := event.(TrickAdded); ok && p.Name == "" {
		return errNoTricksForUnnamed
	}
	return p.Dog.Apply(event)
}

func newDog(t *testing.T, clock domain.Clock) *Dog {
	d := &Dog{}
	domain.Init(d, uuid.New(), clock)
	return d
}

func TestRaise(t *testing.T) {
	clock := domain.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	d := newDog(t, clock)
	require.NoError(t, d.Register("Fido"))
	clock.Advance(time.Minute)
	require.NoError(t, d.AddTrick("sit"))

	assert.Equal(t, uint64(2), d.Version())
	assert.Equal(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), d.CreatedAt())
	assert.Equal(t, time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC), d.ModifiedAt())
	pending := d.Pending()
	require.Len(t, pending, 2)
	assert.Equal(t, d.ID(), pending[1].AggregateID)
	assert.Equal(t, uint64(2), pending[1].Version)
	assert.Equal(t, TrickAdded{Trick: "sit"}, pending[1].Data)
	assert.Equal(t, d.ModifiedAt(), pending[1].Time)

	assert.Len(t, d.CollectEvents(), 2)
	assert.Empty(t, d.Pending())
	assert.Equal(t, uint64(2), d.Version(), "collecting does not change the version")
}

func TestRaiseWithoutID(t *testing.T) {
	d := &Dog{}
	err := d.Register("Fido")
	assert.ErrorIs(t, err, domain.ErrNoID)
	assert.Zero(t, d.Version())
	assert.Empty(t, d.Pending())
}

func TestFailingApplyLeavesAggregateAsItWas(t *testing.T) {
	p := &picky{}
	domain.Init(p, uuid.New(), nil)
	err := domain.Raise(p, TrickAdded{Trick: "sit"})
	require.ErrorIs(t, err, errNoTricksForUnnamed)
	assert.Zero(t, p.Version())
	assert.Empty(t, p.Pending())
	assert.Empty(t, p.Tricks)

	err = domain.Raise(p, struct{ X int }{1})
	require.ErrorIs(t, err, domain.ErrUnknownEvent)
	assert.Zero(t, p.Version())
}

func history(t *testing.T) (*Dog, []domain.Envelope) {
	d := newDog(t, nil)
	require.NoError(t, d.Register("Fido"))
	require.NoError(t, d.AddTrick("sit"))
	require.NoError(t, d.AddTrick("roll over"))
	return d, d.CollectEvents()
}

func TestRebuild(t *testing.T) {
	d, events := history(t)
	copy, err := domain.Rebuild(func() *Dog { return &Dog{} }, events...)
	require.NoError(t, err)
	assert.Equal(t, d.ID(), copy.ID())
	assert.Equal(t, d.Version(), copy.Version())
	assert.Equal(t, d.Name, copy.Name)
	assert.Equal(t, d.Tricks, copy.Tricks)
	assert.Equal(t, d.CreatedAt(), copy.CreatedAt())
	assert.Equal(t, d.ModifiedAt(), copy.ModifiedAt())
	assert.Empty(t, copy.Pending(), "replayed events are not pending")
}

func TestReplayRejectsForeignEvent(t *testing.T) {
	d, events := history(t)
	_, other := history(t)
	copy, err := domain.Rebuild(func() *Dog { return &Dog{} }, events[:2]...)
	require.NoError(t, err)

	err = domain.Replay(copy, other[2])
	require.ErrorIs(t, err, domain.ErrHistory)
	assert.Contains(t, err.Error(), d.ID().String(), "the error names the aggregate")
	assert.Contains(t, err.Error(), other[2].AggregateID.String(), "the error names the event's aggregate")
	assert.Equal(t, uint64(2), copy.Version(), "left as it was")
	assert.Equal(t, []string{"sit"}, copy.Tricks)
}

func TestReplayRejectsOutOfOrder(t *testing.T) {
	_, events := history(t)
	copy, err := domain.Rebuild(func() *Dog { return &Dog{} }, events[0])
	require.NoError(t, err)

	err = domain.Replay(copy, events[2])
	require.ErrorIs(t, err, domain.ErrHistory)
	assert.Contains(t, err.Error(), "version 3")
	assert.Contains(t, err.Error(), "at version 1")
	assert.Equal(t, uint64(1), copy.Version())
	assert.Empty(t, copy.Tricks)

	// A gap in the middle of a batch: nothing of the batch is applied.
	err = domain.Replay(copy, events[1], events[1])
	require.ErrorIs(t, err, domain.ErrHistory)
	assert.Equal(t, uint64(1), copy.Version())
	assert.Empty(t, copy.Tricks)
}

func TestRebuildFailsWhole(t *testing.T) {
	d := &picky{}
	id := uuid.New()
	events := []domain.Envelope{
		{AggregateID: id, Version: 1, Data: TrickAdded{Trick: "sit"}},
	}
	got, err := domain.Rebuild(func() *picky { return &picky{} }, events...)
	require.ErrorIs(t, err, errNoTricksForUnnamed)
	assert.Nil(t, got, "no half-built aggregate escapes")
	assert.Zero(t, d.Version())
}

// Discard raises the Discarded event, which Apply never sees; after it the
// aggregate raises nothing, is not snapshotted, and a replay of its
// history ends discarded.
func TestDiscard(t *testing.T) {
	reg := domain.NewRegistry()
	require.NoError(t, domain.Register[Registered](reg, "dog.Registered"))
	require.NoError(t, domain.RegisterAggregate(reg, "dog.Dog", func() *Dog { return &Dog{} }))
	d := newDog(t, nil)
	require.NoError(t, d.Register("Fido"))
	require.False(t, d.Discarded())
	require.NoError(t, domain.Discard(d))
	assert.True(t, d.Discarded())
	assert.EqualValues(t, 2, d.Version())
	err := d.AddTrick("sit")
	require.ErrorIs(t, err, domain.ErrDiscarded)
	assert.EqualValues(t, 2, d.Version())
	require.ErrorIs(t, domain.Discard(d), domain.ErrDiscarded)

	events := d.CollectEvents()
	require.Len(t, events, 2)
	name, err := reg.NameOf(events[1].Data)
	require.NoError(t, err)
	assert.Equal(t, domain.DiscardedType, name, "every registry knows the Discarded event")
	_, err = reg.TakeSnapshot(d)
	require.ErrorIs(t, err, domain.ErrDiscarded, "no snapshot of a discarded aggregate")

	again, err := domain.Rebuild(func() *Dog { return &Dog{} }, events...)
	require.NoError(t, err)
	assert.True(t, again.Discarded())
	assert.Equal(t, "Fido", again.Name)
	before, err := domain.Rebuild(func() *Dog { return &Dog{} }, events[0])
	require.NoError(t, err)
	assert.False(t, before.Discarded(), "its history before the discard is as it was")

	late := domain.Envelope{AggregateID: d.ID(), Version: 3, Data: TrickAdded{Trick: "sit"}}
	_, err = domain.Rebuild(func() *Dog { return &Dog{} }, append(events, late)...)
	require.ErrorIs(t, err, domain.ErrHistory, "nothing follows a discard")
}

func TestRecycle(t *testing.T) {
	d := newDog(t, nil)
	require.NoError(t, d.Register("Fido"))
	events := d.CollectEvents()
	require.Len(t, events, 1)
	first := &events[0]
	domain.Recycle(d, events)
	assert.Nil(t, events[0].Data, "a recycled slice keeps no event")
	assert.Empty(t, d.Pending())
	assert.Nil(t, d.CollectEvents(), "no events pending: nothing to collect, and the slice stays")

	require.NoError(t, d.AddTrick("sit"))
	again := d.CollectEvents()
	require.Len(t, again, 1)
	assert.Same(t, first, &again[0], "the next event went into the recycled slice")
	assert.Equal(t, TrickAdded{Trick: "sit"}, again[0].Data)
	assert.Equal(t, uint64(2), again[0].Version)

	// With events pending, a slice handed back is not taken: they stay.
	require.NoError(t, d.AddTrick("roll"))
	domain.Recycle(d, again)
	require.Len(t, d.Pending(), 1)
	assert.Equal(t, TrickAdded{Trick: "roll"}, d.Pending()[0].Data)

	// A large slice is not kept.
	big := make([]domain.Envelope, 0, 64)
	d2 := newDog(t, nil)
	domain.Recycle(d2, big)
	require.NoError(t, d2.Register("Rex"))
	assert.NotSame(t, &big[:1][0], &d2.Pending()[0])
}
