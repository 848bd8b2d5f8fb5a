// Package app is factum's application layer, the seeds' Application:
// Application saves aggregates to the journal (at their expected
// versions, several at once all or nothing), Repository gets them back at
// their latest version or as they were at an earlier one (from the latest snapshot at or
// below it and the events after it), and NotificationLog serves all events
// in the order they were saved. Aggregates are snapshotted by a policy per
// type (SnapshotEvery).
//
// Layers: app sits on journal, snapshots and eventlog, and imports no
// backend: the caller passes the journal and the snapshot store (package
// inmem wires the in-memory ones). The actor runtime (package actors) sits
// above it and uses Rebuild and StoreSnapshot.
//
// An aggregate discarded by domain.Discard is, once saved, no longer in
// the repository: Get answers a *DiscardedError (ErrAggregateNotFound and
// ErrDiscarded), Contains is false, no snapshot is taken of it, and GetAt
// still gives it at earlier versions.
//
// Ownership: whoever creates a thing closes it. Application.Close closes
// only what Config.Owned hands over (package inmem hands over the memory
// stores it makes); an actors.System built on an application does not
// close it.
//
// # Caveats
//
//   - Save of several aggregates is all or nothing, which needs a journal
//     that is a journal.MultiAppender (memory and Redis are; Redis Cluster
//     only for aggregates in one partition, and refuses others with
//     journal.ErrCrossPartition before writing anything).
//   - A snapshot that cannot be read back is skipped with a warning: the
//     aggregate is rebuilt from all its events.
package app
