package wire_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/proto/factumpb"
	"github.com/factum-dev/factum/wire"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	c := actors.Command{AggregateType: "bank.Account", AggregateID: uuid.New(), Name: "deposit",
		Payload: []byte(`{"amount":5}`), CommandID: "k1", CorrelationID: "c1", NotBefore: time.Unix(0, 1_700_000_000_000_000_000)}
	deadline := time.Unix(0, 1_700_000_000_500_000_000)
	back, d, err := wire.Command(wire.Envelope(c, deadline))
	require.NoError(t, err)
	require.Equal(t, c, back)
	require.True(t, deadline.Equal(d))

	_, d, err = wire.Command(wire.Envelope(actors.Command{AggregateID: uuid.New()}, time.Time{}))
	require.NoError(t, err)
	require.True(t, d.IsZero(), "no deadline stays none")

	_, _, err = wire.Command(&factumpb.CommandEnvelope{AggregateId: []byte("short")})
	require.Error(t, err)
}

func TestReplyRoundTrip(t *testing.T) {
	rep := actors.Reply{Version: 3, Position: 9, Duplicate: true, Result: []byte(`{"n":1}`)}
	back, err := wire.FromReply(wire.Reply(rep, nil))
	require.NoError(t, err)
	require.Equal(t, rep, back)

	_, err = wire.FromReply(wire.Reply(actors.Reply{Version: 7}, actors.ErrRejected))
	require.ErrorIs(t, err, actors.ErrRejected)
	require.True(t, errors.Is(err, actors.ErrRejected))
}
