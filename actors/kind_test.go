package actors_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/journal"
)

// TestKindOf: each sentinel, wrapped as the system returns it, has the
// kind its doc gives it; an error factum does not know is a fault.
func TestKindOf(t *testing.T) {
	for want, errs := range map[actors.Kind][]error{
		actors.KindRefused: {actors.ErrRejected, actors.ErrAggregateNotFound, actors.ErrAlreadyExists,
			actors.ErrDiscarded, actors.ErrWrongType, actors.ErrBadCommand, actors.ErrUnknownCommand, actors.ErrUnknownType},
		actors.KindTransient: {actors.ErrUnavailable, actors.ErrOutcomeUnknown, actors.ErrVersionConflict,
			journal.ErrFenced, actors.ErrClosed, journal.ErrClosed, context.DeadlineExceeded, context.Canceled},
		actors.KindFault: {actors.ErrCorrupt, actors.ErrShredded, actors.ErrHandlerPanic,
			actors.ErrCommandIDReused, actors.ErrUnregisteredEvent, errors.New("disk on fire")},
	} {
		for _, err := range errs {
			assert.Equal(t, want, actors.KindOf(fmt.Errorf("actors: bank.Account: deposit: %w", err)), "%v", err)
		}
	}
	assert.Equal(t, actors.KindNone, actors.KindOf(nil))
	// A fault wins over what else the error is: a corrupt record is not a
	// missing aggregate, even when the message says both.
	assert.Equal(t, actors.KindFault, actors.KindOf(fmt.Errorf("%w: %w", actors.ErrCorrupt, actors.ErrAggregateNotFound)))
}
