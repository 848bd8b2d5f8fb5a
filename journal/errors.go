package journal

import (
	"errors"
	"fmt"

	"github.com/google/uuid"
)

var (
	// ErrVersionConflict is returned by Append when the aggregate's stream is
	// not at the expected version: someone else appended first. Nothing was
	// written. The error is a *ConflictError.
	ErrVersionConflict = errors.New("version conflict")
	// ErrInvalidAppend is returned by Append for records that cannot be
	// appended as given (no records, wrong aggregate id, versions that do not
	// follow the expected version, no type name). Nothing was written.
	ErrInvalidAppend = errors.New("invalid append")
	// ErrOutcomeUnknown is returned when an append was sent but its result
	// was not received (timeout, lost connection): it may or may not have
	// been written. Read the stream to find out.
	ErrOutcomeUnknown = errors.New("append outcome unknown")
	// ErrUnavailable is returned when the journal cannot be reached; the
	// request was not sent, so nothing was written.
	ErrUnavailable = errors.New("journal unavailable")
	// ErrMultiAppend is returned by AppendMany for a journal that cannot
	// append to several aggregates at once (it is no MultiAppender).
	// Nothing was written.
	ErrMultiAppend = errors.New("journal cannot append to several aggregates at once")
	// ErrCrossPartition is returned by AppendMany of a journal that
	// appends atomically only within one partition (Redis Cluster), for
	// aggregates in several; the error is a *CrossPartitionError naming
	// them. Nothing was written.
	ErrCrossPartition = errors.New("atomic append across partitions not supported")
	// ErrClosed is returned by a journal after Close.
	ErrClosed = errors.New("journal closed")
	// ErrPartition is returned for a partition number outside 0..P-1.
	ErrPartition = errors.New("no such partition")
	// ErrFenced is returned by Append when the journal is fenced (it runs
	// in a cluster) and the writer does not hold the current lease of the
	// aggregate's partition: another node owns it now, or the lease
	// expired. The storage checked the lease in the same atomic step as the
	// append: nothing was written.
	ErrFenced = errors.New("append fenced: the writer's lease on the partition is not current")
	// ErrCorrupt is returned when a stored record cannot be read back as it
	// was written (a transform fails to verify or decode it).
	ErrCorrupt = errors.New("corrupt record")
	// ErrShredded is returned when a stored record's key was deleted on
	// purpose (crypto-shredding): it is still stored, but can never be
	// read again (storage/encryption.ErrShredded is the same value).
	ErrShredded = errors.New("subject shredded")
)

// WrongTypeError is returned by EventStore.ReplayAs when the aggregate's
// first record names another aggregate type than the one asked for.
type WrongTypeError struct {
	AggregateID uuid.UUID
	Want        string
	Stored      string
}

func (e *WrongTypeError) Error() string {
	return fmt.Sprintf("journal: aggregate %s is a %s, not a %s", e.AggregateID, e.Stored, e.Want)
}

// ConflictError says which append lost and to what.
type ConflictError struct {
	AggregateID uuid.UUID
	// Expected is the version the append expected the stream to be at.
	Expected uint64
	// Actual is the version the stream was at, when the backend knows it.
	Actual uint64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("journal: aggregate %s: expected version %d, stream is at version %d: %v",
		e.AggregateID, e.Expected, e.Actual, ErrVersionConflict)
}

// Is makes errors.Is(err, ErrVersionConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrVersionConflict }
