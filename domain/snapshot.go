package domain

import (
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"
)

// Snapshot is the encoded state of an aggregate at a version. Rebuilding
// from a snapshot and the events after it gives the same aggregate as
// rebuilding from all events.
type Snapshot struct {
	AggregateID uuid.UUID
	// Type is the aggregate's registered type name.
	Type          string
	SchemaVersion uint32
	// Version is the aggregate's version when the snapshot was taken.
	Version    uint64
	CreatedAt  time.Time
	ModifiedAt time.Time
	// Data is the aggregate's state, encoded by its type's codec.
	Data []byte
	// Headers are written by the storage transforms (compression,
	// encryption) that were applied to Data.
	Headers map[string]string
}

// TakeSnapshot encodes the state of a. The aggregate must have no pending
// events: a snapshot holds saved state only.
func (r *Registry) TakeSnapshot(a Aggregate) (Snapshot, error) {
	b := a.root()
	if n := len(b.pending); n > 0 {
		return Snapshot{}, fmt.Errorf("domain: snapshot of aggregate %s: %d events are not saved yet", b.id, n)
	}
	if b.version == 0 {
		return Snapshot{}, fmt.Errorf("domain: snapshot of aggregate %s: it has no events", b.id)
	}
	if b.discarded {
		return Snapshot{}, fmt.Errorf("domain: snapshot of aggregate %s: it was discarded at version %d: %w", b.id, b.version, ErrDiscarded)
	}
	info, ok := r.lookupType(reflect.TypeOf(a))
	if !ok || !info.isAggreg {
		return Snapshot{}, fmt.Errorf("domain: snapshot of %T: aggregate type not registered: %w", a, ErrUnknownType)
	}
	data, err := info.codec.Marshal(a)
	if err != nil {
		return Snapshot{}, fmt.Errorf("domain: snapshot of aggregate %s (%s): %w", b.id, info.name, err)
	}
	return Snapshot{AggregateID: b.id, Type: info.name, SchemaVersion: info.version, Version: b.version,
		CreatedAt: b.createdAt, ModifiedAt: b.modifiedAt, Data: data}, nil
}

// NewAggregate returns a blank aggregate of the type registered as name.
func (r *Registry) NewAggregate(name string) (Aggregate, error) {
	info, ok := r.lookupName(name)
	if !ok || !info.isAggreg {
		return nil, fmt.Errorf("domain: aggregate type %q: %w", name, ErrUnknownType)
	}
	return info.newAggr(), nil
}

// AggregateName returns the registered type name of a.
func (r *Registry) AggregateName(a Aggregate) (string, error) {
	info, ok := r.lookupType(reflect.TypeOf(a))
	if !ok || !info.isAggreg {
		return "", fmt.Errorf("domain: %T: aggregate type not registered: %w", a, ErrUnknownType)
	}
	return info.name, nil
}

// Restore decodes a snapshot into a new aggregate of the snapshot's type,
// at the snapshot's version, with no pending events.
func (r *Registry) Restore(s Snapshot) (Aggregate, error) {
	info, ok := r.lookupName(s.Type)
	if !ok || !info.isAggreg {
		return nil, fmt.Errorf("domain: restore aggregate %s version %d: aggregate type %q: %w", s.AggregateID, s.Version, s.Type, ErrUnknownType)
	}
	data, err := info.upcast(Encoded{Type: s.Type, SchemaVersion: s.SchemaVersion, Data: s.Data})
	if err != nil {
		return nil, fmt.Errorf("domain: restore aggregate %s version %d: %w", s.AggregateID, s.Version, err)
	}
	a := info.newAggr()
	if err := info.codec.Unmarshal(data, a); err != nil {
		return nil, fmt.Errorf("domain: restore aggregate %s version %d (%s, %d bytes): %s: %w",
			s.AggregateID, s.Version, s.Type, len(data), describeDecodeError(err), ErrDecode)
	}
	restoreBase(a, s.AggregateID, s.Version, s.CreatedAt, s.ModifiedAt)
	return a, nil
}
