package snapshots

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
)

// Store keeps snapshots of aggregates.
type Store interface {
	// Save stores a snapshot. Saving a snapshot at a version that is
	// already stored replaces it.
	Save(ctx context.Context, s domain.Snapshot) error
	// Latest returns the aggregate's snapshot with the highest version that
	// is at most maxVersion (0: the highest of all), or ErrNotFound.
	Latest(ctx context.Context, id uuid.UUID, maxVersion uint64) (domain.Snapshot, error)
	// Close releases the store. It is safe to call more than once.
	Close() error
}

// Check validates a snapshot before a backend stores it.
func Check(s domain.Snapshot) error {
	switch {
	case s.AggregateID == uuid.Nil:
		return fmt.Errorf("snapshots: save: nil aggregate id: %w", ErrInvalid)
	case s.Version == 0:
		return fmt.Errorf("snapshots: save aggregate %s: version 0: %w", s.AggregateID, ErrInvalid)
	case s.Type == "":
		return fmt.Errorf("snapshots: save aggregate %s version %d: no type name: %w", s.AggregateID, s.Version, ErrInvalid)
	}
	return nil
}

// Transform changes snapshots on their way into the store and back
// (compression, encryption). EncodeSnapshot runs on save in the order the
// transforms were given, DecodeSnapshot on load in reverse order; a
// transform records what it did in Snapshot.Headers.
type Transform interface {
	EncodeSnapshot(ctx context.Context, s *domain.Snapshot) error
	DecodeSnapshot(ctx context.Context, s *domain.Snapshot) error
}
