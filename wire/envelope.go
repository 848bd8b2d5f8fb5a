package wire

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/proto/factumpb"
)

// Envelope is c as the wire's CommandEnvelope, with the caller's deadline
// (zero: none).
func Envelope(c actors.Command, deadline time.Time) *factumpb.CommandEnvelope {
	env := &factumpb.CommandEnvelope{AggregateType: c.AggregateType, AggregateId: c.AggregateID[:], Command: c.Name,
		Payload: c.Payload, CommandId: c.CommandID, CorrelationId: c.CorrelationID}
	if !deadline.IsZero() {
		env.DeadlineUnixNano = deadline.UnixNano()
	}
	if !c.NotBefore.IsZero() {
		env.NotBeforeUnixNano = c.NotBefore.UnixNano()
	}
	return env
}

// Command is the command an envelope carries, and its deadline (zero:
// none). An envelope without an aggregate id gives uuid.Nil; one whose id
// is not 16 bytes is an error.
func Command(env *factumpb.CommandEnvelope) (actors.Command, time.Time, error) {
	c := actors.Command{AggregateType: env.AggregateType, Name: env.Command, Payload: env.Payload,
		CommandID: env.CommandId, CorrelationID: env.CorrelationId}
	if len(env.AggregateId) != 0 {
		id, err := uuid.FromBytes(env.AggregateId)
		if err != nil {
			return actors.Command{}, time.Time{}, fmt.Errorf("aggregate_id: %w", err)
		}
		c.AggregateID = id
	}
	if env.NotBeforeUnixNano != 0 {
		c.NotBefore = time.Unix(0, env.NotBeforeUnixNano)
	}
	var deadline time.Time
	if env.DeadlineUnixNano != 0 {
		deadline = time.Unix(0, env.DeadlineUnixNano)
	}
	return c, deadline, nil
}

// Reply is a command's outcome as the wire's CommandReply: the reply, or
// err's code and message.
func Reply(rep actors.Reply, err error) *factumpb.CommandReply {
	if err != nil {
		return ErrorReply(ErrorCode(err), err.Error())
	}
	return &factumpb.CommandReply{Version: rep.Version, Position: rep.Position, Duplicate: rep.Duplicate, Result: rep.Result}
}

// ErrorReply is a CommandReply that carries only an error code and message.
func ErrorReply(code, msg string) *factumpb.CommandReply {
	return &factumpb.CommandReply{ErrorCode: code, ErrorMessage: msg}
}

// FromReply is the outcome a CommandReply carries: the reply, or the error
// its code stands for (see Error).
func FromReply(r *factumpb.CommandReply) (actors.Reply, error) {
	if r.ErrorCode != "" {
		return actors.Reply{}, Error(r.ErrorCode, r.ErrorMessage)
	}
	return actors.Reply{Version: r.Version, Position: r.Position, Duplicate: r.Duplicate, Result: r.Result}, nil
}
