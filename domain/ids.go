package domain

import "github.com/google/uuid"

// NewID returns a random (version 4) UUID.
func NewID() uuid.UUID { return uuid.New() }

// NameID returns the deterministic (version 5, SHA-1) UUID of name within
// namespace: the same namespace and name always give the same id. Use it for
// aggregates that are found by a natural key, such as one account per email
// address.
func NameID(namespace uuid.UUID, name string) uuid.UUID {
	return uuid.NewSHA1(namespace, []byte(name))
}

// IDFunc makes new aggregate ids. NewID is the usual one; tests pass a
// deterministic sequence.
type IDFunc func() uuid.UUID
