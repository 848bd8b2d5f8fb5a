package actors

import (
	"context"
	"errors"

	"github.com/factum-dev/factum/journal"
)

var (
	// ErrAggregateNotFound is returned when an aggregate has no events, and
	// for a command that is not a create command sent to such an aggregate.
	ErrAggregateNotFound = errors.New("aggregate not found")
	// ErrAlreadyExists is returned for a create command sent to an
	// aggregate that has events.
	ErrAlreadyExists = errors.New("aggregate already exists")
	// ErrUnknownType is returned for an aggregate type that is not
	// registered with the system.
	ErrUnknownType = errors.New("unknown aggregate type")
	// ErrUnknownCommand is returned for a command name (or Go type) that
	// the aggregate type has no handler for.
	ErrUnknownCommand = errors.New("unknown command")
	// ErrBadCommand is returned when a command's payload does not decode
	// into the handler's command type; the error says why.
	ErrBadCommand = errors.New("bad command")
	// ErrRejected wraps the error a command handler returned (a broken
	// business rule). Nothing was written and the state is unchanged.
	ErrRejected = errors.New("command rejected")
	// ErrHandlerPanic is returned when a command handler panicked. Nothing
	// was written; the actor rebuilds its state from the journal.
	ErrHandlerPanic = errors.New("command handler panicked")
	// ErrLimit is returned by NotificationLog.Select for a limit that is not
	// between 1 and the log's maximum.
	ErrLimit = errors.New("select limit out of range")
	// ErrWrongType is returned when the stored aggregate is not of the type
	// the repository was asked for.
	ErrWrongType = errors.New("aggregate is of another type")
	// ErrClosed is returned by an application or a system after Close.
	ErrClosed = errors.New("application closed")
)

// ErrorCode maps an error returned by the system to the error code of
// factum's API and wire format (CommandReply.error_code): "" for nil,
// "not_found", "already_exists", "rejected", "conflict",
// "outcome_unknown", "unavailable", "bad_request", "timeout", "closed" or
// "internal".
func ErrorCode(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrAggregateNotFound):
		return "not_found"
	case errors.Is(err, ErrAlreadyExists):
		return "already_exists"
	case errors.Is(err, ErrRejected):
		return "rejected"
	case errors.Is(err, journal.ErrVersionConflict):
		return "conflict"
	case errors.Is(err, journal.ErrOutcomeUnknown):
		return "outcome_unknown"
	case errors.Is(err, journal.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, ErrUnknownType), errors.Is(err, ErrUnknownCommand), errors.Is(err, ErrBadCommand):
		return "bad_request"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "timeout"
	case errors.Is(err, ErrClosed), errors.Is(err, journal.ErrClosed):
		return "closed"
	default:
		return "internal"
	}
}

var (
	// ErrProjection is returned for a projection, process manager or
	// runner that is set up wrong; the error says what.
	ErrProjection = errors.New("bad projection")
	// ErrHandler wraps the error of a projection's handler, with the
	// projection, partition and position it failed at. The notification is
	// retried with backoff; the checkpoint does not move past it.
	ErrHandler = errors.New("projection handler failed")
	// ErrCheckpoint wraps a checkpoint store's failure to load, save or
	// commit a checkpoint.
	ErrCheckpoint = errors.New("checkpoint store failed")
	// ErrRunning is returned by a Runner asked to change after Start, or
	// to start twice.
	ErrRunning = errors.New("runner already started")
	// ErrTxDone is returned by a read-model transaction used after its
	// batch was committed or rolled back.
	ErrTxDone = errors.New("transaction already ended")
)
