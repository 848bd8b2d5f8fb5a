package actors

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDedupWindow checks the window past being full: the oldest ids go,
// the newest max stay and are found, the header lists them oldest first,
// and forget drops only the newest.
func TestDedupWindow(t *testing.T) {
	d := dedup{max: 4}
	for i := 1; i <= 10; i++ {
		d.add(accepted{ID: "c" + strconv.Itoa(i), Version: uint64(i)})
	}
	for i := 1; i <= 6; i++ {
		_, ok := d.find("c" + strconv.Itoa(i))
		assert.False(t, ok, "c%d is older than the window", i)
	}
	for i := 7; i <= 10; i++ {
		a, ok := d.find("c" + strconv.Itoa(i))
		require.True(t, ok, "c%d", i)
		assert.EqualValues(t, i, a.Version)
	}
	d.add(accepted{ID: "c10", Version: 11}) // a later event of the same command
	a, _ := d.find("c10")
	assert.EqualValues(t, 11, a.Version)

	d.forget("c9") // not the newest: kept
	_, ok := d.find("c9")
	assert.True(t, ok)
	d.forget("c10")
	_, ok = d.find("c10")
	assert.False(t, ok)
	assert.JSONEq(t, `[{"id":"c7","v":7},{"id":"c8","v":8},{"id":"c9","v":9}]`, d.header())

	d.add(accepted{ID: "c12", Version: 12})
	d.add(accepted{ID: "c13", Version: 13})
	assert.JSONEq(t, `[{"id":"c8","v":8},{"id":"c9","v":9},{"id":"c12","v":12},{"id":"c13","v":13}]`, d.header())

	var again dedup
	again.max = 4
	again.reset(map[string]string{HeaderRecentCommands: d.header()}, nil)
	for _, id := range []string{"c8", "c9", "c12", "c13"} {
		_, ok := again.find(id)
		assert.True(t, ok, id)
	}
}
