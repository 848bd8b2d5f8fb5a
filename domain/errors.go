package domain

import "errors"

var (
	// ErrUnknownType is returned when a type name read from storage has no
	// registered Go type, or a Go value of an unregistered type is encoded.
	ErrUnknownType = errors.New("unknown type")
	// ErrDuplicateType is returned when a type name or Go type is registered twice.
	ErrDuplicateType = errors.New("type already registered")
	// ErrUnknownEvent is returned by an aggregate's Apply for an event it
	// does not handle (see UnknownEvent).
	ErrUnknownEvent = errors.New("unknown event")
	// ErrHistory is returned when an event does not belong to the aggregate
	// it is applied to: another aggregate's id, or an out-of-order version.
	ErrHistory = errors.New("event does not fit the aggregate's history")
	// ErrNoID is returned when an event is raised on an aggregate that has
	// not been given an id (see Init).
	ErrNoID = errors.New("aggregate has no id")
	// ErrSchemaVersion is returned when stored data has a schema version the
	// registered type does not know how to read (newer than the code, or
	// older with no upcaster).
	ErrSchemaVersion = errors.New("unsupported schema version")
	// ErrDiscarded is returned for an aggregate that was discarded (see
	// Discard): it raises no more events and is no longer in its
	// repository.
	ErrDiscarded = errors.New("aggregate discarded")
	// ErrDecode is returned when stored bytes do not decode into their
	// registered type. The error names the type, the length and where the
	// codec stopped, never the bytes themselves (they may be personal
	// data).
	ErrDecode = errors.New("stored data does not decode")
)
