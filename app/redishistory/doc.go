// Package redishistory reads an aggregate's latest snapshot and the
// events after it in one Redis round trip, when the Redis journal and the
// Redis snapshot store share a server, a key prefix and partitions: an
// app.HistoryReader (app.Config.History) that halves the round trips of
// an activation.
//
// Both stores put an aggregate's keys under its partition's hash tag
// {pN}, so one script (the journal's ReadAfter) finds the newest snapshot
// in the store's sorted set and reads the events after its version, in a
// Redis Cluster too.
package redishistory
