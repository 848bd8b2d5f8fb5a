package cluster_test

import (
	"bufio"
	"os"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestClusterPause stops a node (SIGSTOP) under load for longer than its
// leases: the others take its partitions within 5 s; when it wakes
// (SIGCONT) its appends are fenced, it rejoins, and no acknowledged
// command is lost or doubled.
func TestClusterPause(t *testing.T) {
	c := startCluster(t, 3, 32)
	require.Eventually(t, func() bool { _, ok := c.ownedOnce(c.nodes...); return ok }, 5*time.Second, 20*time.Millisecond)
	owners, _ := c.ownedOnce(c.nodes...)
	victim := c.nodes[1]
	moved := partitionsOf(owners, victim.addr)
	require.NotEmpty(t, moved)

	l := startLoad(t, c, 32, 300, 15*time.Second)
	l.waitAcked(t, 1000)
	paused := time.Now()
	victim.kill(syscall.SIGSTOP)
	l.requireOKWithin(t, paused, moved, 5*time.Second,
		"the paused node's partitions take writes again within 5 s")
	t.Logf("the paused node's %d partitions took writes again after %v", len(moved), time.Since(paused))
	// Keep it stopped well past its leases' TTL, under load.
	l.waitAcked(t, 500)
	require.Eventually(t, func() bool { return time.Since(paused) > 6*time.Second }, 20*time.Second, 50*time.Millisecond)
	victim.kill(syscall.SIGCONT)
	require.Eventually(t, func() bool {
		owners, ok := c.ownedOnce(c.nodes...)
		return ok && len(partitionsOf(owners, victim.addr)) > 0
	}, 15*time.Second, 50*time.Millisecond, "the woken node rejoins and owns partitions again")
	l.waitAcked(t, 1000)
	l.finish()
	l.checkJournal(t)
}

// TestClusterRollingRestart restarts the three nodes one after the other
// under load: no command fails within its 5 s deadline.
func TestClusterRollingRestart(t *testing.T) {
	c := startCluster(t, 3, 32)
	require.Eventually(t, func() bool { _, ok := c.ownedOnce(c.nodes...); return ok }, 5*time.Second, 20*time.Millisecond)
	l := startLoad(t, c, 32, 300, 5*time.Second)
	l.waitAcked(t, 500)
	for _, p := range c.nodes {
		start := time.Now()
		p.kill(syscall.SIGTERM)
		stopped := time.Now()
		c.start(p)
		c.waitReady(p)
		ready := time.Now()
		require.Eventually(t, func() bool {
			owners, ok := c.ownedOnce(c.nodes...)
			return ok && len(partitionsOf(owners, p.addr)) > 0
		}, 10*time.Second, 20*time.Millisecond)
		t.Logf("node %s: stopped in %v, ready in %v, partitions placed in %v", p.addr, stopped.Sub(start), ready.Sub(stopped), time.Since(ready))
		l.waitAcked(t, 300)
	}
	l.finish()
	l.mu.Lock()
	require.Empty(t, l.failed, "commands failed within their deadline: %v", l.errs)
	l.mu.Unlock()
	l.checkJournal(t)
}

var handedOver = regexp.MustCompile(`msg="partition handed over" .*partition=(\d+) .*took=(\S+)`)

// TestClusterJoin starts a fourth node: about P/4 partitions move to it,
// only to it, each handover taking at most 1 s.
func TestClusterJoin(t *testing.T) {
	c := startCluster(t, 3, 32)
	require.Eventually(t, func() bool { _, ok := c.ownedOnce(c.nodes...); return ok }, 5*time.Second, 20*time.Millisecond)
	before, _ := c.ownedOnce(c.nodes...)
	l := startLoad(t, c, 16, 200, 5*time.Second)
	l.waitAcked(t, 300)
	joined := time.Now()
	fourth := c.add()
	c.waitReady(fourth)
	var after map[int]string
	require.Eventually(t, func() bool {
		var ok bool
		after, ok = c.ownedOnce(c.nodes...)
		return ok && len(partitionsOf(after, fourth.addr)) > 0
	}, 10*time.Second, 20*time.Millisecond)
	t.Logf("the fourth node owned its partitions %v after it started", time.Since(joined))
	moved := 0
	for p := range after {
		if after[p] != before[p] {
			moved++
			require.Equal(t, fourth.addr, after[p], "partition %d moved between old nodes", p)
		}
	}
	t.Logf("%d of %d partitions moved", moved, c.P)
	require.GreaterOrEqual(t, moved, 2)
	require.LessOrEqual(t, moved, 16)
	l.waitAcked(t, 300)
	l.finish()
	l.mu.Lock()
	require.Empty(t, l.failed, "commands failed within their deadline: %v", l.errs)
	l.mu.Unlock()
	l.checkJournal(t)

	handovers := 0
	for _, p := range c.nodes[:3] {
		f, err := os.Open(p.log)
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if m := handedOver.FindStringSubmatch(sc.Text()); m != nil {
				d, err := time.ParseDuration(m[2])
				require.NoError(t, err)
				require.LessOrEqual(t, d, time.Second, "handover of partition %s took %v", m[1], d)
				handovers++
			}
		}
		f.Close()
	}
	require.Equal(t, moved, handovers)
}
