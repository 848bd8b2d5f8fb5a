// Package rediskeys is an encryption.KeyStore on Redis: one hash per
// subject, <prefix><subject>, with the fields id, master and wrapped, or
// the single field shredded once the subject has been shredded (the
// tombstone that makes reads return encryption.ErrShredded). Create,
// Rewrap and Shred are Lua scripts, so each is atomic.
//
// # Caveats
//
// Put the key store on Redis that is as durable as the journal's (AOF on):
// a lost data key loses its subject's payloads, and a lost tombstone lets
// a shredded subject get a new key (its old events stay unreadable).
//
// Range walks the keys with SCAN: subjects created while it runs may or
// may not be visited. With a cluster client it scans each master in turn.
//
// Redis persistence and replicas keep copies of a shredded key for a while
// (AOF until rewritten, RDB snapshots, backups): shredding is complete
// only when those are gone.
package rediskeys
