package domain

import (
	"errors"

	"github.com/google/uuid"
)

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

// TypeNamespace is the namespace of the name-based ids of an aggregate
// type: the same name stands for different aggregates in different types.
func TypeNamespace(aggregateType string) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("factum:"+aggregateType))
}

// AggregateID reads an aggregate id as factum's API takes it: a UUID, or
// any other name, which stands for NameID(TypeNamespace(aggregateType),
// name), so that bank.Account "alice@example.com" is always one account,
// in URLs and command bodies alike.
func AggregateID(aggregateType, raw string) (uuid.UUID, error) {
	if raw == "" {
		return uuid.Nil, errors.New("empty aggregate id")
	}
	if id, err := uuid.Parse(raw); err == nil {
		return id, nil
	}
	return NameID(TypeNamespace(aggregateType), raw), nil
}
