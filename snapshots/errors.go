package snapshots

import "errors"

var (
	// ErrNotFound is returned by Latest when the aggregate has no snapshot
	// at or below the version asked for.
	ErrNotFound = errors.New("snapshot not found")
	// ErrInvalid is returned by Save for a snapshot that cannot be stored as
	// given (nil aggregate id, version 0, no type name).
	ErrInvalid = errors.New("invalid snapshot")
	// ErrClosed is returned by a store after Close.
	ErrClosed = errors.New("snapshot store closed")
)
