package projections_test

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/projections"
)

// TestPlacedRunner runs a projection only in the partitions started, and
// hands a partition from one runner to another as a cluster does.
func TestPlacedRunner(t *testing.T) {
	rng := seed(t)
	sys := newPartitionedSystem(t, 2)
	ids, total := writeCounters(t, sys, rng, 20, 300)
	perPart := map[int]int{}
	for _, id := range ids {
		st, err := sys.State(ctx(t), counterType, id, 0)
		require.NoError(t, err)
		var c Counter
		require.NoError(t, jsonUnmarshal(st.Data, &c))
		perPart[journal.PartitionOf(id, 2)] += c.Value
	}
	require.Equal(t, total, perPart[0]+perPart[1])

	cps := projections.NewMemoryCheckpoints()
	newRunner := func(sums map[int]int, mu *sync.Mutex) *projections.Runner {
		p := projections.NewProjection("sum")
		projections.On(p, func(ctx context.Context, e Added, n projections.Notification) error {
			mu.Lock()
			sums[n.Partition] += e.By
			mu.Unlock()
			return nil
		})
		r, err := projections.NewRunner(projections.RunnerConfig{System: sys, Checkpoints: cps, Placed: true})
		require.NoError(t, err)
		require.NoError(t, r.Add(p))
		require.NoError(t, r.Start(ctx(t)))
		t.Cleanup(func() { require.NoError(t, r.Stop(context.Background())) })
		return r
	}
	var muA, muB sync.Mutex
	sumsA, sumsB := map[int]int{}, map[int]int{}
	a, b := newRunner(sumsA, &muA), newRunner(sumsB, &muB)
	require.Empty(t, a.Status(), "a placed runner starts nothing")

	require.NoError(t, a.StartPartition(ctx(t), 0))
	require.NoError(t, a.StartPartition(ctx(t), 0), "twice is once")
	caughtUp(t, sys, a)
	muA.Lock()
	require.Equal(t, perPart[0], sumsA[0])
	require.Zero(t, sumsA[1], "partition 1 is not run")
	muA.Unlock()
	require.Equal(t, []int{0}, a.Partitions())

	// Handover of partition 0 to b: a stops and saves its checkpoint; b
	// resumes from it and sees only what comes after.
	require.NoError(t, a.StopPartition(ctx(t), 0, false))
	require.Empty(t, a.Status())
	require.NoError(t, b.StartPartition(ctx(t), 0))
	require.NoError(t, b.StartPartition(ctx(t), 1))
	var more int
	for _, id := range ids {
		if journal.PartitionOf(id, 2) == 0 {
			_, err := sys.DispatchLocal(ctx(t), addCmd(id, 5))
			require.NoError(t, err)
			more += 5
		}
	}
	caughtUp(t, sys, b)
	muB.Lock()
	require.Equal(t, more, sumsB[0], "b resumed partition 0 from a's checkpoint")
	require.Equal(t, perPart[1], sumsB[1])
	muB.Unlock()
	require.Len(t, b.Status(), 2)
}

func addCmd(id uuid.UUID, by int) actors.Command {
	return actors.Command{AggregateType: counterType, AggregateID: id, Name: "Add", Payload: []byte(`{"By":` + strconv.Itoa(by) + `}`)}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
