package journal

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
)

// Transform changes records on their way into the journal and back:
// compression, encryption and hash chaining are transforms. Encode runs on
// write in the order the transforms were given; Decode runs on read in the
// reverse order. A transform records what it did in Record.Headers.
// (A transform that also applies to snapshots implements
// snapshots.Transform too.)
type Transform interface {
	EncodeRecord(ctx context.Context, r *Record) error
	DecodeRecord(ctx context.Context, r *Record) error
}

// EventStore maps domain events to journal records and back: the registry
// encodes and decodes event values, then the transforms run.
type EventStore struct {
	journal    Journal
	registry   *domain.Registry
	transforms []Transform
	// buffers holds Append's record slices (*[]Record) for reuse: a
	// journal keeps no record after Append returns.
	buffers sync.Pool
}

// NewEventStore returns an event store over j that encodes with registry
// and applies transforms in order on write.
func NewEventStore(j Journal, registry *domain.Registry, transforms ...Transform) *EventStore {
	return &EventStore{journal: j, registry: registry, transforms: transforms}
}

// Journal returns the journal under the store.
func (s *EventStore) Journal() Journal { return s.journal }

// Registry returns the store's type registry.
func (s *EventStore) Registry() *domain.Registry { return s.registry }

// HeaderAggregateType is the header of an aggregate's first record that
// names the aggregate's registered type, so that the aggregate can be
// rebuilt knowing only its id.
const HeaderAggregateType = "aggregate-type"

// Encode turns events into records ready to append. aggregateType, when
// not empty, is recorded on the aggregate's first record.
func (s *EventStore) Encode(ctx context.Context, aggregateType string, events []domain.Envelope) ([]Record, error) {
	return s.encode(ctx, make([]Record, len(events)), aggregateType, events)
}

// encode encodes events into records, which has their length.
func (s *EventStore) encode(ctx context.Context, records []Record, aggregateType string, events []domain.Envelope) ([]Record, error) {
	for i := range events {
		e := &events[i]
		enc, err := s.registry.Encode(e.Data)
		if err != nil {
			return nil, fmt.Errorf("journal: aggregate %s version %d: %w", e.AggregateID, e.Version, err)
		}
		// Built in place: a record of its own would escape to the heap
		// through the transforms' pointer.
		r := &records[i]
		*r = Record{AggregateID: e.AggregateID, Version: e.Version, Type: enc.Type, SchemaVersion: enc.SchemaVersion,
			Time: e.Time, Data: enc.Data, Meta: e.Meta}
		if e.Version == 1 && aggregateType != "" {
			r.Headers = map[string]string{HeaderAggregateType: aggregateType}
		}
		for _, t := range s.transforms {
			if err := t.EncodeRecord(ctx, r); err != nil {
				return nil, fmt.Errorf("journal: aggregate %s version %d: %w", e.AggregateID, e.Version, err)
			}
		}
	}
	return records, nil
}

// Append encodes events and appends them to the stream of aggregate id, of
// the registered type aggregateType, at the expected version. It returns the
// log position of the last event.
func (s *EventStore) Append(ctx context.Context, aggregateType string, id uuid.UUID, expected uint64, events []domain.Envelope) (uint64, error) {
	bp, _ := s.buffers.Get().(*[]Record)
	if bp == nil {
		bp = new([]Record)
	}
	if cap(*bp) < len(events) {
		*bp = make([]Record, len(events))
	}
	records := (*bp)[:len(events)]
	defer func() {
		clear(records) // the pool keeps no events alive
		s.buffers.Put(bp)
	}()
	records, err := s.encode(ctx, records, aggregateType, events)
	if err != nil {
		return 0, err
	}
	return s.journal.Append(ctx, id, expected, records)
}

// Batch is one aggregate's new events, for AppendMany.
type Batch struct {
	// AggregateType is the aggregate's registered type name, recorded on
	// its first event.
	AggregateType string
	AggregateID   uuid.UUID
	// Expected is the version the aggregate must be at.
	Expected uint64
	Events   []domain.Envelope
}

// AppendMany encodes the batches and appends them all or nothing (see
// journal.AppendMany): the seeds' save(a, b). It returns the log position
// of each batch's last event.
func (s *EventStore) AppendMany(ctx context.Context, batches []Batch) ([]uint64, error) {
	streams := make([]Stream, len(batches))
	for i, b := range batches {
		records, err := s.Encode(ctx, b.AggregateType, b.Events)
		if err != nil {
			return nil, err
		}
		streams[i] = Stream{AggregateID: b.AggregateID, Expected: b.Expected, Records: records}
	}
	return AppendMany(ctx, s.journal, streams)
}

