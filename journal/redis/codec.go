package redis

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

// The stored bytes of a record are a factumpb.StoredEvent
// (proto/factum/v1/store.proto). They are written and read here with
// protowire, field by field, rather than through the generated code's
// reflection: a record with metadata maps (a cluster's writer, the
// pipeline's headers) cost several microseconds more each way through it.
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

// encode returns the stored bytes of a record: a factumpb.StoredEvent.
func encode(r *journal.Record) ([]byte, error) {
	for _, s := range [...]string{r.Type, r.Meta.CorrelationID, r.Meta.CausationID} {
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("redis journal: encode aggregate %s version %d: a string is not UTF-8", r.AggregateID, r.Version)
		}
	}
	for _, m := range [...]map[string]string{r.Meta.Extra, r.Headers} {
		for k, v := range m {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, fmt.Errorf("redis journal: encode aggregate %s version %d: a metadata key or value is not UTF-8", r.AggregateID, r.Version)
			}
		}
	}
	meta := r.Meta.CorrelationID != "" || r.Meta.CausationID != "" || len(r.Meta.Extra) > 0
	metaSize := 0
	if meta {
		metaSize = metadataSize(&r.Meta)
	}
	b := make([]byte, 0, 16+18+len(r.Type)+8+12+len(r.Data)+6+metaSize+mapSize(fHeaders, r.Headers))
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
	if !r.Time.IsZero() {
		if t := r.Time.UnixNano(); t != 0 {
			b = protowire.AppendTag(b, fTime, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(t))
		}
	}
	if len(r.Data) > 0 {
		b = protowire.AppendTag(b, fData, protowire.BytesType)
		b = protowire.AppendBytes(b, r.Data)
	}
	if meta {
		b = protowire.AppendTag(b, fMeta, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(metaSize))
		b = appendString(b, fCorrelationID, r.Meta.CorrelationID)
		b = appendString(b, fCausationID, r.Meta.CausationID)
		b = appendMap(b, fExtra, r.Meta.Extra)
	}
	b = appendMap(b, fHeaders, r.Headers)
	return b, nil
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

// decodeString decodes a stored event held in a string without copying it
// first: decode only reads its input and copies what it keeps.
func decodeString(s string) (journal.Record, error) {
	return decode(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// errStored says what is wrong with stored bytes.
var errStored = errors.New("not a stored event")

// decode reads stored bytes back into a record. It does not keep b: the
// data is copied, the strings made anew.
func decode(b []byte) (journal.Record, error) {
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
			r.Type, n = consumeString(b)
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
			var d []byte
			d, n = protowire.ConsumeBytes(b)
			if n >= 0 {
				r.Data = append([]byte(nil), d...)
			}
		case num == fMeta && typ == protowire.BytesType:
			var m []byte
			m, n = protowire.ConsumeBytes(b)
			if n >= 0 {
				if err := decodeMetadata(m, &r.Meta); err != nil {
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
				if err := decodeEntry(e, r.Headers); err != nil {
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
		return journal.Record{}, fmt.Errorf("redis journal: stored event version %d: aggregate id: %v: %w", r.Version, err, journal.ErrCorrupt)
	}
	return r, nil
}

func corrupt(err error) (journal.Record, error) {
	return journal.Record{}, fmt.Errorf("redis journal: decode stored event: %w: %v: %w", errStored, err, journal.ErrCorrupt)
}

// consumeString reads a string field's value as a new string, which must
// be UTF-8 (as proto3 strings are).
func consumeString(b []byte) (string, int) {
	v, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return "", n
	}
	if !utf8.Valid(v) {
		return "", -1
	}
	return string(v), n
}

func decodeMetadata(b []byte, m *domain.Metadata) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == fCorrelationID && typ == protowire.BytesType:
			m.CorrelationID, n = consumeString(b)
		case num == fCausationID && typ == protowire.BytesType:
			m.CausationID, n = consumeString(b)
		case num == fExtra && typ == protowire.BytesType:
			var e []byte
			e, n = protowire.ConsumeBytes(b)
			if n >= 0 {
				if m.Extra == nil {
					m.Extra = map[string]string{}
				}
				if err := decodeEntry(e, m.Extra); err != nil {
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
func decodeEntry(b []byte, m map[string]string) error {
	var k, v string
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == fKey && typ == protowire.BytesType:
			k, n = consumeString(b)
		case num == fValue && typ == protowire.BytesType:
			v, n = consumeString(b)
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
