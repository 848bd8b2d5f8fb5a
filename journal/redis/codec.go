package redis

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/proto/factumpb"
)

// encode returns the stored bytes of a record: a factumpb.StoredEvent.
func encode(r *journal.Record) ([]byte, error) {
	e := factumpb.StoredEvent{
		AggregateId:   r.AggregateID[:],
		Version:       r.Version,
		Type:          r.Type,
		SchemaVersion: r.SchemaVersion,
		Data:          r.Data,
		Headers:       r.Headers,
	}
	if !r.Time.IsZero() {
		e.TimeUnixNano = r.Time.UnixNano()
	}
	if m := r.Meta; m.CorrelationID != "" || m.CausationID != "" || len(m.Extra) > 0 {
		e.Meta = &factumpb.Metadata{CorrelationId: m.CorrelationID, CausationId: m.CausationID, Extra: m.Extra}
	}
	b, err := proto.Marshal(&e)
	if err != nil {
		return nil, fmt.Errorf("redis journal: encode aggregate %s version %d: %w", r.AggregateID, r.Version, err)
	}
	return b, nil
}

// decodeString decodes a stored event held in a string without copying it
// first: proto.Unmarshal only reads its input and copies what it keeps.
func decodeString(s string) (journal.Record, error) {
	return decode(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// decode reads stored bytes back into a record. It does not keep b.
func decode(b []byte) (journal.Record, error) {
	var e factumpb.StoredEvent
	if err := proto.Unmarshal(b, &e); err != nil {
		return journal.Record{}, fmt.Errorf("redis journal: decode stored event: %v: %w", err, journal.ErrCorrupt)
	}
	id, err := uuid.FromBytes(e.AggregateId)
	if err != nil {
		return journal.Record{}, fmt.Errorf("redis journal: stored event version %d: aggregate id: %v: %w", e.Version, err, journal.ErrCorrupt)
	}
	r := journal.Record{
		AggregateID:   id,
		Version:       e.Version,
		Type:          e.Type,
		SchemaVersion: e.SchemaVersion,
		Data:          e.Data,
		Headers:       e.Headers,
	}
	if e.TimeUnixNano != 0 {
		r.Time = time.Unix(0, e.TimeUnixNano).UTC()
	}
	if m := e.Meta; m != nil {
		r.Meta = domain.Metadata{CorrelationID: m.CorrelationId, CausationID: m.CausationId, Extra: m.Extra}
	}
	return r, nil
}
