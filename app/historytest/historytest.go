package historytest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/snapshots"
)

// Factory returns a journal, a snapshot store and the reader of both to
// test, all empty and closed when the test ends.
type Factory func(t *testing.T) (journal.Journal, snapshots.Store, app.HistoryReader)

// Run runs the suite.
func Run(t *testing.T, f Factory) {
	t.Run("Unknown", func(t *testing.T) { testUnknown(t, f) })
	t.Run("NoSnapshot", func(t *testing.T) { testNoSnapshot(t, f) })
	t.Run("AfterSnapshot", func(t *testing.T) { testAfterSnapshot(t, f) })
	t.Run("MaxVersion", func(t *testing.T) { testMaxVersion(t, f) })
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// appendN appends versions 1..n to a new aggregate and returns its id.
func appendN(t *testing.T, j journal.Journal, n int) uuid.UUID {
	id := uuid.New()
	recs := make([]journal.Record, n)
	for i := range recs {
		recs[i] = journal.Record{AggregateID: id, Version: uint64(i + 1), Type: "test.Event",
			Time: time.Unix(1700000000, 0).UTC(), Data: []byte(`{"n":` + string(rune('0'+i%10)) + `}`)}
	}
	_, err := j.Append(ctx(t), id, 0, recs)
	require.NoError(t, err)
	return id
}

func snapshot(t *testing.T, s snapshots.Store, id uuid.UUID, version uint64) {
	require.NoError(t, s.Save(ctx(t), domain.Snapshot{AggregateID: id, Type: "test.Agg", Version: version,
		Data: []byte(`{"v":` + string(rune('0'+version)) + `}`), Headers: map[string]string{"h": "x"}}))
}

// check compares the reader's answer with the reference's, and says what
// it expects: the snapshot version found (0: none) and the record
// versions.
func check(t *testing.T, j journal.Journal, s snapshots.Store, r app.HistoryReader, id uuid.UUID, maxVersion, wantSnap uint64, wantFrom, wantTo uint64) {
	t.Helper()
	snap, found, recs, err := r.ReadHistory(ctx(t), id, maxVersion)
	require.NoError(t, err)
	refSnap, refFound, refRecs, err := app.NewHistoryReader(j, s).ReadHistory(ctx(t), id, maxVersion)
	require.NoError(t, err)
	require.Equal(t, wantSnap != 0, found, "found a snapshot at or below %d", maxVersion)
	require.Equal(t, refFound, found)
	if found {
		assert.Equal(t, wantSnap, snap.Version)
		assert.Equal(t, refSnap.Data, snap.Data)
		assert.Equal(t, refSnap.Headers, snap.Headers)
		assert.Equal(t, refSnap.Type, snap.Type)
		assert.Equal(t, id, snap.AggregateID)
	}
	var versions, want []uint64
	for _, r := range recs {
		assert.Equal(t, id, r.AggregateID)
		versions = append(versions, r.Version)
	}
	for v := wantFrom; v <= wantTo && wantTo > 0; v++ {
		want = append(want, v)
	}
	assert.Equal(t, want, versions, "record versions (max version %d)", maxVersion)
	require.Len(t, recs, len(refRecs))
	for i := range recs {
		assert.Equal(t, refRecs[i].Data, recs[i].Data)
		assert.Equal(t, refRecs[i].Type, recs[i].Type)
		assert.True(t, refRecs[i].Time.Equal(recs[i].Time))
	}
}

func testUnknown(t *testing.T, f Factory) {
	j, s, r := f(t)
	check(t, j, s, r, uuid.New(), 0, 0, 0, 0)
	check(t, j, s, r, uuid.New(), 5, 0, 0, 0)
}

func testNoSnapshot(t *testing.T, f Factory) {
	j, s, r := f(t)
	id := appendN(t, j, 5)
	check(t, j, s, r, id, 0, 0, 1, 5)
}

func testAfterSnapshot(t *testing.T, f Factory) {
	j, s, r := f(t)
	id := appendN(t, j, 7)
	snapshot(t, s, id, 3)
	check(t, j, s, r, id, 0, 3, 4, 7)
	snapshot(t, s, id, 5)
	check(t, j, s, r, id, 0, 5, 6, 7)
	snapshot(t, s, id, 7)
	check(t, j, s, r, id, 0, 7, 0, 0)
}

func testMaxVersion(t *testing.T, f Factory) {
	j, s, r := f(t)
	id := appendN(t, j, 9)
	snapshot(t, s, id, 3)
	snapshot(t, s, id, 6)
	check(t, j, s, r, id, 9, 6, 7, 9)
	check(t, j, s, r, id, 7, 6, 7, 7)
	check(t, j, s, r, id, 6, 6, 0, 0)
	check(t, j, s, r, id, 5, 3, 4, 5)
	check(t, j, s, r, id, 2, 0, 1, 2)
	check(t, j, s, r, id, 20, 6, 7, 9)
}
