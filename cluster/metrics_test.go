package cluster_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/journal"
)

// TestClusterMetrics: each node's /metrics says how many partitions it
// owns, and commands and queries sent through a node that does not own
// their partition are counted there as forwards answered by the owner.
func TestClusterMetrics(t *testing.T) {
	c := startCluster(t, 2, 8)
	var owners map[int]string
	require.Eventually(t, func() bool { var ok bool; owners, ok = c.ownedOnce(c.nodes...); return ok }, 5*time.Second, 20*time.Millisecond,
		"every partition owned exactly once")
	via, owner := c.nodes[0], c.nodes[1]

	// Every node's gauge says what its /v1/cluster says it owns.
	total := 0.0
	for _, p := range c.nodes {
		v, err := c.view(p)
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			n, _ := metricValue(t, c.scrape(p), "factum_cluster_partitions_owned")
			return n == float64(len(v.Owned))
		}, 5*time.Second, 20*time.Millisecond, "node %s owns %v", p.addr, v.Owned)
		total += float64(len(v.Owned))
		acquired, _ := metricValue(t, c.scrape(p), "factum_cluster_lease_acquisitions_total")
		require.GreaterOrEqual(t, acquired, float64(len(v.Owned)), "node %s", p.addr)
	}
	require.Equal(t, float64(c.P), total)

	// Dogs whose partitions the second node owns, registered through
	// the first and then read through it.
	var dogs []string
	for i := 0; len(dogs) < 5; i++ {
		name := fmt.Sprintf("metrics-dog-%d", i)
		if owners[journal.PartitionOf(dogID(name), c.P)] == owner.addr {
			dogs = append(dogs, name)
		}
	}
	before := c.scrape(via)
	okBefore, _ := metricValue(t, before, "factum_cluster_forwards_total", "kind", "command", "outcome", "ok")
	queriesBefore, _ := metricValue(t, before, "factum_cluster_forwards_total", "kind", "query", "outcome", "ok")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, name := range dogs {
		r, err := c.send(ctx, via, "/v1/"+dogType+"/"+name+"/register", `{"name":"`+name+`"}`, "")
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, r.Status, "%s: %s %s", name, r.Code, r.Message)
		res, err := c.http.Get("http://" + via.addr + "/v1/" + dogType + "/" + name)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode, name)
	}
	after := c.scrape(via)
	okAfter, _ := metricValue(t, after, "factum_cluster_forwards_total", "kind", "command", "outcome", "ok")
	queriesAfter, _ := metricValue(t, after, "factum_cluster_forwards_total", "kind", "query", "outcome", "ok")
	require.GreaterOrEqual(t, okAfter-okBefore, float64(len(dogs)), "commands forwarded by %s:\n%s", via.addr, after)
	require.GreaterOrEqual(t, queriesAfter-queriesBefore, float64(len(dogs)), "queries forwarded by %s", via.addr)
	n, ok := metricValue(t, after, "factum_cluster_forward_duration_seconds_count", "kind", "command")
	require.True(t, ok)
	require.GreaterOrEqual(t, n, float64(len(dogs)))
	// The owner ran them; it forwarded none of them.
	ran, _ := metricValue(t, c.scrape(owner), "factum_commands_total", "type", dogType, "command", "register", "result", "ok")
	require.GreaterOrEqual(t, ran, float64(len(dogs)))
}

// scrape reads p's /metrics.
func (c *testCluster) scrape(p *proc) string {
	c.t.Helper()
	res, err := c.http.Get("http://" + p.addr + "/metrics")
	require.NoError(c.t, err)
	defer res.Body.Close()
	require.Equal(c.t, http.StatusOK, res.StatusCode)
	b, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	return string(b)
}

// metricValue finds the sample of name whose labels include every
// label="value" pair given, in Prometheus's text format; ok is false when
// there is none.
func metricValue(t testing.TB, text, name string, labels ...string) (v float64, ok bool) {
	t.Helper()
	for line := range strings.SplitSeq(text, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			match = match && strings.Contains(line, labels[i]+`="`+labels[i+1]+`"`)
		}
		if !match {
			continue
		}
		f, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		require.NoError(t, err, line)
		return f, true
	}
	return 0, false
}
