package snapshots_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/factum-dev/factum/snapshots"
)

func TestEvery(t *testing.T) {
	p := snapshots.Every(3)
	assert.Zero(t, p(0, 2))
	assert.EqualValues(t, 3, p(2, 3))
	assert.EqualValues(t, 3, p(1, 4), "crossing 3 in one save snapshots version 3, not 4")
	assert.Zero(t, p(3, 5))
	assert.EqualValues(t, 9, p(5, 9))
	assert.EqualValues(t, 6, p(5, 8), "the last multiple passed")
	assert.Zero(t, snapshots.Every(0)(0, 100))
	assert.EqualValues(t, 4, snapshots.Every(4)(3, 5), "the seeds' rule: 3 -> 5 with N=4 snapshots version 4")
}

func TestDue(t *testing.T) {
	assert.EqualValues(t, 4, snapshots.Due(snapshots.Every(4), 3, 5))
	assert.Zero(t, snapshots.Due(nil, 3, 5))
	assert.Zero(t, snapshots.Due(func(before, after uint64) uint64 { return after + 1 }, 3, 5), "outside the save")
	assert.Zero(t, snapshots.Due(func(before, after uint64) uint64 { return before }, 3, 5), "outside the save")
}
