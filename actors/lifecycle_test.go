package actors_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
)

func TestIdempotentRetry(t *testing.T) {
	e := newEnv(t, actors.PassivateAfter(20*time.Millisecond))
	id := uuid.New()
	first, err := actors.Send(ctx(t), e.sys, counterType, id, Open{Start: 1}, actors.WithCommandID("open-1"))
	require.NoError(t, err)
	again, err := actors.Send(ctx(t), e.sys, counterType, id, Open{Start: 1}, actors.WithCommandID("open-1"))
	require.NoError(t, err, "a retried create is a duplicate, not ErrAlreadyExists")
	assert.Equal(t, actors.Reply{Version: first.Version, Position: first.Position, Duplicate: true}, again)

	add, err := e.add(id, 5, actors.WithCommandID("add-1"))
	require.NoError(t, err)
	dup, err := e.add(id, 5, actors.WithCommandID("add-1"))
	require.NoError(t, err)
	assert.True(t, dup.Duplicate)
	assert.Equal(t, add.Version, dup.Version)
	assert.Equal(t, add.Position, dup.Position)
	assert.Equal(t, 6, e.get(id).Value, "the duplicate wrote nothing")

	// After passivation the ids come back from the events' causation ids.
	require.Eventually(t, func() bool { return e.sys.Live(counterType) == 0 }, 5*time.Second, 5*time.Millisecond)
	dup, err = e.add(id, 5, actors.WithCommandID("add-1"))
	require.NoError(t, err)
	assert.True(t, dup.Duplicate)
	assert.Equal(t, add.Version, dup.Version)
	_, events := e.fromJournal(id)
	assert.Len(t, events, 2)
}

func TestIdempotentAcrossSnapshotAndRestart(t *testing.T) {
	e := newEnv(t, actors.SnapshotEvery(2))
	id := uuid.New()
	e.open(id, 0)
	_, err := e.add(id, 1, actors.WithCommandID("before-snapshot"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		s, err := e.snaps.Latest(ctx(t), id, 0)
		return err == nil && s.Version == 2
	}, 5*time.Second, 5*time.Millisecond)
	_, err = e.add(id, 1, actors.WithCommandID("after-snapshot"))
	require.NoError(t, err)

	e.restart(actors.SnapshotEvery(2))
	for _, cid := range []string{"before-snapshot", "after-snapshot"} {
		rep, err := e.add(id, 1, actors.WithCommandID(cid))
		require.NoError(t, err)
		assert.True(t, rep.Duplicate, cid)
	}
	assert.Equal(t, 2, e.get(id).Value)
}

func TestSnapshotAndTailRecovery(t *testing.T) {
	e := newEnv(t, actors.SnapshotEvery(3))
	id := uuid.New()
	e.open(id, 0)
	for i := 1; i <= 6; i++ {
		_, err := e.add(id, i)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		s, err := e.snaps.Latest(ctx(t), id, 0)
		return err == nil && s.Version == 6
	}, 5*time.Second, 5*time.Millisecond)
	_, err := e.add(id, 100) // version 8: the tail after the snapshot
	require.NoError(t, err)

	e.restart(actors.SnapshotEvery(3))
	tailReads := e.journal.reads.Load()
	rep, err := e.add(id, 1000)
	require.NoError(t, err)
	assert.Equal(t, uint64(9), rep.Version)
	assert.Greater(t, e.journal.reads.Load(), tailReads, "activation read only the events after the snapshot")
	assert.Equal(t, 1121, e.get(id).Value)
	want, _ := e.fromJournal(id)
	assert.Equal(t, want.Value, e.get(id).Value)
}

// A command that takes an aggregate past a multiple of N without
// stopping on it (1 -> 3 with N = 2) snapshots the multiple (version 2),
// as the seeds do, with the command ids it had then.
func TestSnapshotAtMultipleOfN(t *testing.T) {
	e := newEnv(t, actors.SnapshotEvery(2))
	id := uuid.New()
	_, err := actors.Send(ctx(t), e.sys, counterType, id, Open{Start: 5}, actors.WithCommandID("open"))
	require.NoError(t, err)
	rep, err := actors.Send(ctx(t), e.sys, counterType, id, Double{}, actors.WithCommandID("double"))
	require.NoError(t, err)
	require.EqualValues(t, 3, rep.Version)
	var snap domain.Snapshot
	require.Eventually(t, func() bool {
		snap, err = e.snaps.Latest(ctx(t), id, 0)
		return err == nil
	}, 5*time.Second, 5*time.Millisecond)
	assert.EqualValues(t, 2, snap.Version, "the snapshot of version 2, not 3")
	assert.JSONEq(t, `{"value":6}`, string(snap.Data))
	assert.Contains(t, snap.Headers[actors.HeaderRecentCommands], `"open"`)

	e.restart(actors.SnapshotEvery(2))
	rep, err = actors.Send(ctx(t), e.sys, counterType, id, Double{}, actors.WithCommandID("double"))
	require.NoError(t, err)
	assert.True(t, rep.Duplicate, "a command replayed after the snapshot is still known")
	assert.Equal(t, 7, e.get(id).Value)
}

func TestPassivation(t *testing.T) {
	e := newEnv(t, actors.PassivateAfter(20*time.Millisecond))
	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	for _, id := range ids {
		e.open(id, 1)
	}
	assert.Equal(t, 3, e.sys.Live(counterType))
	require.Eventually(t, func() bool { return e.sys.Live(counterType) == 0 }, 5*time.Second, 5*time.Millisecond)

	// A query of a passivated aggregate does not activate it.
	assert.Equal(t, 1, e.get(ids[0]).Value)
	assert.Equal(t, 0, e.sys.Live(counterType))

	rep, err := e.add(ids[0], 1)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), rep.Version, "reactivated with the same state")
	assert.Equal(t, 1, e.sys.Live(counterType))
	assert.Equal(t, 2, e.get(ids[0]).Value)
	require.Eventually(t, func() bool { return e.sys.Live(counterType) == 0 }, 5*time.Second, 5*time.Millisecond)
}

