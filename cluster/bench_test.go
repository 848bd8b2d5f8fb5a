package cluster_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/journal"
)

// BenchmarkForwarding measures, at low load (one client, one command at a
// time), a command sent to its aggregate's owner and the same sent to a
// node that forwards it to the owner; it reports the medians and their
// difference, the forwarding cost.
//
//	go test -run '^$' -bench Forwarding -benchtime 2000x ./cluster/
func BenchmarkForwarding(b *testing.B) {
	c := startCluster(b, 3, 32)
	require.Eventually(b, func() bool { _, ok := c.ownedOnce(c.nodes...); return ok }, 5*time.Second, 20*time.Millisecond)
	owners, _ := c.ownedOnce(c.nodes...)
	owner, other := c.nodes[0], c.nodes[1]
	// Dogs that live on the owner.
	var names []string
	for i := 0; len(names) < 50; i++ {
		name := fmt.Sprintf("bench-dog-%d", i)
		if owners[journal.PartitionOf(dogID(name), c.P)] == owner.addr {
			names = append(names, name)
		}
	}
	ctx := context.Background()
	for _, name := range names {
		r, err := c.send(ctx, owner, "/v1/"+dogType+"/"+name+"/register", `{"name":"x"}`, "")
		require.NoError(b, err)
		require.Equal(b, 200, r.Status)
	}
	direct := make([]time.Duration, 0, b.N)
	forwarded := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		name := names[i%len(names)]
		for _, via := range []*proc{owner, other} {
			start := time.Now()
			r, err := c.send(ctx, via, "/v1/"+dogType+"/"+name+"/add-trick", `{"trick":"t"}`, "")
			d := time.Since(start)
			if err != nil || r.Status != 200 {
				b.Fatalf("%v %+v", err, r)
			}
			if via == owner {
				direct = append(direct, d)
			} else {
				forwarded = append(forwarded, d)
			}
		}
	}
	b.StopTimer()
	slices.Sort(direct)
	slices.Sort(forwarded)
	p50d, p50f := direct[len(direct)/2], forwarded[len(forwarded)/2]
	b.ReportMetric(float64(p50d.Microseconds()), "owner-p50-µs")
	b.ReportMetric(float64(p50f.Microseconds()), "forwarded-p50-µs")
	b.ReportMetric(float64((p50f - p50d).Microseconds()), "forwarding-cost-µs")
}
