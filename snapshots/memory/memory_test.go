package memory_test

import (
	"testing"

	"github.com/factum-dev/factum/snapshots"
	"github.com/factum-dev/factum/snapshots/memory"
	"github.com/factum-dev/factum/snapshots/snapshottest"
)

func TestConformance(t *testing.T) {
	snapshottest.Run(t, func(t testing.TB) snapshots.Store { return memory.New() })
}
