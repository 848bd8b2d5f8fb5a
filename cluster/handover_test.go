package cluster_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/cluster"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/internal/countertest"
	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/journal"
	jredis "github.com/factum-dev/factum/journal/redis"
	"github.com/factum-dev/factum/snapshots"
	smemory "github.com/factum-dev/factum/snapshots/memory"
)

// gatedSnapshots is a snapshot store whose Save waits for open, and
// records whether partition p's lease was still held by node when the
// snapshot was written.
type gatedSnapshots struct {
	snapshots.Store
	j         *jredis.Journal
	p         int
	node      string
	saving    chan struct{}
	open      chan struct{}
	heldAtPut atomic.Bool
}

func (g *gatedSnapshots) Save(ctx context.Context, s domain.Snapshot) error {
	select {
	case g.saving <- struct{}{}:
	default:
	}
	<-g.open
	ls, err := g.j.Leases(ctx)
	if err != nil {
		return err
	}
	g.heldAtPut.Store(ls[g.p].Holder == g.node)
	return g.Store.Save(ctx, s)
}

// TestHandoverWritesQueuedSnapshots: a node that leaves writes the
// snapshots its partition's aggregates queued before it releases the
// partition's lease, so the next owner loads them.
func TestHandoverWritesQueuedSnapshots(t *testing.T) {
	const P, node = 4, "n1"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rs := redistest.StartServer(t, redistest.Options{})
	own := cluster.NewOwnership(node, P)
	j, err := jredis.New(ctx, jredis.Config{URL: rs.URL(), Partitions: P, Fence: own})
	require.NoError(t, err)
	t.Cleanup(func() { _ = j.Close() })
	id := uuid.New()
	p := journal.PartitionOf(id, P)
	gate := &gatedSnapshots{Store: smemory.New(), j: j, p: p, node: node, saving: make(chan struct{}, 1), open: make(chan struct{})}
	var once sync.Once
	open := func() { once.Do(func() { close(gate.open) }) }
	t.Cleanup(open)

	reg := domain.NewRegistry()
	countertest.RegisterEvents(reg)
	a, err := app.New(app.Config{Registry: reg, Journal: j, Snapshots: gate})
	require.NoError(t, err)
	sys, err := actors.NewSystem(actors.SystemConfig{App: a, Stamp: own.Stamp})
	require.NoError(t, err)
	t.Cleanup(func() { open(); _ = sys.Close() })
	require.NoError(t, actors.Register(sys, countertest.Aggregate(actors.SnapshotEvery(1))))
	n, err := cluster.NewNode(cluster.Config{NodeID: node, Advertise: "127.0.0.1:1", Journal: j, Client: rs.Client(),
		System: sys, Ownership: own, Tick: 20 * time.Millisecond, DrainTimeout: 30 * time.Second})
	require.NoError(t, err)
	require.NoError(t, n.Start(ctx))
	t.Cleanup(func() { open(); _ = n.Close() })
	held := func() map[int]bool {
		ls, err := j.Leases(ctx)
		require.NoError(t, err)
		out := map[int]bool{}
		for _, l := range ls {
			if l.Holder == node {
				out[l.Partition] = true
			}
		}
		return out
	}
	require.Eventually(t, func() bool { return len(held()) == P }, 10*time.Second, 10*time.Millisecond, "the node owns every partition")
	_, err = actors.Send(ctx, sys, countertest.Type, id, countertest.Open{Start: 1})
	require.NoError(t, err)
	<-gate.saving // its snapshot is queued, being written

	closed := make(chan error, 1)
	go func() { closed <- n.Close() }()
	require.Eventually(t, func() bool { return len(held()) == 1 }, 10*time.Second, 10*time.Millisecond,
		"the node releases the partitions without queued snapshots")
	require.True(t, held()[p], "partition %d is held while its snapshot is queued", p)
	open()
	require.NoError(t, <-closed)
	require.True(t, gate.heldAtPut.Load(), "the snapshot was written before the lease was released")
	require.Empty(t, held())
	s, err := gate.Store.Latest(ctx, id, 0)
	require.NoError(t, err)
	require.Equal(t, uint64(1), s.Version)
}
