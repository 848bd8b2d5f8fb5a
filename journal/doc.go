// Package journal is where events are kept: the Journal port that every
// storage backend implements, the partitioned global log (the notification
// log), and the EventStore that maps domain events to records.
//
// A Journal stores each aggregate's events as a stream of Records, appended
// all-or-nothing and only when the stream is at the expected version
// (optimistic concurrency). Every appended record also takes the next
// position in one partition of the global log: an aggregate belongs to
// partition PartitionOf(id, P), and positions in a partition run 1, 2, 3,
// ... without gaps, in commit order. P = 1 gives one total order.
//
// Backends live in sub-packages (journal/memory, journal/redis) and all pass
// the conformance suite in journal/journaltest.
package journal