// A busy actor is not passivated while commands keep coming, and commands
// racing with passivation are never lost.
func TestPassivationRace(t *testing.T) {
	e := newEnv(t, actors.PassivateAfter(time.Millisecond))
	id := uuid.New()
	e.open(id, 0)
	for i := 1; i <= 300; i++ {
		rep, err := e.add(id, 1)
		require.NoError(t, err)
		require.Equal(t, uint64(i+1), rep.Version)
		if i%50 == 0 {
			require.Eventually(t, func() bool { return e.sys.Live(counterType) == 0 }, 5*time.Second, time.Millisecond)
		}
	}
	assert.Equal(t, 300, e.get(id).Value)
}

func TestSnapshotFailureDoesNotFailCommands(t *testing.T) {
	e := newEnv(t, actors.SnapshotEvery(1))
	id := uuid.New()
	require.NoError(t, e.snaps.Close()) // every snapshot save fails from now on
	e.open(id, 0)
	for range 5 {
		_, err := e.add(id, 1)
		require.NoError(t, err)
	}
	assert.Equal(t, 5, e.get(id).Value)
}

// Evict stops an aggregate's live actor; the next command rebuilds it
// from the stores.
func TestEvict(t *testing.T) {
	e := newEnv(t)
	id := uuid.New()
	e.open(id, 1)
	require.Equal(t, 1, e.sys.Live(counterType))
	assert.Equal(t, 1, e.sys.Evict(id))
	require.Eventually(t, func() bool { return e.sys.Live(counterType) == 0 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, 0, e.sys.Evict(id), "no live actor")
	assert.Equal(t, 0, e.sys.Evict(uuid.New()))
	rep, err := e.add(id, 2)
	require.NoError(t, err)
	assert.EqualValues(t, 2, rep.Version)
	assert.Equal(t, 3, e.get(id).Value)
}

// A command id reused for another command is refused with
// ErrCommandIDReused, and a retry of the same command is still a
// duplicate, after a restart (from the events) and after a snapshot (from
// its header) alike.
func TestCommandIDReused(t *testing.T) {
	e := newEnv(t, actors.SnapshotEvery(3))
	id := uuid.New()
	e.open(id, 0)
	_, err := e.add(id, 1, actors.WithCommandID("k1"))
	require.NoError(t, err)
	check := func(when string) {
		_, err := e.add(id, 2, actors.WithCommandID("k1"))
		require.ErrorIs(t, err, actors.ErrCommandIDReused, when)
		assert.Contains(t, err.Error(), `"k1"`)
		_, err = actors.Send(ctx(t), e.sys, counterType, id, Double{}, actors.WithCommandID("k1"))
		require.ErrorIs(t, err, actors.ErrCommandIDReused, "another command under the id, %s", when)
		rep, err := e.add(id, 1, actors.WithCommandID("k1"))
		require.NoError(t, err, when)
		assert.True(t, rep.Duplicate, when)
		_, err = e.sys.Dispatch(ctx(t), actors.Command{AggregateType: counterType, AggregateID: id, Name: "Add",
			Payload: []byte(`{"By":5}`), CommandID: "k1"})
		require.ErrorIs(t, err, actors.ErrCommandIDReused, when)
	}
	check("live")
	e.restart(actors.SnapshotEvery(3))
	check("after a restart")
	_, err = e.add(id, 1) // version 3: a snapshot
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		s, err := e.snaps.Latest(ctx(t), id, 0)
		return err == nil && s.Version == 3
	}, 5*time.Second, 5*time.Millisecond)
	e.restart(actors.SnapshotEvery(3))
	check("after a snapshot")
	assert.Equal(t, 2, e.get(id).Value, "nothing was run twice")
}

// A command id made for the command (NewCommandID) gets no fingerprint:
// it cannot come again, so none is computed or stored with its events;
// an id the caller gave keeps its fingerprint.
func TestNewCommandIDHasNoFingerprint(t *testing.T) {
	e := newEnv(t)
	id := uuid.New()
	e.open(id, 0)
	for _, newID := range []bool{true, false} {
		_, err := e.sys.Dispatch(ctx(t), actors.Command{AggregateType: counterType, AggregateID: id, Name: "Add",
			Payload: []byte(`{"By":1}`), CommandID: uuid.NewString(), NewCommandID: newID})
		require.NoError(t, err)
	}
	recs, err := e.journal.Read(ctx(t), id, 2, 3)
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Empty(t, recs[0].Meta.Extra[app.MetaCommandHash], "a made-up id has a fingerprint")
	assert.NotEmpty(t, recs[1].Meta.Extra[app.MetaCommandHash], "a caller's id lost its fingerprint")
}

// Whoever creates closes: System.Close leaves the application it was
// given open, for its maker to close.
func TestCloseLeavesTheApplication(t *testing.T) {
	e := newEnv(t)
	id := uuid.New()
	e.open(id, 1)
	a := e.sys.App()
	require.NoError(t, e.sys.Close())
	_, err := e.add(id, 1)
	require.ErrorIs(t, err, actors.ErrClosed, "the system is closed")
	c, err := a.Load(ctx(e.t), id, 0, nil)
	require.NoError(t, err, "the application is not")
	assert.EqualValues(t, 1, c.Version())
	require.NoError(t, a.Close())
	_, err = a.Save(ctx(t), c)
	require.ErrorIs(t, err, app.ErrClosed)
}
