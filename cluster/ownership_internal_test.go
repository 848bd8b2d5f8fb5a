package cluster

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
	jredis "github.com/factum-dev/factum/journal/redis"
)

// idIn returns an aggregate id in partition p of n.
func idIn(p, n int) uuid.UUID {
	for {
		if id := uuid.New(); journal.PartitionOf(id, n) == p {
			return id
		}
	}
}

// TestOwnership: the owner table gives the journal the token of the lease
// held on a partition (none when not held, or out of range), stamps each
// event with the node and that lease's epoch without touching the
// caller's metadata, and lists the partitions served.
func TestOwnership(t *testing.T) {
	o := NewOwnership("n1", 4)
	require.Equal(t, 4, o.Partitions())
	require.Equal(t, "n1", o.Node())
	require.Empty(t, o.Owned())
	for p := -1; p <= 4; p++ {
		require.Empty(t, o.Token(p), "partition %d: nothing held", p)
	}

	in2 := idIn(2, 4)
	var m domain.Metadata
	o.Stamp(in2, &m)
	require.Equal(t, "n1", m.Extra[MetaWriterNode])
	require.Equal(t, "none", m.Extra[MetaWriterEpoch], "no lease held: no epoch")

	l, err := jredis.ParseToken(2, "7/n1")
	require.NoError(t, err)
	require.Equal(t, jredis.Lease{Partition: 2, Epoch: 7, Holder: "n1", Token: "7/n1"}, l)
	o.hold(l)
	o.parts[2].serving.Store(true)
	require.Equal(t, "7/n1", o.Token(2))
	require.Empty(t, o.Token(1))
	require.Equal(t, []int{2}, o.Owned())

	shared := map[string]string{"app": "x"}
	m = domain.Metadata{Extra: shared}
	o.Stamp(in2, &m)
	require.Equal(t, map[string]string{"app": "x", MetaWriterNode: "n1", MetaWriterEpoch: "7"}, m.Extra)
	require.Equal(t, map[string]string{"app": "x"}, shared, "the caller's map is not written")
	m = domain.Metadata{}
	o.Stamp(idIn(1, 4), &m)
	require.Equal(t, "none", m.Extra[MetaWriterEpoch], "partition 1 is not held")

	// A lease taken again has a new epoch and token.
	l, err = jredis.ParseToken(2, "9/n1")
	require.NoError(t, err)
	o.hold(l)
	require.Equal(t, "9/n1", o.Token(2))
	o.unhold(2)
	o.parts[2].serving.Store(false)
	require.Empty(t, o.Token(2))
	require.Empty(t, o.Owned())

	_, err = jredis.ParseToken(0, "seven/n1")
	require.Error(t, err, "a token names its epoch")

	// Read while it changes (run with -race).
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Go(func() {
			for e := range 200 {
				l, _ := jredis.ParseToken(p, fmt.Sprintf("%d/n1", e+1))
				o.hold(l)
				o.parts[p].serving.Store(e%2 == 0)
			}
		})
		wg.Go(func() {
			for range 200 {
				_ = o.Token(p)
				_ = o.Owned()
				var m domain.Metadata
				o.Stamp(idIn(p, 4), &m)
			}
		})
	}
	wg.Wait()
}
