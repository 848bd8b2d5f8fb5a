package compression_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/memory"
	"github.com/factum-dev/factum/storage/compression"
)

func newCompressor(t *testing.T, alg string) *compression.Compressor {
	t.Helper()
	c, err := compression.New(compression.Config{Algorithm: alg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

var payload = []byte(strings.Repeat(`{"name":"Fido","trick":"roll over"},`, 20))

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, alg := range []string{compression.Zstd, compression.Zlib} {
		t.Run(alg, func(t *testing.T) {
			c := newCompressor(t, alg)
			r := journal.Record{AggregateID: uuid.New(), Version: 3, Type: "t", Data: payload}
			if err := c.EncodeRecord(ctx, &r); err != nil {
				t.Fatal(err)
			}
			if got := r.Headers[compression.HeaderCompression]; got != alg {
				t.Fatalf("header %q = %q, want %q", compression.HeaderCompression, got, alg)
			}
			if len(r.Data) >= len(payload)/2 {
				t.Fatalf("compressed %d bytes to %d", len(payload), len(r.Data))
			}
			stored := append([]byte(nil), r.Data...)
			if err := c.DecodeRecord(ctx, &r); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(r.Data, payload) {
				t.Fatalf("decoded %q", r.Data)
			}
			s := domain.Snapshot{AggregateID: r.AggregateID, Version: 3, Type: "a", Data: payload}
			if err := c.EncodeSnapshot(ctx, &s); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(s.Data, stored) {
				t.Fatalf("snapshot and record of the same bytes compress differently")
			}
			if err := c.DecodeSnapshot(ctx, &s); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(s.Data, payload) || s.Headers[compression.HeaderCompression] != alg {
				t.Fatalf("snapshot decoded to %q with headers %v", s.Data, s.Headers)
			}
		})
	}
}

func TestIncompressibleIsStoredAsIs(t *testing.T) {
	ctx := context.Background()
	c := newCompressor(t, compression.Zstd)
	for _, data := range [][]byte{[]byte(`{"a":1}`), randomBytes(500)} {
		r := journal.Record{AggregateID: uuid.New(), Version: 1, Type: "t", Data: data}
		if err := c.EncodeRecord(ctx, &r); err != nil {
			t.Fatal(err)
		}
		if _, ok := r.Headers[compression.HeaderCompression]; ok || !bytes.Equal(r.Data, data) {
			t.Fatalf("%d bytes: stored %d bytes with headers %v, want them as they were", len(data), len(r.Data), r.Headers)
		}
		if err := c.DecodeRecord(ctx, &r); err != nil || !bytes.Equal(r.Data, data) {
			t.Fatalf("decode: %v", err)
		}
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	x := uint64(0x9e3779b97f4a7c15)
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}

// A journal written with zstd, then zlib, then no compression reads back
// through either Compressor.
func TestMixedAlgorithmsReadBack(t *testing.T) {
	ctx := context.Background()
	j, err := memory.New(memory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	reg := domain.NewRegistry()
	type Said struct{ Text string }
	domain.MustRegister[Said](reg, "test.Said")
	zs, zl := newCompressor(t, compression.Zstd), newCompressor(t, compression.Zlib)
	id := uuid.New()
	text := strings.Repeat("all work and no play makes jack a dull boy ", 10)
	var v uint64
	for _, store := range []*journal.EventStore{
		journal.NewEventStore(j, reg, zs), journal.NewEventStore(j, reg, zl), journal.NewEventStore(j, reg),
	} {
		ev := []domain.Envelope{{AggregateID: id, Version: v + 1, Time: time.Now(), Data: Said{Text: text}}}
		if _, err := store.Append(ctx, "", id, v, ev); err != nil {
			t.Fatal(err)
		}
		v++
	}
	recs, err := j.Read(ctx, id, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"zstd", "zlib", ""} {
		if got := recs[i].Headers[compression.HeaderCompression]; got != want {
			t.Fatalf("record %d stored with %q, want %q", i+1, got, want)
		}
	}
	for _, c := range []*compression.Compressor{zs, zl} {
		events, err := journal.NewEventStore(j, reg, c).Load(ctx, id, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Data.(Said).Text != text {
				t.Fatalf("%s read version %d as %q", c.Algorithm(), e.Version, e.Data.(Said).Text)
			}
		}
	}
}

func TestCorruptAndUnknown(t *testing.T) {
	ctx := context.Background()
	for _, alg := range []string{compression.Zstd, compression.Zlib} {
		c := newCompressor(t, alg)
		r := journal.Record{AggregateID: uuid.New(), Version: 7, Type: "t", Data: payload}
		if err := c.EncodeRecord(ctx, &r); err != nil {
			t.Fatal(err)
		}
		r.Data = append([]byte(nil), r.Data[:len(r.Data)/2]...)
		err := c.DecodeRecord(ctx, &r)
		if !errors.Is(err, compression.ErrCorrupt) || !errors.Is(err, journal.ErrCorrupt) {
			t.Fatalf("%s: truncated payload: %v, want ErrCorrupt", alg, err)
		}
		if !strings.Contains(err.Error(), r.AggregateID.String()) || !strings.Contains(err.Error(), "version 7") {
			t.Fatalf("error %q does not name the aggregate and version", err)
		}
	}
	c := newCompressor(t, compression.Zstd)
	r := journal.Record{AggregateID: uuid.New(), Version: 1, Type: "t", Data: payload,
		Headers: map[string]string{compression.HeaderCompression: "lz4"}}
	if err := c.DecodeRecord(ctx, &r); !errors.Is(err, compression.ErrUnknownAlgorithm) {
		t.Fatalf("lz4 header: %v, want ErrUnknownAlgorithm", err)
	}
}

func TestDecodedSizeIsBounded(t *testing.T) {
	ctx := context.Background()
	for _, alg := range []string{compression.Zstd, compression.Zlib} {
		big, err := compression.New(compression.Config{Algorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		small, err := compression.New(compression.Config{Algorithm: alg, MaxDecodedSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		r := journal.Record{AggregateID: uuid.New(), Version: 1, Type: "t", Data: make([]byte, 100_000)}
		if err := big.EncodeRecord(ctx, &r); err != nil {
			t.Fatal(err)
		}
		if err := small.DecodeRecord(ctx, &r); !errors.Is(err, compression.ErrCorrupt) {
			t.Fatalf("%s: 100 kB payload with a 1 kB bound: %v, want ErrCorrupt", alg, err)
		}
		_, _ = big.Close(), small.Close()
	}
}

func TestConfigValidate(t *testing.T) {
	for _, cfg := range []compression.Config{
		{Algorithm: "lz4"}, {Algorithm: ""}, {Algorithm: "zlib", Level: 10}, {Algorithm: "zstd", Level: 5}, {Algorithm: "zstd", MinSize: -1},
	} {
		if _, err := compression.New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}
