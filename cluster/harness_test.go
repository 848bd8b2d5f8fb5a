package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/journal"
	jredis "github.com/factum-dev/factum/journal/redis"
	"github.com/factum-dev/factum/server"
)

// The multi-node tests run real `node run --cluster` processes on
// loopback, on a real redis-server, and kill them by their own pid.

var (
	buildOnce sync.Once
	nodeBin   string
	buildErr  error
	buildDir  string
)

// TestMain removes the node binary built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binary builds cmd/node once per test binary.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "factum-node-")
		if buildErr != nil {
			return
		}
		nodeBin = filepath.Join(buildDir, "node")
		out, err := exec.Command("go", "build", "-o", nodeBin, "github.com/factum-dev/factum/cmd/node").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build cmd/node: %v\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return nodeBin
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// proc is one node process.
type proc struct {
	addr string
	log  string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

type testCluster struct {
	t     testing.TB
	redis *redistest.Server
	P     int
	// nodes is written by the test's goroutine only, under nodesMu;
	// load goroutines read it with live.
	nodesMu sync.Mutex
	nodes   []*proc
	http    *http.Client
	// env is added to the nodes' environment (FACTUM_* settings).
	env []string
}

func startCluster(t testing.TB, n, partitions int, env ...string) *testCluster {
	t.Helper()
	if testing.Short() {
		t.Skip("multi-node tests start node processes")
	}
	c := &testCluster{t: t, redis: redistest.StartServer(t, redistest.Options{}), P: partitions, env: env,
		http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 128}}}
	for range n {
		c.add()
	}
	t.Cleanup(func() {
		for _, p := range c.nodes {
			p.kill(syscall.SIGKILL)
		}
		if t.Failed() {
			for _, p := range c.nodes {
				b, _ := os.ReadFile(p.log)
				if len(b) > 6000 {
					b = b[len(b)-6000:]
				}
				t.Logf("log of node %s:\n%s", p.addr, b)
			}
		}
	})
	for _, p := range c.nodes {
		c.waitReady(p)
	}
	return c
}

// add starts one more node, on a free port.
func (c *testCluster) add() *proc {
	p := &proc{addr: "127.0.0.1:" + strconv.Itoa(freePort(c.t))}
	p.log = filepath.Join(c.t.TempDir(), strings.ReplaceAll(p.addr, ":", "_")+".log")
	c.nodesMu.Lock()
	c.nodes = append(c.nodes, p)
	c.nodesMu.Unlock()
	c.start(p)
	return p
}

// start (re)starts p's process.
func (c *testCluster) start(p *proc) {
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(c.t, err)
	cmd := exec.Command(binary(c.t), "run", "--cluster", "--redis", c.redis.URL(), "--partitions", strconv.Itoa(c.P),
		"--addr", p.addr, "--log-level", "info", "--request-timeout", "5s")
	cmd.Stdout, cmd.Stderr = f, f
	if len(c.env) > 0 {
		cmd.Env = append(os.Environ(), c.env...)
	}
	require.NoError(c.t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); _ = f.Close(); close(done) }()
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
}

