package actors

import (
	"errors"

	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/journal"
)

var (
	// ErrAggregateNotFound is returned when an aggregate has no events, and
	// for a command that is not a create command sent to such an aggregate
	// (app.ErrAggregateNotFound, the same value).
	ErrAggregateNotFound = app.ErrAggregateNotFound
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
	// ErrWrongType is returned when the stored aggregate is not of the type
	// asked for (app.ErrWrongType).
	ErrWrongType = app.ErrWrongType
	// ErrDiscarded is returned for a command or a query to an aggregate
	// that was discarded (domain.Discard), as an *app.DiscardedError
	// (app.ErrDiscarded, the same value). It is also ErrAggregateNotFound.
	ErrDiscarded = app.ErrDiscarded
	// ErrClosed is returned by a system after Close (app.ErrClosed, the
	// same value).
	ErrClosed = app.ErrClosed
)

// The journal's outcomes of a command, re-exported so that a user of the
// actor API checks them with errors.Is without importing journal.
var (
	// ErrVersionConflict: another writer appended to the aggregate first,
	// even after the actor reloaded and ran the command again.
	ErrVersionConflict = journal.ErrVersionConflict
	// ErrOutcomeUnknown: the journal did not answer; the command may or
	// may not have been written. Retry with the same command id.
	ErrOutcomeUnknown = journal.ErrOutcomeUnknown
	// ErrUnavailable: the journal could not be reached; nothing was
	// written.
	ErrUnavailable = journal.ErrUnavailable
)
