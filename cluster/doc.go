// Package cluster runs factum on several nodes over one Redis: every log
// partition has exactly one writer at a time, and any node takes any
// command.
//
// # Ownership and fencing
//
// A node owns a partition while it holds the partition's lease
// (journal/redis: Acquire, Renew, Release). A lease is a key in the
// partition's hash tag holding "<epoch>/<node>" with a TTL (3 s, renewed
// every second); each acquisition takes the next epoch from a counter that
// never goes back. The journal of a node is fenced (its Config.Fence is the
// node's Ownership): every append carries the token of the lease the node
// holds, and the append script checks it against the partition's lease in
// the same atomic step. A stale writer — a node that was paused or cut off
// and whose lease another node has taken — is refused by the storage
// (journal.ErrFenced, nothing written), whatever the clocks say. A node
// also stops serving a partition by itself when it cannot renew its lease
// in time (at 5/6 of the TTL after the last renewal was sent): it stops
// the partition's actors without appending and its projection workers
// without saving their checkpoints.
//
// # Membership and placement
//
// Nodes write heartbeats to a membership table in the same Redis (a sorted
// set scored with Redis's own TIME, so no two nodes' clocks are compared);
// a node is dead after DeadAfter (3 s) without one. The desired owner of
// partition p is chosen by rendezvous hashing over the live members
// (Owner), so a join or leave moves about P/N partitions. Every Tick
// (200 ms) a node hands over the partitions another live member should
// own, and acquires the free ones it should own. A handover is in order:
// the node stops taking p's commands, lets the ones in flight finish,
// stops p's actors, writes the snapshots they queued
// (actors.System.FlushSnapshots), stops p's projection workers (which save
// their checkpoints), then releases the lease so that the new owner takes it at
// its next tick. A crashed node's leases expire and their desired owners
// take them.
//
// # Routing
//
// The node is its actor system's Router. A command for an aggregate in a
// partition the node serves runs here; any other is forwarded to the
// owner (as the leases say) as the stable envelope of proto/factum/v1
// (CommandEnvelope in, CommandReply out) over HTTP/1.1 with kept
// connections, on the internal route CommandPath of the owner's own HTTP
// listener. HTTP/1.1 is what the node already serves, needs no second
// port or listener, and its kept connections cost one round trip per
// forward; protoactor's remote is avoided on purpose (a message type the
// receiver does not know crashes it). A node that does not serve the
// partition answers "moved" (wire.CodeMoved) and runs nothing; the sender
// refreshes its view of the leases and tries again until the caller's
// deadline. A forward whose outcome is unknown (the connection broke after
// the request was sent) is sent again with the same command id, which the
// aggregate's de-duplication absorbs; the router gives every command an id
// if it has none. One forward waits at most ForwardTimeout (1 s), so a
// paused owner holds a command no longer than that before it is sent to
// the owner the leases then name. Queries (State) go to the owner too, so no node answers
// with a state it may not have seen the end of.
//
// A crypto-shred stops the subject's live actor on every member (Evict,
// over the internal route EvictPath), not only on the node that served
// it: the owner's actor holds the decrypted state, and each member drops
// the subject's cached data key first (Config.OnEvict).
//
// Every event records its writer in its metadata's Extra:
// MetaWriterNode and MetaWriterEpoch.
//
// Config.Observer, when set, is told of the partitions owned, the leases
// acquired, renewed and lost, the handovers and the forwards with their
// outcomes (package metrics implements it); without one nothing is timed.
//
// # Projections
//
// The server's projection runner is placed (projections.RunnerConfig
// Placed): the owner of p runs p's notifier and every projection's and
// process manager's worker for p (Partitions.Own), resuming from the
// checkpoints; a handover stops them after saving their checkpoints, a
// loss stops them at once. On a standalone Redis the runner reads all the
// partitions a node owns with one XREAD per wake-up (its tail hub); on
// Redis Cluster each partition is read on its own. A process manager's
// commands go through the router like any other, so they reach their
// aggregates' owners, with their NotBefore in the envelope; an answer of
// moved (no owner before the deadline) is transient for it, and retried.
//
// # Tests
//
// The tests of this package start real node processes (cmd/node, built
// once per test binary) on loopback against a real redis-server: start-up
// ownership and routing, kill -9 under load, SIGSTOP past the leases, a
// rolling restart, a fourth node joining, bank transfers with a node
// killed (whose balances read model must equal the log's), a crypto-shred
// through a node that does not own the subject, a projection reset
// through one node of two, node bench sending to the owners, and each
// node's /metrics (partitions owned, forwards counted by the node that
// forwarded them). The
// load tests check that every acknowledged command is in the journal
// exactly once and that the writers' epochs never go back in any
// partition's log. One test runs a node in process, with a snapshot store
// that holds a write, to check that a handover writes the queued
// snapshots before it releases the lease. Unit tests cover the placement
// (TestPlacementSpreadsAndIsStable), the membership table (TestMembership)
// and the owner table (TestOwnership); the leases and the fenced append
// are tested in journal/redis.
//
// Checkpoint commits are fenced too, by compare-and-set rather than by the
// lease (projections.FencedTx): a worker commits only if the checkpoint is
// still the one it loaded or last committed, so a commit of a node that
// lost the partition, already on its way, lands only if the new owner has
// committed nothing since it loaded; then the new owner's commit is
// refused, and its worker resumes from the stored checkpoint. Either way
// each notification is applied to the read model once.
//
// A projection reset (projections.Runner.Reset) on one node clears the
// read model and the checkpoints of every partition at once; the node
// then asks every other member to restart the projection's workers in
// its partitions (RestartProjection, over RestartPath). A worker not
// restarted, or one whose commit was on its way, finds its next commit
// refused and resumes from the stored checkpoint: no old position comes
// back.
//
// Caveats: actors.Get reads on the node it is called on (State is routed). Redis is
// the one coordination point: without it nothing is written. On a 2-core
// box three nodes do less in total than one (a forward is a second HTTP
// hop on the same cores); clients that send to the owner avoid it.
package cluster
