package wire_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/wire"
)

func TestErrorCodesRoundTrip(t *testing.T) {
	for _, err := range []error{
		actors.ErrAggregateNotFound, actors.ErrAlreadyExists, actors.ErrRejected,
		journal.ErrVersionConflict, journal.ErrOutcomeUnknown, journal.ErrUnavailable,
		actors.ErrBadCommand, actors.ErrClosed, journal.ErrFenced, wire.ErrMoved,
		actors.ErrDiscarded, actors.ErrCommandIDReused, actors.ErrUnregisteredEvent,
	} {
		wrapped := fmt.Errorf("somewhere: %w", err)
		code := wire.ErrorCode(wrapped)
		require.NotEqual(t, wire.CodeInternal, code, "%v", err)
		back := wire.Error(code, wrapped.Error())
		require.ErrorIs(t, back, err, "code %s", code)
		require.Equal(t, wrapped.Error(), back.Error())
		require.Equal(t, code, wire.ErrorCode(back))
	}
	require.Equal(t, wire.CodeInternal, wire.ErrorCode(errors.New("what")))
	require.NoError(t, wire.Error("", ""))
	require.ErrorIs(t, wire.Error("teapot", "short and stout"), wire.ErrRemote)
}
