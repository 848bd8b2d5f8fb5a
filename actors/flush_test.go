package actors_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/snapshots"
	smemory "github.com/factum-dev/factum/snapshots/memory"
)

// gatedSnapshots is a snapshot store whose Save waits for open.
type gatedSnapshots struct {
	snapshots.Store
	saving chan struct{} // gets a value when a Save starts
	open   chan struct{}
}

func (g *gatedSnapshots) Save(ctx context.Context, s domain.Snapshot) error {
	g.saving <- struct{}{}
	<-g.open
	return g.Store.Save(ctx, s)
}

// FlushSnapshots waits for the queued snapshots of the aggregates it
// names, and only those.
func TestFlushSnapshots(t *testing.T) {
	gate := &gatedSnapshots{Store: smemory.New(), saving: make(chan struct{}, 1), open: make(chan struct{})}
	var once sync.Once
	open := func() { once.Do(func() { close(gate.open) }) }
	t.Cleanup(open)
	e := &env{t: t, journal: newFaultyJournal(t), snaps: gate}
	e.start(actors.SnapshotEvery(1))
	t.Cleanup(func() { open(); require.NoError(t, e.sys.Close()) })
	id, other := uuid.New(), uuid.New()
	e.open(id, 1)
	<-gate.saving // id's snapshot is being written

	require.NoError(t, e.sys.FlushSnapshots(ctx(t), func(x uuid.UUID) bool { return x == other }),
		"no snapshot of other is queued")
	short, cancel := context.WithTimeout(ctx(t), 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, e.sys.FlushSnapshots(short, func(x uuid.UUID) bool { return x == id }), context.DeadlineExceeded,
		"id's snapshot is not written yet")

	flushed := make(chan error, 1)
	go func() { flushed <- e.sys.FlushSnapshots(ctx(t), func(x uuid.UUID) bool { return x == id }) }()
	open()
	require.NoError(t, <-flushed)
	s, err := gate.Store.Latest(ctx(t), id, 0)
	require.NoError(t, err, "FlushSnapshots returned after the snapshot was stored")
	require.Equal(t, uint64(1), s.Version)
}
