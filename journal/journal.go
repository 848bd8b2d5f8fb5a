package journal

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
)

// Record is one stored event: bytes, their type name, and metadata.
type Record struct {
	AggregateID uuid.UUID
	// Version is the aggregate's version after this event (1 for the first).
	Version uint64
	// Type is the event's registered type name.
	Type string
	// SchemaVersion is the version of Type's schema that Data was written at.
	SchemaVersion uint32
	Time          time.Time
	// Data is the encoded event. Backends copy it on Append; records that
	// Read or Select return share their bytes with the backend: do not
	// modify them.
	Data []byte
	Meta domain.Metadata
	// Headers are written by the EventStore's transforms (compression,
	// encryption, hash chain) to say what they did to Data.
	Headers map[string]string
}

// Notification is a record at its place in the global log.
type Notification struct {
	Partition int
	// Position is the record's place in its partition: 1, 2, 3, ...
	Position uint64
	Record
}

// Journal is the storage port for events.
type Journal interface {
	// Append appends records to aggregate id's stream if, and only if, the
	// stream is at version expected (0 for a new aggregate). Records must
	// carry id and versions expected+1, expected+2, ... It is all or
	// nothing. The records take the next positions of the aggregate's
	// partition; Append returns the position of the last one. Append
	// keeps neither records nor anything they point to once it returns:
	// the caller may reuse them.
	Append(ctx context.Context, id uuid.UUID, expected uint64, records []Record) (last uint64, err error)
	// Read returns the aggregate's records with from <= version <= to, in
	// version order; to == 0 means no upper bound. An unknown aggregate has
	// no records: Read returns none and no error.
	Read(ctx context.Context, id uuid.UUID, from, to uint64) ([]Record, error)
	// Partitions returns P, the number of partitions of the global log.
	Partitions() int
	// Select returns up to limit notifications of a partition with
	// position >= start, in position order.
	Select(ctx context.Context, partition int, start uint64, limit int) ([]Notification, error)
	// Head returns the last position of a partition (0 when empty).
	Head(ctx context.Context, partition int) (uint64, error)
	// Wait blocks until the partition's head is past after, or ctx ends,
	// and returns the head.
	Wait(ctx context.Context, partition int, after uint64) (uint64, error)
	// Close releases the journal. It is safe to call more than once.
	Close() error
}

// CheckAppend validates an append before a backend runs it; every backend
// calls it so bad input gets the same clear error everywhere.
func CheckAppend(id uuid.UUID, expected uint64, records []Record) error {
	if id == uuid.Nil {
		return fmt.Errorf("journal: append: nil aggregate id: %w", ErrInvalidAppend)
	}
	if len(records) == 0 {
		return fmt.Errorf("journal: append to aggregate %s: no records: %w", id, ErrInvalidAppend)
	}
	for i := range records {
		r := &records[i]
		if r.AggregateID != id {
			return fmt.Errorf("journal: append to aggregate %s: record %d is for aggregate %s: %w", id, i, r.AggregateID, ErrInvalidAppend)
		}
		if want := expected + uint64(i) + 1; r.Version != want {
			return fmt.Errorf("journal: append to aggregate %s at expected version %d: record %d has version %d, want %d: %w",
				id, expected, i, r.Version, want, ErrInvalidAppend)
		}
		if r.Type == "" {
			return fmt.Errorf("journal: append to aggregate %s: record version %d has no type name: %w", id, r.Version, ErrInvalidAppend)
		}
	}
	return nil
}

// CheckPartition returns ErrPartition unless 0 <= partition < partitions.
func CheckPartition(partition, partitions int) error {
	if partition < 0 || partition >= partitions {
		return fmt.Errorf("journal: partition %d: the log has partitions 0..%d: %w", partition, partitions-1, ErrPartition)
	}
	return nil
}
