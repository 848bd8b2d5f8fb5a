package metrics_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/journaltest"
	jmemory "github.com/factum-dev/factum/journal/memory"
	"github.com/factum-dev/factum/metrics"
)

// TestJournalConformance: the metered journal is still a journal, with
// every optional ability of the one it decorates (AppendMany), and it
// counts what it sees.
func TestJournalConformance(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	require.NoError(t, err)
	journaltest.Run(t, func(t testing.TB, partitions int) journal.Journal {
		j, err := jmemory.New(jmemory.Config{Partitions: partitions})
		require.NoError(t, err)
		return m.Journal(j)
	})
	n, err := testutil.GatherAndCount(reg, "factum_journal_appends_total")
	require.NoError(t, err)
	require.Positive(t, n)
	for _, result := range []string{"ok", "conflict"} {
		require.Positive(t, appends(t, reg, result), "appends with result %s", result)
	}
}

// appends reads factum_journal_appends_total{result=...}.
func appends(t *testing.T, reg *prometheus.Registry, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "factum_journal_appends_total" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return mt.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no factum_journal_appends_total{result=%q}", result)
	return 0
}
