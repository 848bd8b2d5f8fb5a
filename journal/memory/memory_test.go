package memory_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

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

// TestAppendVisibleOnReturn appends from many goroutines at once, past
// the log's first chunk: every append, when it returns, is in the log
// (Head and Select show it) although the positions of concurrent appends
// are handed out before they are written, and the log has no gap.
func TestAppendVisibleOnReturn(t *testing.T) {
	j, err := memory.New(memory.Config{})
	require.NoError(t, err)
	defer j.Close()
	ctx := context.Background()
	const writers, each = 16, 400 // 6,400 records: more than a chunk
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := uuid.New()
			for v := uint64(1); v <= each; v++ {
				pos, err := j.Append(ctx, id, v-1, []journal.Record{{AggregateID: id, Version: v, Type: "t", Data: []byte("x")}})
				if err != nil {
					errs <- err
					return
				}
				if head, _ := j.Head(ctx, 0); head < pos {
					errs <- fmt.Errorf("append returned position %d, head is %d", pos, head)
					return
				}
				ns, err := j.Select(ctx, 0, pos, 1)
				if err != nil || len(ns) != 1 || ns[0].AggregateID != id || ns[0].Version != v {
					errs <- fmt.Errorf("select position %d after its append: %v %+v", pos, err, ns)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	head, err := j.Head(ctx, 0)
	require.NoError(t, err)
	require.EqualValues(t, writers*each, head)
	ns, err := j.Select(ctx, 0, 1, writers*each)
	require.NoError(t, err)
	for i, n := range ns {
		require.EqualValues(t, i+1, n.Position)
	}
}
