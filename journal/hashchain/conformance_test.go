package hashchain_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/hashchain"
	"github.com/factum-dev/factum/journal/journaltest"
	"github.com/factum-dev/factum/journal/memory"
	jredis "github.com/factum-dev/factum/journal/redis"
)

// chained returns a factory of hash-chained journals over memory journals.
func chained(cfg hashchain.Config) journaltest.Factory {
	return func(t testing.TB, partitions int) journal.Journal {
		m, err := memory.New(memory.Config{Partitions: partitions})
		require.NoError(t, err)
		j, err := hashchain.Wrap(m, cfg)
		require.NoError(t, err)
		return j
	}
}

// features: the wrapper adds its two headers to the records it appends.
var features = journaltest.Features{AddedHeaders: []string{hashchain.HeaderHash, hashchain.HeaderPrev}}

// A hash-chained Journal is a journal.Journal: it passes the whole
// conformance suite, checking reads (the default), with a cache of one
// aggregate (so Append mostly reads the previous record from the journal),
// and trusting reads.
func TestConformance(t *testing.T) {
	for name, cfg := range map[string]hashchain.Config{
		"Default":    {},
		"CacheSize1": {CacheSize: 1},
		"TrustReads": {TrustReads: true},
	} {
		t.Run(name, func(t *testing.T) { journaltest.RunWith(t, chained(cfg), features) })
	}
}

func BenchmarkJournal(b *testing.B) { journaltest.Bench(b, chained(hashchain.Config{})) }

// TestConformanceRedis runs the suite on a hash-chained Redis journal (a
// real redis-server the test starts), where the wrapper forwards the
// Redis journal's one-step reads (Tail, TailMany) and checks what they
// return.
func TestConformanceRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("TestConformance covers the wrapper over memory")
	}
	srv := redistest.StartServer(t, redistest.Options{})
	var n atomic.Int64
	journaltest.RunWith(t, func(t testing.TB, partitions int) journal.Journal {
		r, err := jredis.New(context.Background(), jredis.Config{URL: srv.URL(), Partitions: partitions,
			KeyPrefix: fmt.Sprintf("hc%d:", n.Add(1))})
		require.NoError(t, err)
		j, err := hashchain.Wrap(r, hashchain.Config{})
		require.NoError(t, err)
		return j
	}, features)
}
