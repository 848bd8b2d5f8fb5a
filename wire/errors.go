package wire

import (
	"context"
	"errors"
	"fmt"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/journal"
)

// The error codes of factum's API and wire format.
const (
	CodeNotFound       = "not_found"
	CodeAlreadyExists  = "already_exists"
	CodeRejected       = "rejected"
	CodeConflict       = "conflict"
	CodeOutcomeUnknown = "outcome_unknown"
	CodeUnavailable    = "unavailable"
	CodeBadRequest     = "bad_request"
	CodeTimeout        = "timeout"
	CodeClosed         = "closed"
	CodeInternal       = "internal"
	// CodeDiscarded: the aggregate was discarded; it takes no commands
	// and its state is gone (its history is readable at earlier
	// versions).
	CodeDiscarded = "discarded"
	// CodeIdempotencyKeyReused: the command id (Idempotency-Key) was
	// accepted before for another command or body; nothing was run.
	CodeIdempotencyKeyReused = "idempotency_key_reused"
	// CodeUnregisteredEvent: the command's handler raised an event of a
	// type the server has not registered (a bug of the server's set-up;
	// the message names the type). Nothing was written.
	CodeUnregisteredEvent = "unregistered_event"
	// CodeFenced: the append was refused by the storage because the
	// writer's lease on the partition is not current; nothing was written.
	CodeFenced = "fenced"
	// CodeMoved: the node asked does not own the aggregate's partition
	// (any more); nothing was run. Ask the owner.
	CodeMoved = "moved"
	// CodeCorrupt: a stored event or snapshot does not read back as it
	// was written; the message names the aggregate and version.
	CodeCorrupt = "corrupt"
	// CodeShredded: the events asked for belong to a crypto-shredded
	// subject.
	CodeShredded = "shredded"
)

// ErrMoved is what CodeMoved stands for: the node does not own the
// aggregate's partition, and did not run the command. It is also
// journal.ErrUnavailable (errors.Is): to a caller that retries, as a
// process manager does (actors.KindOf), a partition between owners is
// unavailable for a while, not a fault.
var ErrMoved error = movedError{}

type movedError struct{}

func (movedError) Error() string        { return "partition not owned by this node" }
func (movedError) Is(target error) bool { return target == journal.ErrUnavailable }

// ErrorCode maps an error returned by the actor system to its code: ""
// for nil, CodeInternal for an error it does not know.
func ErrorCode(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, actors.ErrDiscarded):
		return CodeDiscarded
	case errors.Is(err, actors.ErrCommandIDReused):
		return CodeIdempotencyKeyReused
	case errors.Is(err, actors.ErrUnregisteredEvent):
		return CodeUnregisteredEvent
	case errors.Is(err, journal.ErrShredded):
		return CodeShredded
	case errors.Is(err, journal.ErrCorrupt):
		return CodeCorrupt
	case errors.Is(err, actors.ErrAggregateNotFound):
		return CodeNotFound
	case errors.Is(err, actors.ErrAlreadyExists):
		return CodeAlreadyExists
	case errors.Is(err, actors.ErrRejected):
		return CodeRejected
	case errors.Is(err, journal.ErrVersionConflict):
		return CodeConflict
	case errors.Is(err, journal.ErrFenced):
		return CodeFenced
	case errors.Is(err, ErrMoved):
		return CodeMoved
	case errors.Is(err, journal.ErrOutcomeUnknown):
		return CodeOutcomeUnknown
	case errors.Is(err, journal.ErrUnavailable):
		return CodeUnavailable
	case errors.Is(err, actors.ErrUnknownType), errors.Is(err, actors.ErrUnknownCommand), errors.Is(err, actors.ErrBadCommand):
		return CodeBadRequest
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return CodeTimeout
	case errors.Is(err, actors.ErrClosed), errors.Is(err, journal.ErrClosed):
		return CodeClosed
	default:
		return CodeInternal
	}
}

// ErrRemote is what an error code this package does not know stands for.
var ErrRemote = errors.New("remote error")

// Error returns the error a code and message stand for: an error whose
// text is msg and that is (errors.Is) the sentinel of the code, so that a
// caller checks a remote failure as it checks a local one. A nil error for
// an empty code.
func Error(code, msg string) error {
	var sentinel error
	switch code {
	case "":
		return nil
	case CodeDiscarded:
		// As the local error: a discarded aggregate is also not found.
		return &remoteError{code: code, msg: msg, sentinel: actors.ErrDiscarded, also: actors.ErrAggregateNotFound}
	case CodeIdempotencyKeyReused:
		sentinel = actors.ErrCommandIDReused
	case CodeUnregisteredEvent:
		sentinel = actors.ErrUnregisteredEvent
	case CodeNotFound:
		sentinel = actors.ErrAggregateNotFound
	case CodeAlreadyExists:
		sentinel = actors.ErrAlreadyExists
	case CodeRejected:
		sentinel = actors.ErrRejected
	case CodeConflict:
		sentinel = journal.ErrVersionConflict
	case CodeOutcomeUnknown:
		sentinel = journal.ErrOutcomeUnknown
	case CodeFenced:
		sentinel = journal.ErrFenced
	case CodeMoved:
		sentinel = ErrMoved
	case CodeUnavailable:
		sentinel = journal.ErrUnavailable
	case CodeBadRequest:
		sentinel = actors.ErrBadCommand
	case CodeTimeout:
		sentinel = context.DeadlineExceeded
	case CodeClosed:
		sentinel = actors.ErrClosed
	case CodeCorrupt:
		sentinel = journal.ErrCorrupt
	case CodeShredded:
		sentinel = journal.ErrShredded
	default:
		sentinel = ErrRemote
	}
	return &remoteError{code: code, msg: msg, sentinel: sentinel}
}

type remoteError struct {
	code, msg string
	sentinel  error
	also      error // a second sentinel the local error is too, or nil
}

func (e *remoteError) Error() string {
	if e.msg == "" {
		return fmt.Sprintf("%s: %v", e.code, e.sentinel)
	}
	return e.msg
}

func (e *remoteError) Unwrap() []error {
	if e.also != nil {
		return []error{e.sentinel, e.also}
	}
	return []error{e.sentinel}
}
