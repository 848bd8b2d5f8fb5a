package memory_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/domain"
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

// TestArenaPages appends records of many sizes from several goroutines,
// some larger than an arena page and many across the pages' ends: each
// reads back whole, from Read and from Select, with its data, strings and
// metadata.
func TestArenaPages(t *testing.T) {
	j, err := memory.New(memory.Config{})
	require.NoError(t, err)
	defer j.Close()
	ctx := context.Background()
	sizes := []int{0, 1, 100, 4000, 70_000, 1<<20 + 5, 3 << 20}
	const writers, each = 4, 60
	want := map[uuid.UUID][]journal.Record{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := uuid.New()
			var mine []journal.Record
			for v := 1; v <= each; v++ {
				data := bytes.Repeat([]byte{byte(w*each + v)}, sizes[(w+v)%len(sizes)])
				r := journal.Record{AggregateID: id, Version: uint64(v), Type: fmt.Sprintf("t%d", v%3),
					SchemaVersion: 2, Time: time.Unix(0, int64(v)*1e9).UTC(), Data: data,
					Meta: domain.Metadata{CorrelationID: "c", Extra: map[string]string{"k": strings.Repeat("v", v)}}}
				if len(data) == 0 {
					r.Data = nil
				}
				if _, err := j.Append(ctx, id, uint64(v-1), []journal.Record{r}); err != nil {
					t.Error(err)
					return
				}
				mine = append(mine, r)
			}
			mu.Lock()
			want[id] = mine
			mu.Unlock()
		}()
	}
	wg.Wait()
	require.Len(t, want, writers)
	for id, records := range want {
		got, err := j.Read(ctx, id, 0, 0)
		require.NoError(t, err)
		require.Equal(t, records, got)
	}
	all, err := j.Select(ctx, 0, 1, writers*each)
	require.NoError(t, err)
	require.Len(t, all, writers*each)
	for i, n := range all {
		require.Equal(t, uint64(i+1), n.Position)
		require.Equal(t, want[n.AggregateID][n.Version-1], n.Record)
	}
}

// An append stores its records without an allocation of its own per
// event: the log holds no pointer per record for the garbage collector
// to follow (pages of records are allocated, one per megabyte).
func TestAppendAllocatesNoObjectPerEvent(t *testing.T) {
	j, err := memory.New(memory.Config{})
	require.NoError(t, err)
	defer j.Close()
	ctx := context.Background()
	id := uuid.New()
	records := []journal.Record{{AggregateID: id, Type: "t", Data: []byte(`{"amount":100}`),
		Meta: domain.Metadata{CorrelationID: uuid.NewString()}}}
	v := uint64(0)
	allocs := testing.AllocsPerRun(10_000, func() {
		records[0].Version = v + 1
		if _, err := j.Append(ctx, id, v, records); err != nil {
			t.Fatal(err)
		}
		v++
	})
	// The stream's positions grow by doubling, the pages one per megabyte.
	require.Less(t, allocs, 0.01)
}
