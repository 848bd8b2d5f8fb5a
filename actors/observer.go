package actors

import (
	"context"
	"time"
)

// Observer watches a System's work, for metrics: it is given in
// SystemConfig.Observer (nil: nothing is watched, at no cost). Its methods
// run on the command path; they must be quick and safe for concurrent use.
type Observer interface {
	// Command is called once for each command of each aggregate type as
	// the type is registered; the CommandObserver it returns (nil: none)
	// is told of every such command.
	Command(aggregateType, command string) CommandObserver
	// Activated is told of each load of an aggregate's state from its
	// snapshot and events (an activation, or a reload after a failure),
	// with how long it took and its error.
	Activated(aggregateType string, d time.Duration, err error)
	// Passivated is told of n actors of a type stopped after being idle.
	Passivated(aggregateType string, n int)
	// SnapshotStored is told of each snapshot written (err nil), failed,
	// or dropped because the snapshot queue was full.
	SnapshotStored(aggregateType string, err error)
}

// CommandObserver is told of the outcome of each command of one name of
// one aggregate type.
type CommandObserver interface {
	// Done is told that a Dispatch or Send returned err after d.
	Done(d time.Duration, err error)
}

// Tracer starts the spans of the phases of a command inside its actor:
// "activate" (the load of its state), "handle" (the command handler) and
// "append" (the journal append), as children of the command's context.
// It is given in SystemConfig.Tracer (nil: no spans).
type Tracer interface {
	// Start starts a span for phase of command on an aggregate of
	// aggregateType; end ends it with the phase's error.
	Start(ctx context.Context, phase, aggregateType, command string) (end func(err error))
}

// commandObservers returns the observers of rt's commands, by command
// index, or nil without an Observer.
func (s *System) commandObservers(rt *typeRuntime) []CommandObserver {
	if s.cfg.Observer == nil {
		return nil
	}
	obs := make([]CommandObserver, len(rt.commands))
	for name, c := range rt.commands {
		obs[c.idx] = s.cfg.Observer.Command(rt.name, name)
	}
	return obs
}

// observed is told of a command's outcome after d when the command has
// an observer.
func (rt *typeRuntime) observed(cmd *command, d time.Duration, err error) {
	if o := rt.obs[cmd.idx]; o != nil {
		o.Done(d, err)
	}
}

// phase starts a span of a command's phase when the system has a Tracer;
// the function it returns ends it.
func (s *System) phase(ctx context.Context, phase, aggregateType, command string) func(error) {
	if s.cfg.Tracer == nil || ctx == nil {
		return noEnd
	}
	return s.cfg.Tracer.Start(ctx, phase, aggregateType, command)
}

func noEnd(error) {}
