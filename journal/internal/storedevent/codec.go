// Package storedevent writes and reads the stored bytes of a journal
// record, a factumpb.StoredEvent (proto/factum/v1/store.proto): the Redis
// journal's values and the memory journal's log entries.
package storedevent

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
)

// The stored bytes are written and read here with protowire, field by
// field, rather than through the generated code's reflection: a record
// with metadata maps (a cluster's writer, the pipeline's headers) cost
// several microseconds more each way through it.
// The bytes are a valid encoding of the message (fields in number order,
// map entries as key-value messages), so proto.Unmarshal reads them, and
// what proto.Marshal writes decodes here (codec_test.go checks both ways).

// Field numbers of factumpb.StoredEvent and factumpb.Metadata.
const (
	fAggregateID   protowire.Number = 1
	fVersion       protowire.Number = 2
	fType          protowire.Number = 3
	fSchemaVersion protowire.Number = 4
	fTime          protowire.Number = 5
	fData          protowire.Number = 6
	fMeta          protowire.Number = 7
	fHeaders       protowire.Number = 8

	fCorrelationID protowire.Number = 1
	fCausationID   protowire.Number = 2
	fExtra         protowire.Number = 3

	fKey   protowire.Number = 1
	fValue protowire.Number = 2
)

// Validate says whether r can be stored: its strings, metadata keys and
// values must be UTF-8 (as proto3 strings are).
func Validate(r *journal.Record) error {
	for _, s := range [...]string{r.Type, r.Meta.CorrelationID, r.Meta.CausationID} {
		if !utf8.ValidString(s) {
			return fmt.Errorf("encode aggregate %s version %d: a string is not UTF-8", r.AggregateID, r.Version)
		}
	}
	for _, m := range [...]map[string]string{r.Meta.Extra, r.Headers} {
		for k, v := range m {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return fmt.Errorf("encode aggregate %s version %d: a metadata key or value is not UTF-8", r.AggregateID, r.Version)
			}
		}
	}
	return nil
}

// Encode returns the stored bytes of r, or Validate's error.
func Encode(r *journal.Record) ([]byte, error) {
	if err := Validate(r); err != nil {
		return nil, err
	}
	return Append(make([]byte, 0, Size(r)), r), nil
}

// Size returns the length of r's stored bytes.
func Size(r *journal.Record) int {
	size := 2 + len(r.AggregateID)
	if r.Version != 0 {
		size += 1 + protowire.SizeVarint(r.Version)
	}
	if r.Type != "" {
		size += 1 + protowire.SizeBytes(len(r.Type))
	}
	if r.SchemaVersion != 0 {
		size += 1 + protowire.SizeVarint(uint64(r.SchemaVersion))
	}
	if t := unixNano(r.Time); t != 0 {
		size += 1 + protowire.SizeVarint(uint64(t))
	}
	if len(r.Data) > 0 {
		size += 1 + protowire.SizeBytes(len(r.Data))
	}
	if hasMeta(&r.Meta) {
		size += 1 + protowire.SizeBytes(metadataSize(&r.Meta))
	}
	return size + mapSize(fHeaders, r.Headers)
}

// Append appends r's stored bytes (Size(r) of them) to b. r must have
// passed Validate.
func Append(b []byte, r *journal.Record) []byte {
	b = protowire.AppendTag(b, fAggregateID, protowire.BytesType)
	b = protowire.AppendBytes(b, r.AggregateID[:])
	if r.Version != 0 {
		b = protowire.AppendTag(b, fVersion, protowire.VarintType)
		b = protowire.AppendVarint(b, r.Version)
	}
	if r.Type != "" {
		b = protowire.AppendTag(b, fType, protowire.BytesType)
		b = protowire.AppendString(b, r.Type)
	}
	if r.SchemaVersion != 0 {
		b = protowire.AppendTag(b, fSchemaVersion, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(r.SchemaVersion))
	}
	if t := unixNano(r.Time); t != 0 {
		b = protowire.AppendTag(b, fTime, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(t))
	}
	if len(r.Data) > 0 {
		b = protowire.AppendTag(b, fData, protowire.BytesType)
		b = protowire.AppendBytes(b, r.Data)
	}
	if hasMeta(&r.Meta) {
		b = protowire.AppendTag(b, fMeta, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(metadataSize(&r.Meta)))
		b = appendString(b, fCorrelationID, r.Meta.CorrelationID)
		b = appendString(b, fCausationID, r.Meta.CausationID)
		b = appendMap(b, fExtra, r.Meta.Extra)
	}
	return appendMap(b, fHeaders, r.Headers)
}

// unixNano is t as stored: 0 for the zero time.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func hasMeta(m *domain.Metadata) bool {
	return m.CorrelationID != "" || m.CausationID != "" || len(m.Extra) > 0
}

