// Package redisprojection keeps projections' checkpoints, and their read
// models, in Redis.
//
// Store is an projections.CheckpointStore and an projections.TxStore: a projection
// given it with projections.Checkpoints writes its read model through Tx(ctx),
// a MULTI/EXEC pipeline that the runner executes with the batch's
// checkpoint in it, so the read-model writes and the checkpoint are one
// atomic step and the projection is exactly-once in effect.
//
//	rm, _ := redisprojection.New(redisprojection.Config{Client: client})
//	p := projections.NewProjection("balances", projections.Checkpoints(rm))
//	projections.On(p, func(ctx context.Context, e bank.Deposited, n projections.Notification) error {
//		rm.Tx(ctx).HIncrBy(ctx, rm.Key("balances", "account", n.AggregateID.String()), "balance", e.Amount)
//		return nil
//	})
//
// Every key of one projection (Key, and its checkpoint hash) carries the
// projection's name as hash tag, so the transaction works on Redis
// Cluster.
//
// # Caveats
//
//   - Commands queued in Tx run at EXEC: a handler cannot read its own
//     batch's writes. Read with Client (the committed state), and prefer
//     commands that do not need a read (HINCRBY, SET, ZADD, ...).
//   - Redis has no rollback: a command that fails at EXEC (WRONGTYPE, out
//     of memory) does not undo the others. Commit then puts the
//     checkpoint back and the runner handles the batch again, so the
//     writes that went through are made twice: make such writes
//     idempotent or keep them well-typed.
//   - Keys not made with Key (or without the projection's hash tag) fail
//     with CROSSSLOT on a cluster.
//   - The runner commits with CommitIf: under WATCH of the partition's
//     fence key (written with every write of its checkpoint, since the
//     checkpoints of all partitions share one hash) it reads the checkpoint and, if it is the one the worker expects,
//     replays the batch's queued commands in MULTI/EXEC with the new
//     checkpoint; otherwise (or if the fence key is written before EXEC) nothing
//     is written and the error wraps projections.ErrCheckpointMoved. It
//     costs a round trip more than Commit (WATCH and HGET). SaveIf is one
//     script.
package redisprojection
