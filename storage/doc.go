// Package storage holds what the journal and the snapshot store both need
// and neither owns: PartitionOf, the partition of the global log an
// aggregate belongs to. Events are appended to that partition, and a
// snapshot store that shares a Redis Cluster slot with the journal keys its
// snapshots by it.
//
// # Layering
//
// The arrows point one way only:
//
//	storage/pipeline ─► storage/compression, storage/encryption, journal/hashchain
//	storage/compression, storage/encryption ─► journal, snapshots
//	journal/..., snapshots/... ─► storage ─► (stdlib, uuid)
//
// Package storage sits below journal and snapshots and imports neither, so
// that journal/... and snapshots/... never import each other.
//
// The storage features in its sub-packages serve events and snapshots
// alike: compression (storage/compression), encryption with per-subject
// keys and crypto-shredding (storage/encryption, its Redis key store
// storage/encryption/rediskeys and the key store suite
// storage/encryption/keystoretest), and the one Config that turns them on
// (storage/pipeline). A Compressor and a Cipher are each a
// journal.Transform and a snapshots.Transform, so these packages sit above
// both ports, as the pipeline that assembles them does; neither port
// imports them. Hash chaining chains journal records only and stays in
// journal/hashchain.
package storage
