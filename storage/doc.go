// Package storage holds what the journal and the snapshot store both need
// and neither owns: PartitionOf, the partition of the global log an
// aggregate belongs to. Events are appended to that partition, and a
// snapshot store that shares a Redis Cluster slot with the journal keys its
// snapshots by it.
//
// # Layering
//
// Package storage sits below journal and snapshots and imports neither, so
// that journal/... and snapshots/... never import each other:
//
//	journal/..., snapshots/... ─► storage ─► (stdlib, uuid)
package storage
