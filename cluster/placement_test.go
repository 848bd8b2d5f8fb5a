package cluster_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/cluster"
)

func TestPlacementSpreadsAndIsStable(t *testing.T) {
	const P = 600
	three := []string{"127.0.0.1:8081", "127.0.0.1:8082", "127.0.0.1:8083"}
	before := cluster.Placement(P, three)
	require.Equal(t, before, cluster.Placement(P, []string{three[2], three[0], three[1]}), "order of members does not matter")
	count := map[string]int{}
	for _, o := range before {
		count[o]++
	}
	for _, m := range three {
		require.InDelta(t, P/3, count[m], P/3*0.25, "%s owns %d of %d", m, count[m], P)
	}

	// A fourth member joins: only partitions it wins move, about P/4.
	four := append(append([]string{}, three...), "127.0.0.1:8084")
	after := cluster.Placement(P, four)
	moved := 0
	for p := range after {
		if after[p] != before[p] {
			moved++
			require.Equal(t, four[3], after[p], "partition %d moved between old members", p)
		}
	}
	require.InDelta(t, P/4, moved, P/4*0.3)

	// A member leaves: only its partitions move.
	two := []string{three[0], three[2]}
	left := cluster.Placement(P, two)
	for p := range left {
		if before[p] != three[1] {
			require.Equal(t, before[p], left[p], "partition %d", p)
		}
	}
	require.Equal(t, "", cluster.Owner(0, nil))
}

func ExampleOwner() {
	members := []string{"a", "b", "c"}
	fmt.Println(cluster.Owner(7, members) == cluster.Owner(7, []string{"c", "b", "a"}))
	// Output: true
}
