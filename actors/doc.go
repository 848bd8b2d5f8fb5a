// Package actors is factum's actor runtime: every live aggregate is a
// persistent actor on protoactor-go.
//
// Layers: it sits on the application layer (package app), which it uses to
// load aggregates and to append their events; projections and the server
// sit above it. It knows no interface: the wire error codes are package
// wire's.
//
// # Aggregate actors
//
// System runs every live aggregate as a persistent actor on protoactor-go.
// An aggregate type is described with NewAggregateType, given typed command
// handlers with Create (for a new aggregate) and Handle (for an existing
// one), or CreateResult and HandleResult (whose handlers get the caller's
// context and return a result, Reply.Result), and registered with
// Register. Commands reach it through Send
// (typed), Dispatch (untyped: JSON payload or decoded value, the shape of
// the wire format's CommandEnvelope) and its state through State and Get.
//
// The life of a command: the router finds the aggregate's actor, or spawns
// it; a new actor loads the latest snapshot and replays the events after
// it before it takes a command (commands sent meanwhile wait in its
// mailbox, in order). The actor runs one command at a time: the handler
// decides events on the current state, the actor appends them with the
// expected version = its version, and replies only after the journal
// acknowledged. Replies go back on a pooled Go channel, not a protoactor
// future, and a command that finds its actor idle runs on the caller's
// goroutine when it finds the actor idle (see the caveats). The actor blocks
// on the journal inside Receive, so one aggregate
// never has two appends in flight while many aggregates append at once.
//
//   - A handler error is the caller's ErrRejected; nothing is written and
//     the state is as it was (rebuilt if the handler had raised events).
//   - A handler panic is the caller's ErrHandlerPanic; the actor rebuilds
//     its state from the journal before its next message.
//   - A version conflict (another writer appended first) makes the actor
//     reload and run the command once more; a second conflict is returned.
//   - Any other append error (journal.ErrOutcomeUnknown,
//     journal.ErrUnavailable, ...) is returned wrapped, and the actor
//     reloads before its next message.
//   - A command id the aggregate accepted before is answered with its
//     first reply (Duplicate set) and nothing is written. Every event
//     records its command id as causation id, and a snapshot carries the
//     aggregate's recent command ids in a header (HeaderRecentCommands), so
//     retries are recognised after passivation and restarts.
//   - Every N events (SnapshotEvery) the actor encodes a snapshot and a
//     writer goroutine saves it; a failed snapshot is logged, never fails
//     a command. A snapshot that cannot be read back is skipped: the
//     aggregate is rebuilt from all its events.
//   - A command whose handler discards the aggregate (domain.Discard) is
//     answered as any other; from then on the actor answers every command
//     and query with ErrDiscarded (a retry of the discarding command is
//     a duplicate while the actor lives), and takes no snapshot of it.
//   - An actor idle for PassivateAfter (default 2 minutes) is stopped; the
//     next command activates it again with the same state.
//
// System.Close stops taking commands, waits for those in flight, stops the
// actors, writes the queued snapshots and flushes the journal (if it has a
// Flush method). protoactor's own logs go to the system's slog logger at
// Warn and above.
//
// Ownership, everywhere in factum: whoever creates a thing closes it.
// System.Close leaves the Application it was given open, as
// Application.Close leaves the stores it was given (only what
// app.Config.Owned hands over is closed with it); close the system first,
// then the application, then the stores. A server.Server closes what it
// opened, and the Stores handed to it (server.Config.Stores).
//
// # Caveats
//
//   - The recent command ids of an aggregate are a window
//     (DedupWindow, default 64 per aggregate): a retry older than that is
//     run again, unless the command has a NotBefore (as a process
//     manager's commands have): then the aggregate's events since then are
//     searched for its id.
//   - A refusal, or an acceptance that raised no events, is answered only
//     after the actor read the journal past its version (another node may
//     have moved the aggregate): one read per such command. Commands that raised no events are remembered only while
//     the actor lives, and a duplicate recognised from the journal rather
//     than from memory or a snapshot reports Position 0 (records do not
//     carry their log position).
//   - Events carry a causation id only when the command has a command id.
//   - Handlers must change the aggregate only by raising events: the
//     actor detects a failed command's changes by its pending events.
//   - When a caller's context ends before the reply, the error wraps
//     journal.ErrOutcomeUnknown: the command may still run. A command whose
//     caller has gone by the time the actor takes it is not run.
//   - The router is local: one process has at most one live actor per
//     aggregate, but two processes (or a stale activation in a cluster)
//     may; the journal's expected-version check keeps histories from
//     forking, and the loser reloads and retries once.
//   - Passivation is done by a sweeper goroutine per aggregate type, at a
//     quarter of the idle timeout (between 5 ms and 10 s), not with
//     protoactor's receive timeout: no timer per actor.
//   - A command that finds its actor idle is run on the sender's own
//     goroutine (callerRunsMailbox): no hand-off to another goroutine and
//     back. A sender runs at most that one message; what queues behind it,
//     and every system message (activation, stop), runs on a pool of kept
//     goroutines (workerPool) rather than a new goroutine each time. So a
//     caller of Dispatch, Send or State may do the journal I/O of its own
//     command itself.
//   - State and Get of an aggregate without a live actor rebuild it from
//     the stores and do not activate an actor.
package actors