// Decode turns a stored record back into a domain event. An unknown type
// name is an error that names the type, the aggregate and the version.
func (s *EventStore) Decode(ctx context.Context, r Record) (domain.Envelope, error) {
	return s.decode(ctx, &r)
}

// decode decodes *r, which the transforms may change.
func (s *EventStore) decode(ctx context.Context, r *Record) (domain.Envelope, error) {
	for i := len(s.transforms) - 1; i >= 0; i-- {
		if err := s.transforms[i].DecodeRecord(ctx, r); err != nil {
			return domain.Envelope{}, fmt.Errorf("journal: aggregate %s version %d: %w", r.AggregateID, r.Version, err)
		}
	}
	v, err := s.registry.Decode(domain.Encoded{Type: r.Type, SchemaVersion: r.SchemaVersion, Data: r.Data})
	if err != nil {
		if errors.Is(err, domain.ErrDecode) {
			// The bytes do not decode into their own type: corrupt.
			return domain.Envelope{}, fmt.Errorf("journal: aggregate %s version %d: %w (%w)", r.AggregateID, r.Version, err, ErrCorrupt)
		}
		return domain.Envelope{}, fmt.Errorf("journal: aggregate %s version %d: %w", r.AggregateID, r.Version, err)
	}
	return domain.Envelope{AggregateID: r.AggregateID, Version: r.Version, Time: r.Time, Type: r.Type, Data: v, Meta: r.Meta}, nil
}

// AggregateType returns the registered type name recorded on aggregate
// id's first record, or "" when the aggregate has no events or none was
// recorded.
func (s *EventStore) AggregateType(ctx context.Context, id uuid.UUID) (string, error) {
	first, err := s.journal.Read(ctx, id, 1, 1)
	if err != nil || len(first) == 0 {
		return "", err
	}
	return first[0].Headers[HeaderAggregateType], nil
}

// Load reads and decodes aggregate id's events with from <= version <= to
// (to == 0: all). An unknown aggregate has no events.
func (s *EventStore) Load(ctx context.Context, id uuid.UUID, from, to uint64) ([]domain.Envelope, error) {
	records, err := s.journal.Read(ctx, id, from, to)
	if err != nil {
		return nil, err
	}
	events := make([]domain.Envelope, len(records))
	for i := range records {
		if events[i], err = s.decode(ctx, &records[i]); err != nil {
			return nil, err
		}
	}
	return events, nil
}

// Replay reads aggregate a's events with from <= version <= to (to == 0:
// all), decodes them and applies them to a one by one, without holding the
// whole decoded history in memory. The records' ids and versions are
// checked before any is applied (domain.ErrHistory), so a history that
// does not fit leaves a as it was. visit, when not nil, sees each event
// after it was applied. It returns the number of events applied.
func (s *EventStore) Replay(ctx context.Context, a domain.Aggregate, id uuid.UUID, from, to uint64, visit func(*domain.Envelope)) (int, error) {
	return s.ReplayAs(ctx, "", a, id, from, to, visit)
}

// ReplayAs is Replay that first checks, when it reads the aggregate's
// first record, that the aggregate is of the registered type
// aggregateType ("": any type); a *WrongTypeError when it is not, with
// nothing applied.
func (s *EventStore) ReplayAs(ctx context.Context, aggregateType string, a domain.Aggregate, id uuid.UUID, from, to uint64, visit func(*domain.Envelope)) (int, error) {
	records, err := s.journal.Read(ctx, id, from, to)
	if err != nil {
		return 0, err
	}
	return s.ReplayRecordsAs(ctx, aggregateType, a, id, records, visit)
}

// ReplayRecordsAs is ReplayAs on records already read from the journal
// (the aggregate's records after a's version, in version order).
func (s *EventStore) ReplayRecordsAs(ctx context.Context, aggregateType string, a domain.Aggregate, id uuid.UUID, records []Record, visit func(*domain.Envelope)) (int, error) {
	if len(records) == 0 {
		return 0, nil
	}
	if aggregateType != "" && records[0].Version == 1 {
		if stored := records[0].Headers[HeaderAggregateType]; stored != "" && stored != aggregateType {
			return 0, &WrongTypeError{AggregateID: id, Want: aggregateType, Stored: stored}
		}
	}
	next := a.Version() + 1
	for i := range records {
		if r := &records[i]; r.AggregateID != id || r.Version != next+uint64(i) {
			return 0, fmt.Errorf("journal: aggregate %s at version %d: record %d is aggregate %s version %d: %w",
				id, a.Version(), i, r.AggregateID, r.Version, domain.ErrHistory)
		}
	}
	for i := range records {
		e, err := s.decode(ctx, &records[i])
		if err != nil {
			return i, err
		}
		if err := domain.Replay(a, e); err != nil {
			return i, err
		}
		if visit != nil {
			visit(&e)
		}
	}
	return len(records), nil
}
