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
// (Head and Select show it), and the log has no gap, although no append
// waits for another.
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

// TestAppendCopiesData checks that the journal keeps its own copy of each
// record's data, short (stored with its notification) or long: the
// caller may reuse its buffers once Append returned.
func TestAppendCopiesData(t *testing.T) {
	j, err := memory.New(memory.Config{})
	require.NoError(t, err)
	defer j.Close()
	ctx := context.Background()
	for _, size := range []int{1, 128, 129, 4000} {
		id := uuid.New()
		buf := make([]byte, size)
		for i := range buf {
			buf[i] = 'a'
		}
		_, err := j.Append(ctx, id, 0, []journal.Record{{AggregateID: id, Version: 1, Type: "t", Data: buf}})
		require.NoError(t, err)
		for i := range buf {
			buf[i] = 'b'
		}
		recs, err := j.Read(ctx, id, 1, 0)
		require.NoError(t, err)
		require.Len(t, recs, 1)
		require.Len(t, recs[0].Data, size)
		for _, c := range recs[0].Data {
			require.Equal(t, byte('a'), c, "%d bytes: the journal's copy changed with the caller's buffer", size)
		}
	}
}
