package journal

import (
	"context"
	"fmt"

	"github.com/google/uuid"
)

// Stream is one aggregate's part of an append to several aggregates.
type Stream struct {
	AggregateID uuid.UUID
	// Expected is the version the aggregate must be at (0: new).
	Expected uint64
	// Records carry AggregateID and versions Expected+1, Expected+2, ...
	Records []Record
}

// MultiAppender is a Journal that appends to several aggregates at once,
// all or nothing: what the seeds' save(a, b) needs. It is an optional
// ability, found by type assertion (see AppendMany).
type MultiAppender interface {
	// AppendMany appends every stream's records if, and only if, every
	// aggregate is at its expected version. It is all or nothing: on a
	// conflict it returns the *ConflictError of an aggregate that was not
	// at its expected version, nothing is written and no log position is
	// used. It returns the log position of each stream's last record, in
	// the order of streams. A journal that cannot append the given
	// aggregates together (Redis Cluster, across partitions) refuses with
	// ErrCrossPartition, naming the partitions, before writing anything.
	AppendMany(ctx context.Context, streams []Stream) ([]uint64, error)
}

// AppendMany appends streams to j all or nothing: one stream is a plain
// Append; several need j to be a MultiAppender (ErrMultiAppend
// otherwise, with nothing written).
func AppendMany(ctx context.Context, j Journal, streams []Stream) ([]uint64, error) {
	if len(streams) == 1 {
		s := streams[0]
		last, err := j.Append(ctx, s.AggregateID, s.Expected, s.Records)
		if err != nil {
			return nil, err
		}
		return []uint64{last}, nil
	}
	m, ok := j.(MultiAppender)
	if !ok {
		return nil, fmt.Errorf("journal: append to %d aggregates at once: %T: %w", len(streams), j, ErrMultiAppend)
	}
	return m.AppendMany(ctx, streams)
}

// CheckAppendMany validates an append to several aggregates: at least
// one stream, each a valid append (CheckAppend), no aggregate twice.
func CheckAppendMany(streams []Stream) error {
	if len(streams) == 0 {
		return fmt.Errorf("journal: append to several aggregates: no streams: %w", ErrInvalidAppend)
	}
	seen := make(map[uuid.UUID]bool, len(streams))
	for _, s := range streams {
		if seen[s.AggregateID] {
			return fmt.Errorf("journal: append to several aggregates: aggregate %s appears twice: %w", s.AggregateID, ErrInvalidAppend)
		}
		seen[s.AggregateID] = true
		if err := CheckAppend(s.AggregateID, s.Expected, s.Records); err != nil {
			return err
		}
	}
	return nil
}

// CrossPartitionError is the ErrCrossPartition of a journal that keeps
// partitions apart (Redis Cluster): the aggregates of one AppendMany were
// in several partitions. Nothing was written.
type CrossPartitionError struct {
	// Partitions are the partitions the aggregates are in, ascending.
	Partitions []int
}

func (e *CrossPartitionError) Error() string {
	return fmt.Sprintf("journal: append to several aggregates at once: they are in partitions %v, and this journal appends atomically only within one partition (give them ids in one partition, or save them apart): %v",
		e.Partitions, ErrCrossPartition)
}

// Is makes errors.Is(err, ErrCrossPartition) true.
func (e *CrossPartitionError) Is(target error) bool { return target == ErrCrossPartition }
