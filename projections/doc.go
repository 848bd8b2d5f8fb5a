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
// (Log.Wait, or one Tail step where the log has it; where the log tails
// several partitions at once, eventlog.MultiTailer, one hub per log reads
// all of the runner's partitions in one step and hands each notifier its
// section) and pushes each new section of the log to the mailboxes of
// the partition workers (one goroutine per projection and partition)
// without waiting for any. A worker that is behind, or whose mailbox
// overflowed, reads the log itself at full speed (with one read ahead)
// and takes the pushed sections again once level. A handler that fails
// transiently (actors.KindOf: unavailable, outcome unknown, ...) is
// retried with exponential backoff (Backoff), logged and counted, for as
// long as it fails; the checkpoint never moves past it. A refusal is
// parked at once, a fault after MaxAttempts; an unreadable event
// (shredded, corrupt) is parked or stops the partition (OnUnreadable).
// Parked notifications are in the runner's Status, and the partition goes
// on. The checkpoint is saved after each
// batch (CheckpointEvery to save less often) in the CheckpointStore;
// delivery is at-least-once. On a TxStore (MemoryReadModel,
// projections/redisprojection) a batch's read-model changes and its checkpoint
// are one atomic step, so the projection is exactly-once in effect.
//
// Checkpoint saves and commits are conditional when the store can
// (FencedCheckpoints, FencedTx; every store here can): a worker saves or
// commits only if the checkpoint is still the one it loaded or last
// committed, otherwise nothing is written (ErrCheckpointMoved). So a stale
// worker — a second runner of the same projection on the same store, or
// a cluster node whose commit was on its way as it lost the partition —
// neither moves the checkpoint nor writes its read model twice. Such a
// worker does not retry its batch: on one node its partition stops (its
// Status says why); in a Placed runner it resumes from the stored
// checkpoint until the node stops it, since the node that owns the
// partition now may be the one whose commit was refused (the last owner's
// landed after it loaded). Each commit moving the checkpoint from the one
// its batch started at, a TxStore applies each notification once even
// with two workers at once. A process manager's commands are outside the
// transaction: one sent by a stale worker is answered as a duplicate when
// it is sent again (its id is the notification's).
//
// Runner.Reset rebuilds a projection: on a ResettableStore its read model
// is cleared and its checkpoints set to 0 in one atomic step, which any
// stale worker's next commit finds moved. A Placed runner restarts its own
// workers of the projection; Restart does so on the other nodes.
//
// # Caveats
//
//   - Projection workers and notification actors are plain goroutines
//     with bounded channel mailboxes, not protoactor actors: protoactor
//     mailboxes are unbounded, and a slow projection must not make the
//     notifier's memory grow.
//   - A process manager's command is found in its target's events when
//     the target's DedupWindow no longer holds it, back to the
//     notification's time less a minute: clocks further apart than that
//     can apply a command twice (see ProcessManager).
//   - Parked notifications are kept in memory (the last 20 per worker)
//     and logged; after a restart the checkpoint is past them.
//   - On a TxStore, handlers must write only through the batch's
//     transaction and be deterministic: after a failure at position k the
//     batch's earlier notifications are handled again and committed alone.
//   - Two runners with the same projection name on one store must not run
//     at once: the fenced commits keep the read model right, but the
//     runner whose commit is refused stops that partition. A store
//     without the conditional forms (a CheckpointStore of your own) is
//     not fenced at all.
package projections
