package school_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/eventlog"
	"github.com/factum-dev/factum/examples/dogschool/school"
	"github.com/factum-dev/factum/journal"
)

func newSchool(t *testing.T, opts ...app.AggregateOption) *school.School {
	s, err := school.New(app.Config{Clock: domain.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))}, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// The tutorial, replayed.
func TestDogSchool(t *testing.T) {
	ctx := context.Background()
	app := newSchool(t)

	dogID, err := app.RegisterDog(ctx, "Fido")
	require.NoError(t, err)
	require.NoError(t, app.AddTrick(ctx, dogID, "roll over"))
	require.NoError(t, app.AddTrick(ctx, dogID, "fetch ball"))

	details, err := app.GetDog(ctx, dogID)
	require.NoError(t, err)
	assert.Equal(t, school.DogDetails{Name: "Fido", Tricks: []string{"roll over", "fetch ball"}}, details)

	notifications, err := app.NotificationLog().Select(ctx, 1, 10)
	require.NoError(t, err)
	require.Len(t, notifications, 3)
	for i, n := range notifications {
		assert.Equal(t, uint64(i+1), n.Position)
		assert.Equal(t, dogID, n.AggregateID)
		assert.Equal(t, uint64(i+1), n.Version)
	}
	first, err := app.NotificationLog().Decode(ctx, notifications[0])
	require.NoError(t, err)
	assert.Equal(t, school.Registered{Name: "Fido"}, first.Data)

	_, err = app.NotificationLog().Select(ctx, 1, 1001)
	assert.ErrorIs(t, err, eventlog.ErrLimit)
}

func TestStaleCopyConflicts(t *testing.T) {
	ctx := context.Background()
	app := newSchool(t)
	dogID, err := app.RegisterDog(ctx, "Fido")
	require.NoError(t, err)

	stale, err := app.Dogs.Get(ctx, dogID)
	require.NoError(t, err)
	require.NoError(t, app.AddTrick(ctx, dogID, "roll over"))

	require.NoError(t, stale.AddTrick("play dead"))
	_, err = app.Save(ctx, stale)
	require.ErrorIs(t, err, journal.ErrVersionConflict)

	details, err := app.GetDog(ctx, dogID)
	require.NoError(t, err)
	assert.Equal(t, []string{"roll over"}, details.Tricks, "the stale save recorded a trick")
	notifications, err := app.NotificationLog().Select(ctx, 1, 10)
	require.NoError(t, err)
	assert.Len(t, notifications, 2, "the stale save took a log position")
}

func TestGetAtVersion(t *testing.T) {
	ctx := context.Background()
	for name, opts := range map[string][]app.AggregateOption{
		"no snapshots":    nil,
		"snapshot each 2": {app.SnapshotEvery(2)},
	} {
		t.Run(name, func(t *testing.T) {
			app := newSchool(t, opts...)
			dogID, err := app.RegisterDog(ctx, "Fido")
			require.NoError(t, err)
			require.NoError(t, app.AddTrick(ctx, dogID, "roll over"))
			require.NoError(t, app.AddTrick(ctx, dogID, "fetch ball"))

			v1, err := app.Dogs.GetAt(ctx, dogID, 1)
			require.NoError(t, err)
			assert.Equal(t, uint64(1), v1.Version())
			assert.Equal(t, "Fido", v1.Name)
			assert.Empty(t, v1.Tricks)

			v2, err := app.Dogs.GetAt(ctx, dogID, 2)
			require.NoError(t, err)
			assert.Equal(t, uint64(2), v2.Version())
			assert.Equal(t, []string{"roll over"}, v2.Tricks)

			latest, err := app.Dogs.Get(ctx, dogID)
			require.NoError(t, err)
			assert.Equal(t, uint64(3), latest.Version())
			assert.Equal(t, []string{"roll over", "fetch ball"}, latest.Tricks)
		})
	}
}

func TestSnapshotting(t *testing.T) {
	ctx := context.Background()
	app := newSchool(t, app.SnapshotEvery(2))
	dogID, err := app.RegisterDog(ctx, "Fido")
	require.NoError(t, err)
	_, err = app.Snapshots().Latest(ctx, dogID, 0)
	require.Error(t, err, "no snapshot before version 2")
	require.NoError(t, app.AddTrick(ctx, dogID, "roll over"))
	snap, err := app.Snapshots().Latest(ctx, dogID, 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), snap.Version)
	assert.Equal(t, school.AggregateType, snap.Type)

	// TakeSnapshot at an earlier version.
	require.NoError(t, app.Dogs.TakeSnapshot(ctx, dogID, 1))
	snap, err = app.Snapshots().Latest(ctx, dogID, 1)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), snap.Version)
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	app := newSchool(t)
	_, err := app.GetDog(ctx, uuid.New())
	assert.ErrorIs(t, err, actors.ErrAggregateNotFound)
	ok, err := app.Dogs.Contains(ctx, uuid.New())
	require.NoError(t, err)
	assert.False(t, ok)

	dogID, err := app.RegisterDog(ctx, "Fido")
	require.NoError(t, err)
	ok, err = app.Dogs.Contains(ctx, dogID)
	require.NoError(t, err)
	assert.True(t, ok)
}
