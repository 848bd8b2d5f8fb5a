// Package projections runs projections and process managers over the
// notification log.
//
// Layers: it sits on the actor runtime (a process manager sends commands
// through an actors.System) and on eventlog (the Log it follows); the
// server sits above it.
//
// A Projection follows a notification log (an application's own Log, or
// another node's over HTTP with eventlog/httplog) and hands each event of the types it has
// typed handlers for (On) to its handler, in position order within each
// partition; other events are skipped undecoded (filtered subscriptions).
// A ProcessManager is a projection whose handlers (React) send commands;
// each command id is derived from (name, partition, position, k), so a
// replay is answered as a duplicate. A Runner is the system definition:
// Add the projections and process managers, Start runs them, Stop stops
// them cleanly (Abort as a crash would), Status reports each one's
// position and time lag per partition.
//
// Inside, one notification actor per followed log partition tails it
// (Log.Wait) and pushes each new section of the log to the mailboxes of
// the partition workers (one goroutine per projection and partition)
// without waiting for any. A worker that is behind, or whose mailbox
// overflowed, reads the log itself at full speed (with one read ahead)
// and takes the pushed sections again once level. A failed handler is
// retried with exponential backoff (Backoff), logged and counted; the
// checkpoint never moves past it. The checkpoint is saved after each
// batch (CheckpointEvery to save less often) in the CheckpointStore;
// delivery is at-least-once. On a TxStore (MemoryReadModel,
// projections/redisprojection) a batch's read-model changes and its checkpoint
// are one atomic step, so the projection is exactly-once in effect.
//
// # Caveats
//
//   - Projection workers and notification actors are plain goroutines
//     with bounded channel mailboxes, not protoactor actors: protoactor
//     mailboxes are unbounded, and a slow projection must not make the
//     notifier's memory grow.
//   - A process manager relies on its target aggregates' DedupWindow: a
//     replay after the target accepted more than its window of other
//     commands applies the command again (see ProcessManager).
//   - On a TxStore, handlers must write only through the batch's
//     transaction and be deterministic: after a failure at position k the
//     batch's earlier notifications are handled again and committed alone.
//   - Two runners with the same projection name share its checkpoints and
//     must not run at once: nothing fences a stale one.
package projections
