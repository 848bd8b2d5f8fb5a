package actors

import (
	"context"
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
	// ErrCommandIDReused is returned for a command whose id the aggregate
	// accepted before for another command (another name or payload): an
	// HTTP Idempotency-Key reused with a different body. Nothing was run.
	ErrCommandIDReused = errors.New("command id reused for another command")
	// ErrResult is returned when the result of a command handler (see
	// HandleResult) does not encode as JSON. Nothing was written.
	ErrResult = errors.New("command result does not encode")
	// ErrUnregisteredEvent is returned by Register for an event declared
	// with Raises that is not registered, and for a command whose handler
	// raised an event of a type that is not registered (the error names
	// the Go type). Nothing was written. Register the event types with
	// domain.Register before registering the aggregate type.
	ErrUnregisteredEvent = errors.New("event type not registered")
	// ErrHandlerPanic is returned when a command handler panicked. Nothing
	// was written; the actor rebuilds its state from the journal.
	ErrHandlerPanic = errors.New("command handler panicked")
	// ErrSnapshotDropped is what an Observer is told of a snapshot that
	// found the snapshot queue full and was not written.
	ErrSnapshotDropped = errors.New("snapshot dropped: the snapshot queue is full")
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
	// ErrCorrupt: a stored event or snapshot does not read back as it was
	// written (it fails to decrypt, decompress or decode); the error names
	// the aggregate and version.
	ErrCorrupt = journal.ErrCorrupt
	// ErrShredded: a stored event belongs to a crypto-shredded subject and
	// can never be read again.
	ErrShredded = journal.ErrShredded
)

// Kind is what a caller that retries (a process manager, a client) makes
// of a command's error.
type Kind int

const (
	// KindNone: no error.
	KindNone Kind = iota
	// KindRefused: the command was refused for good: a broken business
	// rule, no aggregate of that type with that id (or an id of another
	// type, or a discarded aggregate), a create for an aggregate that
	// exists, a command that does not fit or is not known. Trying again
	// gives the same answer.
	KindRefused
	// KindTransient: the journal could not be reached, the outcome is
	// unknown, another writer won (twice), the storage fenced the writer
	// off, the system is closing, or the wait for the reply ran out. Try
	// again with the same command id, for as long as the outage lasts:
	// only that tells the outcome.
	KindTransient
	// KindFault: anything else: a handler's panic, a corrupt or shredded
	// record, a bug. Trying again may not help.
	KindFault
)

func (k Kind) String() string {
	switch k {
	case KindNone:
		return "none"
	case KindRefused:
		return "refused"
	case KindTransient:
		return "transient"
	default:
		return "fault"
	}
}

// KindOf classifies err by the sentinels it wraps (errors.Is), so a
// remote error that wire.Error rebuilt from its code is classified as
// the local one.
func KindOf(err error) Kind {
	switch {
	case err == nil:
		return KindNone
	case errors.Is(err, ErrCorrupt), errors.Is(err, ErrShredded), errors.Is(err, ErrHandlerPanic):
		return KindFault
	case errors.Is(err, ErrRejected), errors.Is(err, ErrAggregateNotFound), errors.Is(err, ErrAlreadyExists),
		errors.Is(err, ErrDiscarded), errors.Is(err, ErrWrongType),
		errors.Is(err, ErrBadCommand), errors.Is(err, ErrUnknownCommand), errors.Is(err, ErrUnknownType):
		return KindRefused
	case errors.Is(err, ErrUnavailable), errors.Is(err, ErrOutcomeUnknown), errors.Is(err, ErrVersionConflict),
		errors.Is(err, journal.ErrFenced), errors.Is(err, ErrClosed), errors.Is(err, journal.ErrClosed),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return KindTransient
	default:
		return KindFault
	}
}
