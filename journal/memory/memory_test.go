package memory_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/journaltest"
	"github.com/factum-dev/factum/journal/memory"
)

func newJournal(t testing.TB, partitions int) journal.Journal {
	j, err := memory.New(memory.Config{Partitions: partitions})
	require.NoError(t, err)
	return j
}

func TestConformance(t *testing.T) { journaltest.Run(t, newJournal) }

func BenchmarkJournal(b *testing.B) { journaltest.Bench(b, newJournal) }

func TestConfig(t *testing.T) {
	_, err := memory.New(memory.Config{Partitions: -1})
	require.ErrorContains(t, err, "Partitions = -1")
}