func (c *testCluster) waitReady(p *proc) {
	c.t.Helper()
	require.Eventually(c.t, func() bool {
		res, err := c.http.Get("http://" + p.addr + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 30*time.Second, 20*time.Millisecond, "node %s did not start", p.addr)
}

// kill sends sig to the process and, for SIGKILL and SIGTERM, waits for it
// to exit.
func (p *proc) kill(sig syscall.Signal) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(sig)
	if sig == syscall.SIGKILL || sig == syscall.SIGTERM {
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
}

// clusterView is GET /v1/cluster.
type clusterView struct {
	Node    string `json:"node"`
	Members []struct {
		ID string `json:"id"`
	} `json:"members"`
	Partitions []struct {
		Partition int    `json:"partition"`
		Owner     string `json:"owner"`
		Epoch     uint64 `json:"epoch"`
	} `json:"partitions"`
	Owned []int `json:"owned"`
}

func (c *testCluster) view(p *proc) (clusterView, error) {
	var v clusterView
	res, err := c.http.Get("http://" + p.addr + "/v1/cluster")
	if err != nil {
		return v, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return v, fmt.Errorf("status %d", res.StatusCode)
	}
	return v, json.NewDecoder(res.Body).Decode(&v)
}

// ownedOnce reports whether the given nodes together serve every
// partition exactly once, and returns who serves which.
func (c *testCluster) ownedOnce(nodes ...*proc) (map[int]string, bool) {
	owner := map[int]string{}
	for _, p := range nodes {
		v, err := c.view(p)
		if err != nil {
			return nil, false
		}
		for _, part := range v.Owned {
			if _, dup := owner[part]; dup {
				return nil, false
			}
			owner[part] = p.addr
		}
	}
	return owner, len(owner) == c.P
}

func (c *testCluster) live() []*proc {
	c.nodesMu.Lock()
	nodes := c.nodes
	c.nodesMu.Unlock()
	var out []*proc
	for _, p := range nodes {
		p.mu.Lock()
		done := p.done
		p.mu.Unlock()
		select {
		case <-done:
		default:
			out = append(out, p)
		}
	}
	return out
}

// commandResult is the answer to one command over HTTP.
type commandResult struct {
	Status  int
	Version uint64 `json:"version"`
	Dup     bool   `json:"duplicate"`
	Code    string `json:"error"`
	Message string `json:"message"`
}

// send posts a command to node p.
func (c *testCluster) send(ctx context.Context, p *proc, path, body, key string) (commandResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+p.addr+path, strings.NewReader(body))
	if err != nil {
		return commandResult{}, err
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	// A caller with a deadline tells the node a shorter one, so that a
	// node that cannot route in time answers (and is not taken for dead).
	if dl, ok := ctx.Deadline(); ok {
		req.Header.Set(server.TimeoutHeader, (time.Until(dl) * 3 / 4).String())
	}
	res, err := c.http.Do(req)
	if err != nil {
		return commandResult{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return commandResult{}, err
	}
	r := commandResult{Status: res.StatusCode}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("status %d: %s", res.StatusCode, bytes.TrimSpace(b))
	}
	return r, nil
}

// journal opens the cluster's journal for the test's own reads (not
// fenced: it never appends).
func (c *testCluster) journal() *jredis.Journal {
	j, err := jredis.New(context.Background(), jredis.Config{URL: c.redis.URL(), Partitions: c.P})
	require.NoError(c.t, err)
	c.t.Cleanup(func() { _ = j.Close() })
	return j
}

// readLog reads every partition's log.
func (c *testCluster) readLog(j *jredis.Journal) []journal.Notification {
	var out []journal.Notification
	for p := range c.P {
		start := uint64(1)
		for {
			ns, err := j.Select(context.Background(), p, start, 1000)
			require.NoError(c.t, err)
			out = append(out, ns...)
			if len(ns) < 1000 {
				break
			}
			start = ns[len(ns)-1].Position + 1
		}
	}
	return out
}

// checkFencing checks, for every partition, that the writers' lease
// epochs never go back in log order: a writer whose lease was taken over
// never appended after its successor.
func (c *testCluster) checkFencing(log []journal.Notification) {
	c.t.Helper()
	last := map[int]uint64{}
	for _, n := range log {
		e, err := strconv.ParseUint(n.Meta.Extra["factum.writer.epoch"], 10, 64)
		require.NoError(c.t, err, "partition %d position %d has no writer epoch: %v", n.Partition, n.Position, n.Meta.Extra)
		require.GreaterOrEqual(c.t, e, last[n.Partition], "partition %d position %d: epoch %d after %d", n.Partition, n.Position, e, last[n.Partition])
		last[n.Partition] = e
	}
}

func jsonDecode(res *http.Response, v any) error {
	defer res.Body.Close()
	return json.NewDecoder(res.Body).Decode(v)
}
