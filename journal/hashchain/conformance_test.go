package hashchain_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/hashchain"
	"github.com/factum-dev/factum/journal/journaltest"
	"github.com/factum-dev/factum/journal/memory"
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
