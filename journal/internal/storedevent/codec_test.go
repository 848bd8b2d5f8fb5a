package storedevent

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/proto/factumpb"
)

// randomRecord is a record with some of its fields set.
func randomRecord(rng *rand.Rand) journal.Record {
	str := func() string {
		if rng.IntN(3) == 0 {
			return ""
		}
		return strings.Repeat(string(rune('a'+rng.IntN(26))), rng.IntN(40)) + "é"
	}
	mp := func() map[string]string {
		if rng.IntN(2) == 0 {
			return nil
		}
		m := map[string]string{}
		for range 1 + rng.IntN(4) {
			m[str()] = str()
		}
		return m
	}
	r := journal.Record{AggregateID: uuid.New(), Type: str(), Headers: mp(),
		Meta: domain.Metadata{CorrelationID: str(), CausationID: str(), Extra: mp()}}
	if rng.IntN(4) > 0 {
		r.Version = rng.Uint64N(1 << uint(rng.IntN(64)))
	}
	if rng.IntN(4) > 0 {
		r.SchemaVersion = uint32(rng.IntN(1 << 20))
	}
	switch rng.IntN(3) {
	case 0:
		r.Time = time.Unix(0, rng.Int64()).UTC()
	case 1:
		r.Time = time.Unix(0, -rng.Int64N(1<<50)).UTC()
	}
	if rng.IntN(4) > 0 {
		r.Data = make([]byte, 1+rng.IntN(300))
		for i := range r.Data {
			r.Data[i] = byte(rng.IntN(256))
		}
	}
	return r
}

// generated encodes r with the generated code, as the journal did before
// its own codec.
func generated(t *testing.T, r *journal.Record) []byte {
	e := factumpb.StoredEvent{AggregateId: r.AggregateID[:], Version: r.Version, Type: r.Type,
		SchemaVersion: r.SchemaVersion, Data: r.Data, Headers: r.Headers}
	if !r.Time.IsZero() {
		e.TimeUnixNano = r.Time.UnixNano()
	}
	if m := r.Meta; m.CorrelationID != "" || m.CausationID != "" || len(m.Extra) > 0 {
		e.Meta = &factumpb.Metadata{CorrelationId: m.CorrelationID, CausationId: m.CausationID, Extra: m.Extra}
	}
	b, err := proto.Marshal(&e)
	require.NoError(t, err)
	return b
}

// The journal's codec and the generated code read each other's bytes: the
// stored format is factumpb.StoredEvent either way.
func TestCodecMatchesTheGeneratedCode(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	for i := range 2000 {
		r := randomRecord(rng)
		mine, err := Encode(&r)
		require.NoError(t, err)
		// The generated code reads what the codec writes, to the byte the
		// same message.
		var got factumpb.StoredEvent
		require.NoError(t, proto.Unmarshal(mine, &got), "record %d", i)
		var want factumpb.StoredEvent
		require.NoError(t, proto.Unmarshal(generated(t, &r), &want))
		require.True(t, proto.Equal(&want, &got), "record %d: %v\n!= %v", i, &want, &got)
		require.Equal(t, proto.Size(&want), len(mine), "record %d: the codec's size", i)
		require.Equal(t, len(mine), Size(&r), "record %d: Size", i)
		// The codec reads what the generated code writes, and its own,
		// with copies or without.
		for _, b := range [][]byte{generated(t, &r), mine} {
			back, err := Decode(b)
			require.NoError(t, err)
			require.Equal(t, r, back, "record %d", i)
			back, err = DecodeShared(b)
			require.NoError(t, err)
			require.Equal(t, r, back, "record %d (shared)", i)
		}
	}
}

// Bytes that are not a stored event are corrupt, never a panic; an
// unknown field (from a later version) is skipped.
func TestCodecBadBytes(t *testing.T) {
	r := journal.Record{AggregateID: uuid.New(), Version: 3, Type: "t", Data: []byte("x"),
		Meta: domain.Metadata{Extra: map[string]string{"k": "v"}}}
	b, err := Encode(&r)
	require.NoError(t, err)
	for n := range len(b) {
		if _, err := Decode(b[:n]); err == nil {
			back, _ := Decode(b[:n])
			require.NotEqual(t, r, back, "a cut record must not read back whole (cut at %d)", n)
		} else {
			require.ErrorIs(t, err, journal.ErrCorrupt, "cut at %d", n)
		}
	}
	_, err = Decode([]byte{0xff, 0xff, 0xff})
	require.ErrorIs(t, err, journal.ErrCorrupt)
	bad := append([]byte(nil), b...)
	bad = append(bad, 0x1a, 0x02, 0xff, 0xfe) // a field 3 (type) that is not UTF-8
	_, err = Decode(bad)
	require.ErrorIs(t, err, journal.ErrCorrupt)
	future := append(append([]byte(nil), b...), 0xa0, 0x06, 0x01) // field 100, varint 1
	back, err := Decode(future)
	require.NoError(t, err)
	require.Equal(t, r, back)
	r.Type = "\xff"
	_, err = Encode(&r)
	require.Error(t, err, "a type that is not UTF-8")
}

// Decode copies what it keeps; DecodeShared keeps views of its input.
func TestDecodeSharedKeepsItsInput(t *testing.T) {
	r := journal.Record{AggregateID: uuid.New(), Version: 1, Type: "t", Data: []byte("xy"),
		Meta: domain.Metadata{CorrelationID: "c"}}
	b, err := Encode(&r)
	require.NoError(t, err)
	copied, err := Decode(b)
	require.NoError(t, err)
	shared, err := DecodeShared(b)
	require.NoError(t, err)
	for i := range b {
		b[i] = 0
	}
	require.Equal(t, r, copied)
	require.Equal(t, []byte{0, 0}, shared.Data)
	require.Equal(t, "\x00", shared.Type)
	require.Equal(t, cap(shared.Data), len(shared.Data), "an append to the data must not write over the bytes after it")
}

func BenchmarkCodec(b *testing.B) {
	r := journal.Record{AggregateID: uuid.New(), Version: 42, Type: "bank.Deposited", SchemaVersion: 1,
		Time: time.Now(), Data: []byte(`{"amount":100}`),
		Meta: domain.Metadata{CorrelationID: uuid.NewString(), CausationID: uuid.NewString(),
			Extra: map[string]string{"factum.writer.node": "127.0.0.1:8081", "factum.writer.epoch": "17"}}}
	for _, bc := range []struct {
		name string
		enc  func() []byte
		dec  func([]byte)
	}{
		{"journal", func() []byte { x, _ := Encode(&r); return x }, func(x []byte) { _, _ = Decode(x) }},
		{"generated", func() []byte {
			e := factumpb.StoredEvent{AggregateId: r.AggregateID[:], Version: r.Version, Type: r.Type, SchemaVersion: r.SchemaVersion,
				TimeUnixNano: r.Time.UnixNano(), Data: r.Data, Meta: &factumpb.Metadata{CorrelationId: r.Meta.CorrelationID,
					CausationId: r.Meta.CausationID, Extra: r.Meta.Extra}}
			x, _ := proto.Marshal(&e)
			return x
		}, func(x []byte) { var e factumpb.StoredEvent; _ = proto.Unmarshal(x, &e) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.dec(bc.enc())
			}
		})
	}
}
