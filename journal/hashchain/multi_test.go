package hashchain_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/hashchain"
	"github.com/factum-dev/factum/journal/journaltest"
	"github.com/factum-dev/factum/journal/memory"
)

// plainJournal hides every ability of the journal under it but the port.
type plainJournal struct{ journal.Journal }

// Over a journal that cannot append to several aggregates at once, the
// wrapper refuses clearly and writes nothing; over one that can, it
// chains every aggregate's records.
func TestAppendMany(t *testing.T) {
	ctx := context.Background()
	m, err := memory.New(memory.Config{})
	require.NoError(t, err)
	a, b := uuid.New(), uuid.New()
	streams := []journal.Stream{{AggregateID: a, Records: journaltest.Records(a, 1, 2)}, {AggregateID: b, Records: journaltest.Records(b, 1, 1)}}

	plain, err := hashchain.Wrap(plainJournal{m}, hashchain.Config{})
	require.NoError(t, err)
	_, err = plain.AppendMany(ctx, streams)
	require.ErrorIs(t, err, journal.ErrMultiAppend)
	head, err := m.Head(ctx, 0)
	require.NoError(t, err)
	require.Zero(t, head)

	j, err := hashchain.Wrap(m, hashchain.Config{})
	require.NoError(t, err)
	_, err = j.AppendMany(ctx, streams)
	require.NoError(t, err)
	_, err = j.Append(ctx, a, 2, journaltest.Records(a, 3, 1))
	require.NoError(t, err)
	require.NoError(t, hashchain.Verify(ctx, m, a))
	require.NoError(t, hashchain.Verify(ctx, m, b))
	recs, err := m.Read(ctx, a, 2, 3)
	require.NoError(t, err)
	require.Equal(t, recs[0].Headers[hashchain.HeaderHash], recs[1].Headers[hashchain.HeaderPrev], "the append after it links to it")
}
