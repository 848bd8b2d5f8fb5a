package hashchain

import (
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/journal"
)

// ErrBrokenChain is returned when a stored record's hash does not match
// its contents, or its previous-hash header does not match the hash of the
// aggregate's previous record. The error is a *BrokenLinkError.
var ErrBrokenChain = errors.New("hash chain broken")

// BrokenLinkError names the first broken link found: the aggregate, the
// version of the record that does not verify, and why.
type BrokenLinkError struct {
	AggregateID uuid.UUID
	Version     uint64
	// Partition and Position place the record in the global log when
	// VerifyLog found it (Position is 0 otherwise).
	Partition int
	Position  uint64
	// Reason says what does not match.
	Reason string
}

func (e *BrokenLinkError) Error() string {
	at := ""
	if e.Position > 0 {
		at = fmt.Sprintf(" (partition %d position %d)", e.Partition, e.Position)
	}
	return fmt.Sprintf("hashchain: aggregate %s version %d%s: %s: %v", e.AggregateID, e.Version, at, e.Reason, ErrBrokenChain)
}

// Is makes errors.Is(err, ErrBrokenChain) and errors.Is(err,
// journal.ErrCorrupt) true.
func (e *BrokenLinkError) Is(target error) bool {
	return target == ErrBrokenChain || target == journal.ErrCorrupt
}
