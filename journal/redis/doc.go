// Package redis is the production journal.Journal on Redis 7 (standalone
// or Redis Cluster), built on go-redis.
//
// # Layout
//
// Each partition N of the global log has a stream <prefix>{pN}:log whose
// entry ids are the positions ("p-0") and whose one field holds the stored
// event (a factumpb.StoredEvent), a counter <prefix>{pN}:head, and one list
// per aggregate, <prefix>{pN}:a:<id>, with the aggregate's positions in
// version order. An event is stored once, in the log. All keys of a
// partition share the hash tag {pN}, so every script runs on one Cluster
// slot. P is recorded in <prefix>meta when the journal is first opened.
//
// # Appends
//
// An append is one Lua script step: check the aggregate's version (the
// length of its list), XADD the events at the next positions, RPUSH the
// positions, move the head. Appends from concurrent callers are grouped
// (see committer.go): one script call carries many appends to a partition,
// each checked and answered on its own, and the calls for several
// partitions go in one pipeline. Scripts are run by SHA and loaded again
// when a restarted or failed-over server answers NOSCRIPT.
//
// Outcomes: a version conflict is a *journal.ConflictError; a request that
// could not be sent (no connection) or that Redis refused before running it
// is journal.ErrUnavailable; a request sent whose reply was lost (timeout,
// connection dropped) is journal.ErrOutcomeUnknown: read the aggregate to
// find out. go-redis never retries an append by itself.
//
// # Caveats
//
//   - Durability is Redis's: with appendonly no, or appendfsync everysec,
//     an acknowledged append can be lost when Redis crashes. Use
//     appendonly yes with appendfsync always for no loss of acknowledged
//     appends on one machine, and Config.Replicas (WAIT) to survive the
//     loss of the machine. WAIT does not make a failover lossless: Redis
//     replication is asynchronous and a promoted replica may lack writes
//     that WAIT had not yet counted.
//   - The journal never trims: the log and the lists grow with every event.
//     Size Redis's memory for all events (about 100 bytes plus the payload
//     per event, see the memory test).
//   - A partition lives on one Redis node, so one partition's append rate
//     is bounded by one Redis core. Use more partitions to spread a cluster.
//   - Wait and Tail block on XREAD BLOCK with one connection per waiter,
//     for at most 500 ms at a time: a context cancelled without a deadline
//     is noticed within that. Tail (journal.Tailer) returns the new entries
//     from that one read; TailMany (journal.MultiTailer) reads several
//     partitions' streams in one XREAD (not on Redis Cluster). Waiters take their connections from a pool of
//     their own (PoolSize of them), so tails never hold up reads.
//   - Keys written outside the journal under its prefix (a wrong type, a
//     head out of step with the log) make the script fail, possibly after
//     some writes of its batch; such appends report ErrOutcomeUnknown.
package redis
