package actors

import "errors"

var (
	// ErrAggregateNotFound is returned when an aggregate has no events.
	ErrAggregateNotFound = errors.New("aggregate not found")
	// ErrLimit is returned by NotificationLog.Select for a limit that is not
	// between 1 and the log's maximum.
	ErrLimit = errors.New("select limit out of range")
	// ErrWrongType is returned when the stored aggregate is not of the type
	// the repository was asked for.
	ErrWrongType = errors.New("aggregate is of another type")
	// ErrClosed is returned by an application after Close.
	ErrClosed = errors.New("application closed")
)
