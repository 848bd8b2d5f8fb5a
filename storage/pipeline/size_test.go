package pipeline_test

import (
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/storage/compression"
)

// TestCompressionSizes measures the stored payload bytes of the examples'
// events and snapshots with each algorithm (go test -v -run
// CompressionSizes ./storage/pipeline). It fails only if compression ever
// makes a payload bigger.
func TestCompressionSizes(t *testing.T) {
	reg := benchRegistry()
	comp := map[string]*compression.Compressor{}
	for _, alg := range []string{"zstd", "zlib"} {
		c, err := compression.New(compression.Config{Algorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		comp[alg] = c
	}
	type sample struct {
		name     string
		payloads [][]byte
	}
	var samples []sample
	for _, kind := range []string{"dogschool", "bank"} {
		var ps [][]byte
		for range 100 {
			for _, e := range history(kind, uuid.New(), 10) {
				enc, err := reg.Encode(e.Data)
				if err != nil {
					t.Fatal(err)
				}
				ps = append(ps, enc.Data)
			}
		}
		samples = append(samples, sample{kind + " events", ps})
	}
	tricks := make([]string, 0, 20)
	for i := range 20 {
		tricks = append(tricks, fmt.Sprintf("trick number %d", i))
	}
	snap, _ := domain.JSONCodec{}.Marshal(map[string]any{"name": "Fido", "tricks": tricks})
	samples = append(samples, sample{"dog snapshot (20 tricks)", [][]byte{snap}})
	for _, s := range samples {
		var raw int
		size := map[string]int{}
		for _, p := range s.payloads {
			raw += len(p)
			for alg, c := range comp {
				out, _ := c.Compress(p)
				if len(out) > len(p) {
					t.Fatalf("%s made a %d-byte payload %d bytes", alg, len(p), len(out))
				}
				size[alg] += len(out)
			}
		}
		t.Logf("%-26s %5d payloads, %7.1f bytes each: zstd %5.1f%% smaller, zlib %5.1f%% smaller (encryption adds 28 bytes: nonce and tag)",
			s.name, len(s.payloads), float64(raw)/float64(len(s.payloads)),
			100*(1-float64(size["zstd"])/float64(raw)), 100*(1-float64(size["zlib"])/float64(raw)))
	}
}
