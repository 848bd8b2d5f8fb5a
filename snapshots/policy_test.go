package snapshots_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/factum-dev/factum/snapshots"
)

func TestEvery(t *testing.T) {
	p := snapshots.Every(3)
	assert.False(t, p(0, 2))
	assert.True(t, p(2, 3))
	assert.True(t, p(1, 4), "crossing 3 in one save")
	assert.False(t, p(3, 5))
	assert.True(t, p(5, 9))
	assert.False(t, snapshots.Every(0)(0, 100))
}