func appendString(b []byte, n protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, n, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// appendMap appends a map<string, string> field: one entry message per
// key, its key and value each written even when empty, as the generated
// code writes them.
func appendMap(b []byte, n protowire.Number, m map[string]string) []byte {
	for k, v := range m {
		b = protowire.AppendTag(b, n, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(entrySize(k, v)))
		b = protowire.AppendTag(b, fKey, protowire.BytesType)
		b = protowire.AppendString(b, k)
		b = protowire.AppendTag(b, fValue, protowire.BytesType)
		b = protowire.AppendString(b, v)
	}
	return b
}

func entrySize(k, v string) int {
	return 1 + protowire.SizeBytes(len(k)) + 1 + protowire.SizeBytes(len(v))
}

func mapSize(n protowire.Number, m map[string]string) int {
	size := 0
	for k, v := range m {
		e := entrySize(k, v)
		size += protowire.SizeTag(n) + protowire.SizeBytes(e)
	}
	return size
}

func metadataSize(m *domain.Metadata) int {
	size := mapSize(fExtra, m.Extra)
	if m.CorrelationID != "" {
		size += 1 + protowire.SizeBytes(len(m.CorrelationID))
	}
	if m.CausationID != "" {
		size += 1 + protowire.SizeBytes(len(m.CausationID))
	}
	return size
}

// DecodeString is Decode of bytes held in a string, without copying them
// first.
func DecodeString(s string) (journal.Record, error) {
	return Decode(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// errStored says what is wrong with stored bytes.
var errStored = errors.New("not a stored event")

// Decode reads stored bytes back into a record. It does not keep b: the
// data is copied, the strings made anew. Bytes that are not a stored
// event give an error that is journal.ErrCorrupt.
func Decode(b []byte) (journal.Record, error) { return decode(b, false) }

// DecodeShared is Decode without the copies: the record's data and
// strings are b's own bytes, which must never change afterwards.
func DecodeShared(b []byte) (journal.Record, error) { return decode(b, true) }

func decode(b []byte, shared bool) (journal.Record, error) {
	d := decoder{shared: shared}
	var r journal.Record
	var id []byte
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return corrupt(protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == fAggregateID && typ == protowire.BytesType:
			id, n = protowire.ConsumeBytes(b)
		case num == fVersion && typ == protowire.VarintType:
			r.Version, n = protowire.ConsumeVarint(b)
		case num == fType && typ == protowire.BytesType:
			r.Type, n = d.consumeString(b)
		case num == fSchemaVersion && typ == protowire.VarintType:
			var v uint64
			v, n = protowire.ConsumeVarint(b)
			r.SchemaVersion = uint32(v)
		case num == fTime && typ == protowire.VarintType:
			var v uint64
			v, n = protowire.ConsumeVarint(b)
			if v != 0 {
				r.Time = time.Unix(0, int64(v)).UTC()
			}
		case num == fData && typ == protowire.BytesType:
			var v []byte
			v, n = protowire.ConsumeBytes(b)
			if n >= 0 {
				if shared {
					r.Data = v[:len(v):len(v)]
				} else {
					r.Data = append([]byte(nil), v...)
				}
			}
		case num == fMeta && typ == protowire.BytesType:
			var m []byte
			m, n = protowire.ConsumeBytes(b)
			if n >= 0 {
				if err := d.decodeMetadata(m, &r.Meta); err != nil {
					return corrupt(err)
				}
			}
		case num == fHeaders && typ == protowire.BytesType:
			var e []byte
			e, n = protowire.ConsumeBytes(b)
			if n >= 0 {
				if r.Headers == nil {
					r.Headers = map[string]string{}
				}
				if err := d.decodeEntry(e, r.Headers); err != nil {
					return corrupt(err)
				}
			}
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return corrupt(protowire.ParseError(n))
		}
		b = b[n:]
	}
	var err error
	if r.AggregateID, err = uuid.FromBytes(id); err != nil {
		return journal.Record{}, fmt.Errorf("stored event version %d: aggregate id: %v: %w", r.Version, err, journal.ErrCorrupt)
	}
	return r, nil
}

func corrupt(err error) (journal.Record, error) {
	return journal.Record{}, fmt.Errorf("decode stored event: %w: %v: %w", errStored, err, journal.ErrCorrupt)
}

// decoder reads strings as new strings, or, shared, as views of the
// stored bytes.
type decoder struct{ shared bool }

// consumeString reads a string field's value, which must be UTF-8 (as
// proto3 strings are).
func (d decoder) consumeString(b []byte) (string, int) {
	v, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return "", n
	}
	if !utf8.Valid(v) {
		return "", -1
	}
	if d.shared {
		return unsafe.String(unsafe.SliceData(v), len(v)), n
	}
	return string(v), n
}

func (d decoder) decodeMetadata(b []byte, m *domain.Metadata) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == fCorrelationID && typ == protowire.BytesType:
			m.CorrelationID, n = d.consumeString(b)
		case num == fCausationID && typ == protowire.BytesType:
			m.CausationID, n = d.consumeString(b)
		case num == fExtra && typ == protowire.BytesType:
			var e []byte
			e, n = protowire.ConsumeBytes(b)
			if n >= 0 {
				if m.Extra == nil {
					m.Extra = map[string]string{}
				}
				if err := d.decodeEntry(e, m.Extra); err != nil {
					return err
				}
			}
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("metadata: %w", protowire.ParseError(n))
		}
		b = b[n:]
	}
	return nil
}

// decodeEntry reads one map<string, string> entry into m (a missing key
// or value is the empty string; a later entry for a key wins).
func (d decoder) decodeEntry(b []byte, m map[string]string) error {
	var k, v string
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == fKey && typ == protowire.BytesType:
			k, n = d.consumeString(b)
		case num == fValue && typ == protowire.BytesType:
			v, n = d.consumeString(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("map entry: %w", protowire.ParseError(n))
		}
		b = b[n:]
	}
	m[k] = v
	return nil
}
