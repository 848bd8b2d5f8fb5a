package app

import "errors"

var (
	// ErrAggregateNotFound is returned when an aggregate has no events.
	ErrAggregateNotFound = errors.New("aggregate not found")
	// ErrWrongType is returned when the stored aggregate is not of the type
	// the repository was asked for.
	ErrWrongType = errors.New("aggregate is of another type")
	// ErrClosed is returned by an application after Close.
	ErrClosed = errors.New("application closed")
)

// IsNotFound reports whether err says an aggregate does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrAggregateNotFound) }
