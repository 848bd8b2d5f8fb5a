package wire_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
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

// TestRemoteErrorsKeepTheirKind: a caller that retries by the error's kind
// (a process manager whose command went to another node) classifies the
// error rebuilt from a code as it classifies the local one, and a
// partition between owners is transient, never a fault.
func TestRemoteErrorsKeepTheirKind(t *testing.T) {
	id := uuid.New()
	for _, err := range []error{
		actors.ErrAggregateNotFound, actors.ErrAlreadyExists, actors.ErrRejected,
		journal.ErrVersionConflict, journal.ErrOutcomeUnknown, journal.ErrUnavailable,
		actors.ErrBadCommand, actors.ErrClosed, journal.ErrFenced, wire.ErrMoved,
		actors.ErrDiscarded, actors.ErrCommandIDReused, actors.ErrUnregisteredEvent,
		journal.ErrCorrupt, journal.ErrShredded, context.DeadlineExceeded,
		&app.DiscardedError{AggregateID: id, Version: 3},
		&app.WrongTypeError{ID: id, Want: "bank.Account", Stored: "dogschool.Dog"},
	} {
		local := fmt.Errorf("somewhere: %w", err)
		remote := wire.Error(wire.ErrorCode(local), local.Error())
		require.Equal(t, actors.KindOf(local), actors.KindOf(remote), "%v", err)
	}
	for err, want := range map[error]actors.Kind{
		&app.DiscardedError{AggregateID: id, Version: 3}: actors.KindRefused,
		actors.ErrDiscarded: actors.KindRefused,
		&app.WrongTypeError{ID: id, Want: "bank.Account", Stored: "dogschool.Dog"}:     actors.KindRefused,
		fmt.Errorf("cluster: no owner took it before the deadline: %w", wire.ErrMoved): actors.KindTransient,
		wire.Error(wire.CodeMoved, "moved"):                                            actors.KindTransient,
	} {
		require.Equal(t, want, actors.KindOf(err), "%v", err)
	}
	gone := wire.Error(wire.CodeDiscarded, "discarded")
	require.ErrorIs(t, gone, actors.ErrDiscarded)
	require.ErrorIs(t, gone, actors.ErrAggregateNotFound)
	require.Equal(t, wire.CodeMoved, wire.ErrorCode(fmt.Errorf("x: %w", wire.ErrMoved)))
}
