package cluster_test

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestClusterBenchToOwners runs `node bench --target` over the members
// of a cluster: each command goes to its partition's owner, so the nodes
// forward (almost) none; with --spread two in three are forwarded.
func TestClusterBenchToOwners(t *testing.T) {
	c := startCluster(t, 3, 16)
	require.Eventually(t, func() bool { _, ok := c.ownedOnce(c.nodes...); return ok }, 5*time.Second, 20*time.Millisecond)
	var targets []string
	for _, p := range c.nodes {
		targets = append(targets, "http://"+p.addr)
	}
	const commands = 3000
	bench := func(extra ...string) (mode string, forwards float64) {
		before := c.forwards()
		out := filepath.Join(t.TempDir(), "r.json")
		args := append([]string{"bench", "--target", strings.Join(targets, ","), "--aggregates", "300", "--concurrency", "12",
			"--commands", strconv.Itoa(commands), "--out", out}, extra...)
		b, err := exec.Command(binary(t), args...).CombinedOutput()
		require.NoError(t, err, "%s", b)
		var res struct {
			Config struct {
				Mode string `json:"mode"`
			} `json:"config"`
			Commands int64 `json:"commands"`
			Errors   int64 `json:"errors"`
			Verified bool  `json:"verified"`
		}
		raw, err := os.ReadFile(out)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(raw, &res))
		require.Zero(t, res.Errors, "%s", b)
		require.True(t, res.Verified, "%s", b)
		return res.Config.Mode, c.forwards() - before
	}
	mode, fwd := bench()
	t.Logf("to the owners: %v forwards", fwd)
	require.Equal(t, "target-owners", mode)
	require.Less(t, fwd, float64(commands)/100, "commands sent to their owners are not forwarded")
	mode, fwd = bench("--spread")
	require.Equal(t, "target", mode)
	require.Greater(t, fwd, float64(commands)/3, "spread over three nodes, most commands are forwarded")
}

// forwards sums factum_cluster_forwards_total of commands over the live
// nodes.
func (c *testCluster) forwards() float64 {
	c.t.Helper()
	total := 0.0
	for _, p := range c.live() {
		res, err := c.http.Get("http://" + p.addr + "/metrics")
		require.NoError(c.t, err)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, `factum_cluster_forwards_total{kind="command"`) {
				continue
			}
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			require.NoError(c.t, err, line)
			total += v
		}
		res.Body.Close()
	}
	return total
}
