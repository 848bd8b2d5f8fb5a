package projections

import (
	"context"
	"fmt"
	"sync"
)

// CheckpointStore keeps each projection's checkpoint: the last position of
// each log partition whose notification it has handled (0: none).
type CheckpointStore interface {
	// Load returns the projection's checkpoint in partition (0 when it has
	// none).
	Load(ctx context.Context, projection string, partition int) (uint64, error)
	// Save records position as the projection's checkpoint in partition.
	Save(ctx context.Context, projection string, partition int, position uint64) error
}

// TxStore is a CheckpointStore that also holds a read model and can write
// a batch of read-model changes and the checkpoint in one atomic step. A
// projection on a TxStore is exactly-once in effect: a batch is either
// applied with its checkpoint, or not at all and handled again.
//
// The runner calls Begin before it hands a batch to the handlers, which
// find the transaction in the context they are given (each TxStore offers
// its own accessor, such as MemoryReadModel.Tx), then Commit with the
// batch's last position, or Rollback.
type TxStore interface {
	CheckpointStore
	Begin(ctx context.Context, projection string, partition int) (context.Context, Tx, error)
}

// Tx is one batch of read-model changes in a TxStore.
type Tx interface {
	// Commit writes the changes and the checkpoint position at once.
	Commit(ctx context.Context, position uint64) error
	// Rollback drops the changes.
	Rollback()
}

// FencedCheckpoints is a CheckpointStore that can save a checkpoint on
// condition (compare-and-set). The runner uses it when a store has it, so
// that a stale worker (a second runner of the same projection on the same
// store, or a cluster node that lost the partition) cannot move the
// checkpoint.
type FencedCheckpoints interface {
	CheckpointStore
	// SaveIf records position as the checkpoint if the store holds
	// expected (0: none); otherwise it writes nothing and returns an error
	// that wraps ErrCheckpointMoved.
	SaveIf(ctx context.Context, projection string, partition int, expected, position uint64) error
}

// FencedTx is a Tx that can commit on condition. The runner commits with
// CommitIf when a store's Tx has it.
type FencedTx interface {
	Tx
	// CommitIf writes the changes and the checkpoint position at once if
	// the store's checkpoint is expected (0: none); otherwise it writes
	// nothing (neither the changes nor the checkpoint) and returns an
	// error that wraps ErrCheckpointMoved.
	CommitIf(ctx context.Context, expected, position uint64) error
}

// ResettableStore is a CheckpointStore that resets a projection in one
// atomic step: its read model is cleared and its checkpoint in every
// partition set to 0, so that a fenced commit of a worker that loaded an
// older checkpoint is refused (Runner.Reset).
type ResettableStore interface {
	CheckpointStore
	// ResetProjection clears projection's read model (what the store
	// knows of it) and sets its checkpoints in partitions 0 to
	// partitions-1 to 0.
	ResetProjection(ctx context.Context, projection string, partitions int) error
}

type checkpointKey struct {
	projection string
	partition  int
}

// MemoryCheckpoints is a CheckpointStore in memory, for tests and for
// projections whose read model is rebuilt on every start.
type MemoryCheckpoints struct {
	mu sync.Mutex
	m  map[checkpointKey]uint64
}

// NewMemoryCheckpoints returns an empty checkpoint store.
func NewMemoryCheckpoints() *MemoryCheckpoints {
	return &MemoryCheckpoints{m: map[checkpointKey]uint64{}}
}

// Load implements CheckpointStore.
func (s *MemoryCheckpoints) Load(ctx context.Context, projection string, partition int) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[checkpointKey{projection, partition}], nil
}

// Save implements CheckpointStore.
func (s *MemoryCheckpoints) Save(ctx context.Context, projection string, partition int, position uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[checkpointKey{projection, partition}] = position
	return nil
}

// SaveIf implements FencedCheckpoints.
func (s *MemoryCheckpoints) SaveIf(ctx context.Context, projection string, partition int, expected, position uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := checkpointKey{projection, partition}
	if cur := s.m[k]; cur != expected {
		return movedError("memory checkpoints", projection, partition, expected, cur, position)
	}
	s.m[k] = position
	return nil
}

func movedError(store, projection string, partition int, expected, cur, position uint64) error {
	return fmt.Errorf("projections: %s: projection %q partition %d: save %d expecting checkpoint %d, but it is %d: %w",
		store, projection, partition, position, expected, cur, ErrCheckpointMoved)
}

// ResetProjection implements ResettableStore (the checkpoints only).
func (s *MemoryCheckpoints) ResetProjection(ctx context.Context, projection string, partitions int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.m {
		if k.projection == projection {
			delete(s.m, k)
		}
	}
	return nil
}
