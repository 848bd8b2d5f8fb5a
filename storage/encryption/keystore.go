package encryption

import "context"

// WrappedKey is a data key as a KeyStore keeps it: encrypted (wrapped) by
// a master key.
type WrappedKey struct {
	// ID identifies the data key; records name it in HeaderKey.
	ID string
	// MasterID is the id of the master key that wrapped it.
	MasterID string
	// Wrapped is the data key sealed with AES-256-GCM under the master key
	// (nonce first), bound to the subject and ID.
	Wrapped []byte
}

// KeyStore keeps one data key per subject, wrapped by a master key, and
// forgets it for ever when the subject is shredded. Implementations are
// safe for concurrent use, and every method is atomic.
type KeyStore interface {
	// Get returns subject's data key: ErrNoKey when it has none,
	// ErrShredded when it was shredded.
	Get(ctx context.Context, subject string) (WrappedKey, error)
	// Create stores k as subject's data key unless it has one already,
	// and returns the one stored (k, or the one that was there first), so
	// that writers racing to create a subject's key agree on one.
	// ErrShredded when the subject was shredded.
	Create(ctx context.Context, subject string, k WrappedKey) (WrappedKey, error)
	// Rewrap replaces the stored wrapping of subject's data key k.ID with
	// k (the same data key wrapped by another master key). ErrShredded when
	// the subject was shredded; ErrNoKey when it has no key with id k.ID.
	Rewrap(ctx context.Context, subject string, k WrappedKey) error
	// Shred deletes subject's data key and remembers that it did: after
	// it, Get, Create and Rewrap return ErrShredded. Shredding a subject
	// twice, or one that never had a key, is not an error.
	Shred(ctx context.Context, subject string) error
	// Range calls fn for every subject that has a data key, in no
	// particular order, until fn returns an error (which Range returns).
	Range(ctx context.Context, fn func(subject string, k WrappedKey) error) error
}
