// Package hashchain chains each aggregate's stored events by hash, so that
// a changed, removed, reordered or inserted event is found.
//
// Wrap puts a hash-chained Journal over any journal.Journal. Its Append
// adds two headers to every record: HeaderPrev, the hash of the
// aggregate's previous record (absent on version 1), and HeaderHash, the
// record's own SHA-256 over its aggregate id, version, type, schema
// version, time, data, metadata (correlation id, causation id, extra) and
// every other header (Sum). Verify checks one aggregate's chain and
// VerifyLog every chain of a partition of the global log; both return the
// first broken link as a *BrokenLinkError naming the aggregate and version
// (errors.Is ErrBrokenChain and journal.ErrCorrupt). Read and Select also
// check the records they return (Config.TrustReads turns that off). A
// hash-chained Journal is a journal.Journal in full: it passes the
// conformance suite of journal/journaltest, which allows for its two
// headers (Features.AddedHeaders).
//
// Hashes are over the records as stored: after compression and
// encryption. Verifying needs no key, an auditor can verify a journal it
// cannot read, and a crypto-shredded subject's events still verify, so
// shredding leaves no hole in the chain.
//
// Why a journal wrapper and not a journal.Transform: a transform's
// EncodeRecord sees one record at a time and never learns whether the
// append it belongs to succeeded. A last-hash cache fed by EncodeRecord is
// poisoned by a writer that loses a race on the expected version (its
// hashes were never stored), and two writers of one aggregate in one
// process can chain a batch to each other's records. The wrapper's Append
// sees the whole batch and the expected version, chains the batch to the
// hash of the record at the expected version, and caches the last hash of
// an aggregate only after the append succeeded (or when a read returned
// it), so the cache holds stored facts only. The journal's expected-version
// check does the rest: of two writers that chained to the same previous
// record, one is rejected. On a cache miss (or a cached version other than
// expected) Append reads that one record from the journal.
//
// # Caveats
//
// A hash chain without a secret detects accidents and naive tampering,
// not an attacker who can write the store: such an attacker can rewrite
// an aggregate's chain from the altered record to its end. Record the
// last hash of important aggregates elsewhere (HeaderHash of the last
// record) to detect that. Removing an aggregate's last events (truncating
// its chain) is not detected by Verify alone; VerifyLog finds a hole in a
// partition's log only as a version that does not follow.
//
// Every writer must go through the wrapper: a record appended past it has
// no HeaderHash, and Verify reports it as a break once the aggregate's
// chain has started. Records written before chaining was turned on pass.
//
// The hash covers Time at nanosecond precision: a backend must store it
// exactly (journal/memory and journal/redis do).
//
// The wrapper hides optional interfaces of the journal under it; Unwrap
// returns it.
//
// VerifyLog keeps one small entry (a version and a hash) per aggregate of
// the partition in memory.
package hashchain
