package redistest

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster of three masters and no replicas.
type Cluster struct {
	t     testing.TB
	Nodes []*Server
}

// StartCluster starts three cluster-enabled servers, joins them with
// redis-cli --cluster create, and waits until every node reports
// cluster_state:ok. The servers stop on cleanup.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	requireBinaries(t)
	c := &Cluster{t: t}
	for range 3 {
		c.Nodes = append(c.Nodes, startClusterNode(t))
	}
	args := []string{"--cluster", "create"}
	for _, n := range c.Nodes {
		args = append(args, n.Addr())
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redistest: redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	c.waitOK()
	return c
}

func startClusterNode(t testing.TB) *Server {
	s := &Server{t: t, opts: Options{Fsync: "everysec", Args: []string{
		"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
		"--cluster-node-timeout", "5000",
	}}, dir: tempDir(t)}
	t.Cleanup(s.stop)
	var err error
	for range 5 {
		s.port = freePort(t, true)
		if err = s.start(); err == nil {
			return s
		}
	}
	t.Fatalf("redistest: start cluster node: %v\n%s", err, s.LogTail())
	return nil
}

func (c *Cluster) waitOK() {
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for _, n := range c.Nodes {
		cl := goredis.NewClient(n.Options())
		for {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			info, err := cl.ClusterInfo(ctx).Result()
			cancel()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				_ = cl.Close()
				c.t.Fatalf("redistest: cluster node %s not ok after 30s: %v %s", n.Addr(), err, info)
			}
			<-tick.C
		}
		_ = cl.Close()
	}
}

// Addrs returns the nodes' host:port addresses (a seed list).
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr()
	}
	return out
}

// Client returns a go-redis cluster client, closed on cleanup.
func (c *Cluster) Client() *goredis.ClusterClient {
	cl := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: c.Addrs()})
	c.t.Cleanup(func() { _ = cl.Close() })
	return cl
}
