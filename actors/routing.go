package actors

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/google/uuid"
)

// Router decides where an aggregate's commands and queries run, for a
// system that is one node of a cluster: Dispatch, Send, State and Get
// hand every command and query to the router, which runs it here (with
// the local function it is given) or on the node that owns the
// aggregate. A system without a router runs everything here.
type Router interface {
	// Route runs c: local(ctx, c) when this node serves c's aggregate,
	// otherwise on the node that does.
	Route(ctx context.Context, c Command, local func(context.Context, Command) (Reply, error)) (Reply, error)
	// RouteState answers a query for aggregate id's state at version:
	// local(ctx) when this node serves the aggregate, otherwise from the
	// node that does.
	RouteState(ctx context.Context, aggregateType string, id uuid.UUID, version uint64,
		local func(context.Context) (State, error)) (State, error)
}

// SetRouter makes r the system's router (nil: none, everything runs
// here). Set it before the system takes commands.
func (s *System) SetRouter(r Router) {
	if r == nil {
		s.router.Store(nil)
		return
	}
	s.router.Store(&r)
}

func (s *System) routerOf() Router {
	if r := s.router.Load(); r != nil {
		return *r
	}
	return nil
}

// DispatchLocal runs c on this node's actor, whatever the router says:
// what a router calls for the commands this node serves.
func (s *System) DispatchLocal(ctx context.Context, c Command) (Reply, error) {
	rt, cmd, v, err := s.resolve(c)
	if err != nil {
		return Reply{}, err
	}
	return s.dispatchLocal(ctx, rt, cmd, c.AggregateID, v, c.CommandID, c.CorrelationID, c.Timeout, c.NotBefore, c.NewCommandID)
}

// StateLocal is State on this node, whatever the router says.
func (s *System) StateLocal(ctx context.Context, aggregateType string, id uuid.UUID, version uint64) (State, error) {
	snap, err := s.snapshot(ctx, aggregateType, id, version)
	if err != nil {
		return State{}, err
	}
	return State{Type: snap.Type, Version: snap.Version, Data: snap.Data}, nil
}

// routed sends a command through the router: a command given as a value
// (Send) travels as its JSON.
func (s *System) routed(ctx context.Context, r Router, rt *typeRuntime, cmd *command, id uuid.UUID, v any, commandID, correlationID string, notBefore time.Time) (Reply, error) {
	c := Command{AggregateType: rt.name, AggregateID: id, Name: cmd.name, Value: v, CommandID: commandID, CorrelationID: correlationID, NotBefore: notBefore}
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			return Reply{}, fmt.Errorf("actors: %s %s: command %s: encode: %v: %w", rt.name, id, cmd.name, err, ErrBadCommand)
		}
		c.Payload = b
	}
	return r.Route(ctx, c, func(ctx context.Context, c Command) (Reply, error) {
		return s.dispatchLocal(ctx, rt, cmd, id, v, c.CommandID, c.CorrelationID, c.Timeout, c.NotBefore, c.NewCommandID)
	})
}

// FlushSnapshots waits until the snapshots queued (or being written) of
// the aggregates whose id matches are written or have failed, or ctx
// ends. A cluster node calls it in a planned handover before it releases
// a partition, so that the new owner loads the latest snapshots.
func (s *System) FlushSnapshots(ctx context.Context, match func(id uuid.UUID) bool) error {
	return s.snapshots.flush(ctx, match)
}

// StopActors stops the live actors whose aggregate id matches, each after
// the messages already in its mailbox, and returns how many. A command
// sent afterwards activates the aggregate again (from the journal). A
// cluster node calls it for a partition it no longer owns: its actors'
// state may go stale, and their appends are fenced anyway.
func (s *System) StopActors(match func(id uuid.UUID) bool) int {
	s.typesMu.RLock()
	defer s.typesMu.RUnlock()
	n := 0
	for _, rt := range s.types {
		n += rt.router.stopWhere(match)
	}
	return n
}

// stopWhere removes the matching actors and poisons them: each stops
// after what its mailbox holds.
func (r *router) stopWhere(match func(uuid.UUID) bool) int {
	n := 0
	for i := range r.shards {
		sh := &r.shards[i]
		var stop []*actor.PID
		sh.mu.Lock()
		for id, e := range sh.entries {
			if match(id) {
				delete(sh.entries, id)
				stop = append(stop, e.pid)
			}
		}
		sh.mu.Unlock()
		for _, pid := range stop {
			r.sys.root.Poison(pid)
		}
		n += len(stop)
	}
	return n
}
