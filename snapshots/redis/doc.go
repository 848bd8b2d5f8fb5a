// Package redis is the production snapshots.Store on Redis 7 (standalone or
// Redis Cluster), built on go-redis.
//
// Each aggregate's snapshots live in one sorted set scored by version,
// whose members are the stored snapshots (factumpb.StoredSnapshot):
// Latest(id, max) is one ZREVRANGEBYSCORE, Save is one MULTI/EXEC that
// replaces a snapshot at the same version. The key carries a hash tag: the
// aggregate's own ({<id>}) by default, or, with Config.Partitions set to the
// journal's P and the same KeyPrefix, the journal partition's tag ({pN},
// N = storage.PartitionOf(id, P), the journal's own partition function),
// so that snapshots sit in the same Cluster slot as the aggregate's events.
//
// # Caveats
//
//   - Durability is Redis's (AOF settings, replication); a lost snapshot
//     only costs a longer replay from the journal.
//   - Versions are sorted-set scores (float64): exact up to 2^53.
//   - Every snapshot is kept unless Config.Keep bounds how many per
//     aggregate.
package redis
