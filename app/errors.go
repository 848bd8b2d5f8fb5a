package app

import (
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
)

var (
	// ErrAggregateNotFound is returned when an aggregate has no events.
	ErrAggregateNotFound = errors.New("aggregate not found")
	// ErrWrongType is returned when the stored aggregate (its events or its
	// snapshot) is not of the type asked for: the error is a
	// *WrongTypeError, which is also ErrAggregateNotFound (there is no
	// aggregate of the type asked for with that id).
	ErrWrongType = errors.New("aggregate is of another type")
	// ErrDiscarded is returned for an aggregate that was discarded
	// (domain.Discard), as a *DiscardedError, which is also
	// ErrAggregateNotFound: a discarded aggregate is no longer in the
	// repository. It is domain.ErrDiscarded.
	ErrDiscarded = domain.ErrDiscarded
	// ErrClosed is returned by an application after Close.
	ErrClosed = errors.New("application closed")
)

// IsNotFound reports whether err says an aggregate does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrAggregateNotFound) }

// WrongTypeError says that aggregate ID is stored as type Stored, not as
// type Want.
type WrongTypeError struct {
	ID     uuid.UUID
	Want   string
	Stored string
}

func (e *WrongTypeError) Error() string {
	return fmt.Sprintf("app: aggregate %s is a %s, not a %s: %v", e.ID, e.Stored, e.Want, ErrWrongType)
}

// Is makes errors.Is true for ErrWrongType and ErrAggregateNotFound.
func (e *WrongTypeError) Is(target error) bool {
	return target == ErrWrongType || target == ErrAggregateNotFound
}

// DiscardedError says that an aggregate was discarded, and at which
// version. errors.Is matches it to ErrDiscarded and to
// ErrAggregateNotFound.
type DiscardedError struct {
	AggregateID uuid.UUID
	// Version is the version of its Discarded event, its last.
	Version uint64
}

func (e *DiscardedError) Error() string {
	return fmt.Sprintf("app: aggregate %s was discarded at version %d: %v", e.AggregateID, e.Version, ErrDiscarded)
}

// Is makes errors.Is true for ErrDiscarded and ErrAggregateNotFound.
func (e *DiscardedError) Is(target error) bool {
	return target == ErrDiscarded || target == ErrAggregateNotFound
}
