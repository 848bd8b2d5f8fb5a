package encryption

import (
	"errors"

	"github.com/factum-dev/factum/journal"
)

var (
	// ErrShredded is returned when the data key of an event's or snapshot's
	// subject has been shredded: the data is still stored but can never be
	// read again. It is also returned on write for a shredded subject.
	// (journal.ErrShredded, the same value.)
	ErrShredded = journal.ErrShredded
	// ErrNoKey is returned by a KeyStore for a subject that has no data key,
	// and on read when the data key a record was written with is not in the
	// key store (the key store lost it; it was not shredded).
	ErrNoKey = errors.New("data key not found")
	// ErrUnknownMasterKey is returned when stored data or a wrapped data key
	// names a master key id that is not in the Keyring.
	ErrUnknownMasterKey = errors.New("unknown master key")
	// ErrDecrypt is returned when a payload or a wrapped data key fails
	// authentication: it was changed, or moved from another record, or the
	// key is wrong. It wraps journal.ErrCorrupt too.
	ErrDecrypt = errors.New("decryption failed")
	// ErrNotEncrypted is returned on read for a payload without the cipher
	// header when the Cipher requires encryption (RequireEncrypted).
	ErrNotEncrypted = errors.New("payload is not encrypted")
	// ErrNoKeyStore is returned by Shred and Rotate of a Cipher that has no
	// KeyStore (payloads are encrypted with the master key itself).
	ErrNoKeyStore = errors.New("cipher has no key store")
	// ErrBadKey is returned for a key that is not 32 bytes (AES-256), or an
	// empty key id.
	ErrBadKey = errors.New("bad key")
)
