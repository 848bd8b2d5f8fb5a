package projections_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/projections"
)

// countingCheckpoints counts the checkpoint saves of a plain store.
type countingCheckpoints struct {
	*projections.MemoryCheckpoints
	saves atomic.Int64
}

func (s *countingCheckpoints) Save(ctx context.Context, projection string, partition int, position uint64) error {
	s.saves.Add(1)
	return s.MemoryCheckpoints.Save(ctx, projection, partition, position)
}

func (s *countingCheckpoints) SaveIf(ctx context.Context, projection string, partition int, expected, position uint64) error {
	s.saves.Add(1)
	return s.MemoryCheckpoints.SaveIf(ctx, projection, partition, expected, position)
}

// countingReadModel counts the commits of a TxStore.
type countingReadModel struct {
	*projections.MemoryReadModel[uuid.UUID, int]
	commits atomic.Int64
}

type countingTx struct {
	projections.FencedTx
	s *countingReadModel
}

func (s *countingReadModel) Begin(ctx context.Context, projection string, partition int) (context.Context, projections.Tx, error) {
	ctx, tx, err := s.MemoryReadModel.Begin(ctx, projection, partition)
	if err != nil {
		return ctx, nil, err
	}
	return ctx, countingTx{tx.(projections.FencedTx), s}, nil
}

func (t countingTx) Commit(ctx context.Context, position uint64) error {
	t.s.commits.Add(1)
	return t.FencedTx.Commit(ctx, position)
}

func (t countingTx) CommitIf(ctx context.Context, expected, position uint64) error {
	t.s.commits.Add(1)
	return t.FencedTx.CommitIf(ctx, expected, position)
}

// A projection that follows a busy log of events it has no handler for
// does not write its checkpoint for each section it skips: it writes it
// at most once a second, and on a clean stop, where the store's
// checkpoint is the head.
func TestSkippedSectionsWriteFewCheckpoints(t *testing.T) {
	sys := newPartitionedSystem(t, 1)
	plain := &countingCheckpoints{MemoryCheckpoints: projections.NewMemoryCheckpoints()}
	tx := &countingReadModel{MemoryReadModel: projections.NewMemoryReadModel[uuid.UUID, int]()}
	opened := func(name string, opts ...projections.ProjectionOption) *projections.Projection {
		p := projections.NewProjection(name, opts...)
		projections.On(p, func(ctx context.Context, e Opened, n projections.Notification) error { return nil })
		return p
	}
	r, err := projections.NewRunner(projections.RunnerConfig{System: sys})
	require.NoError(t, err)
	require.NoError(t, r.Add(opened("plain", projections.Checkpoints(plain)), opened("tx", projections.Checkpoints(tx))))
	require.NoError(t, r.Start(ctx(t)))
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = r.Stop(context.Background())
		}
	})

	id := uuid.New()
	_, err = actors.Send(ctx(t), sys, counterType, id, Open{})
	require.NoError(t, err)
	caughtUp(t, sys, r)
	plainBefore, txBefore := plain.saves.Load(), tx.commits.Load()
	start := time.Now()
	const adds = 60
	for range adds {
		// One at a time, each waited for: each is a section of its own.
		_, err := actors.Send(ctx(t), sys, counterType, id, Add{By: 1})
		require.NoError(t, err)
		caughtUp(t, sys, r)
	}
	// At most one write a second, and one more at the edges.
	most := int64(time.Since(start)/time.Second) + 2
	require.LessOrEqual(t, plain.saves.Load()-plainBefore, most, "plain store: checkpoint saves for %d skipped sections", adds)
	require.LessOrEqual(t, tx.commits.Load()-txBefore, most, "TxStore: commits for %d skipped sections", adds)

	require.NoError(t, r.Stop(context.Background()))
	stopped = true
	head, err := sys.App().Events().Journal().Head(ctx(t), 0)
	require.NoError(t, err)
	require.EqualValues(t, adds+1, head)
	for name, s := range map[string]projections.CheckpointStore{"plain": plain, "tx": tx} {
		cp, err := s.Load(ctx(t), name, 0)
		require.NoError(t, err)
		require.Equal(t, head, cp, "%s: the checkpoint after a clean stop", name)
	}
}
