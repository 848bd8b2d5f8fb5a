// Package pipeline assembles the storage features of events and snapshots
// (compression, encryption with per-subject keys, hash chaining) from one
// Config, which FromEnv reads from FACTUM_* variables. Everything is off
// by default.
//
//	cfg, err := pipeline.FromEnv(os.Getenv)
//	p, err := cfg.Build(pipeline.Deps{Journal: j, KeyStore: ks})
//	app, err := inmem.NewApplication(app.Config{Registry: reg,
//		Journal: p.Journal, Transforms: p.Transforms,
//		SnapshotTransforms: p.SnapshotTransforms})
//
// Order on write: the type's codec (JSON or protobuf), compression,
// encryption, then the hash chain; on read the reverse. Compression must
// come before encryption, since ciphertext does not compress. The hash
// chain is a journal wrapper (hashchain.Wrap) over the records as stored,
// so a journal can be verified without any key and a shredded subject's
// events still verify. Snapshots get compression and encryption, not the
// hash chain (a snapshot is derived data: it can be rebuilt from the
// events, which are chained).
//
// The pipeline composes the journal and the snapshot store, so it sits
// above both, beside the features it assembles (storage/compression,
// storage/encryption, journal/hashchain); neither port imports it.
//
// Every feature writes headers that say what it did, so turning a feature
// on, off or changing the algorithm needs no migration: old records read
// back as long as the keys they were written with are still known.
//
// # Caveats
//
// Compressing before encrypting lets the stored length depend on the
// content; an attacker who can both choose part of an event and see the
// stored size could learn something about the rest (as in CRIME). Leave
// compression off for such data.
//
// With PerSubjectKeys the KeyStore must be as durable as the journal:
// losing it loses every payload. encryption.MemoryKeyStore is only for a
// journal in memory.
//
// Only payloads are encrypted; metadata and headers are not (see package
// encryption).
package pipeline
