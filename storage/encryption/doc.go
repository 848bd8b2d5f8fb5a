// Package encryption encrypts stored event payloads and snapshot state with
// AES-256-GCM inside the application, so that nothing in the journal or
// the snapshot store can be read without the master key, and supports
// crypto-shredding: forgetting a subject (an aggregate, or a customer) by
// deleting its key.
//
// A Cipher is both a journal.Transform and a snapshots.Transform. Without
// a KeyStore it encrypts with the current master key of its Keyring. With
// a KeyStore it gives each subject (by default the aggregate id; Config.Subject
// can map a record to, say, its customer) a random data key, wraps it with
// the current master key and keeps it in the KeyStore beside the journal.
// Each payload is stored as nonce || ciphertext || tag, under the headers
// HeaderCipher ("aes-256-gcm"), HeaderKey (the id of the master or data
// key) and HeaderSubject. The aggregate id, version, type, schema version,
// subject and key id are authenticated as additional data, so a
// ciphertext copied to another record does not decrypt.
//
// Shred(subject) deletes the subject's data key and leaves a tombstone: the
// subject's events stay in the log (the log has no holes, positions do
// not move, hash chains still verify) but reading them returns
// ErrShredded, never garbage, and new events for the subject are refused
// with ErrShredded. A key store that merely lost a key gives ErrNoKey.
//
// Master keys have ids (NewKey derives one from the key). To rotate: make
// a Keyring with the new key as current and the old ones after it, then
// call Rotate, which rewraps every data key under the new master key
// without rewriting any event; after that the old master key can go.
// Without a KeyStore, old master keys must stay in the Keyring for as long
// as data written under them is to be read.
//
// KeyStore is the port for data keys; MemoryKeyStore is the in-memory one,
// storage/encryption/rediskeys the one on Redis, and
// storage/encryption/keystoretest the conformance suite every KeyStore
// passes.
//
// The package serves events and snapshots alike, so it lives under
// storage/ rather than under either port: it imports journal and snapshots
// (for the two Transform interfaces and journal.ErrCorrupt), and neither of
// them imports it. storage/pipeline puts it in place from configuration.
//
// # Caveats
//
// Only the payload (Record.Data, Snapshot.Data) is encrypted. The type
// name, aggregate id, version, time, metadata (correlation and causation
// ids, Extra) and headers, including HeaderSubject, are stored in the
// clear: put nothing secret in metadata, and choose subjects that are
// identifiers rather than personal data.
//
// Unwrapped data keys are cached in memory (Config.KeyCacheSize). Shred
// through a Cipher drops the key from that Cipher's cache at once, but
// another process that has the key cached can read (and write) the
// subject until its cache drops it, it restarts, or it is told to Forget
// the subject (a factum cluster tells every member when one shreds). Use
// KeyCacheSize -1 where that matters, at the cost of a KeyStore read per
// payload.
//
// Shredding hides payloads, not the facts that events happened: types,
// times and metadata stay. Copies made outside the application (backups
// of the key store taken before the shred, read models built from the
// events) are not shredded.
//
// MemoryKeyStore loses its keys when the process ends, and with them every
// payload written with per-subject keys: use it only with a journal that
// is in memory too.
package encryption
