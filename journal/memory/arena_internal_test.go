package memory

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// Small records share pages, filled one after the other; a record of
// more than bigRecord bytes gets a page of its own and leaves the current
// page as it was. Every record reads back as written.
func TestArenaPlacesRecords(t *testing.T) {
	var a arena
	put := func(size int, fill byte) ref {
		r, b := a.alloc(size)
		require.Zero(t, len(b))
		require.Equal(t, size, cap(b))
		copy(b[:size], bytes.Repeat([]byte{fill}, size))
		require.Equal(t, bytes.Repeat([]byte{fill}, size), a.bytes(r))
		return r
	}
	first := put(100, 1)
	big := put(bigRecord+1, 2)
	second := put(100, 3)
	require.NotZero(t, big&bigRef, "a big record is in a page of its own")
	require.Zero(t, first&bigRef)
	require.Equal(t, first>>32, second>>32, "the big record left the small ones' page as it was")
	require.Equal(t, bytes.Repeat([]byte{2}, bigRecord+1), a.bytes(big))

	// Past a page's end: the next page, and every record still whole.
	var refs []ref
	for i := range pageSize / 1000 * 3 {
		refs = append(refs, put(1000, byte(i)))
	}
	require.Equal(t, uint64(3), uint64(refs[len(refs)-1]>>32)-uint64(first>>32), "three pages more")
	for i, r := range refs {
		require.Equal(t, bytes.Repeat([]byte{byte(i)}, 1000), a.bytes(r), "record %d", i)
	}
}
