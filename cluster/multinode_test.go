package cluster_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
)

const dogType = "dogschool.Dog"

func dogID(name string) uuid.UUID {
	id, err := domain.AggregateID(dogType, name)
	if err != nil {
		panic(err)
	}
	return id
}

// TestClusterStartupAndRouting: three nodes own every partition exactly
// once soon after the last starts; 10,000 commands over 1,000 aggregates
// sent round-robin through all three all succeed, each aggregate's
// versions follow on without a gap, with no version conflict.
func TestClusterStartupAndRouting(t *testing.T) {
	c := startCluster(t, 3, 32)
	require.Eventually(t, func() bool { _, ok := c.ownedOnce(c.nodes...); return ok }, 3*time.Second, 20*time.Millisecond,
		"every partition owned exactly once within 3 s of the last node starting")
	owners, _ := c.ownedOnce(c.nodes...)
	for _, p := range c.nodes {
		n := 0
		for _, o := range owners {
			if o == p.addr {
				n++
			}
		}
		require.Positive(t, n, "node %s owns nothing", p.addr)
	}

	const dogs, commands, clients = 1000, 10000, 32
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var mu sync.Mutex
	versions := map[string][]uint64{}
	// The dogs are registered first, then taught tricks.
	phase := func(from, to int) {
		var next atomic.Int64
		next.Store(int64(from))
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= to {
						return
					}
					name := fmt.Sprintf("dog-%d", i%dogs)
					path, body := "/v1/"+dogType+"/"+name+"/add-trick", `{"trick":"t"}`
					if i < dogs {
						path, body = "/v1/"+dogType+"/"+name+"/register", `{"name":"`+name+`"}`
					}
					r, err := c.send(ctx, c.nodes[i%3], path, body, "")
					if err == nil && r.Status != 200 {
						err = fmt.Errorf("%s via %s: %d %s: %s", path, c.nodes[i%3].addr, r.Status, r.Code, r.Message)
					}
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					versions[name] = append(versions[name], r.Version)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	}
	phase(0, dogs)
	phase(dogs, commands)
	total := 0
	for name, vs := range versions {
		sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
		for k, v := range vs {
			require.Equal(t, uint64(k+1), v, "%s: versions %v", name, vs)
		}
		total += len(vs)
	}
	require.Equal(t, commands, total)

	// Queries answer from the owner, through any node.
	for _, p := range c.nodes {
		res, err := c.http.Get("http://" + p.addr + "/v1/" + dogType + "/dog-7")
		require.NoError(t, err)
		var st struct{ Version uint64 }
		require.NoError(t, jsonDecode(res, &st))
		require.Equal(t, uint64(len(versions["dog-7"])), st.Version)
	}

	log := c.readLog(c.journal())
	require.Len(t, log, commands)
	c.checkFencing(log)
	for _, n := range log {
		require.Equal(t, owners[n.Partition], n.Meta.Extra["factum.writer.node"], "partition %d written by its owner", n.Partition)
	}
}

// load sends add-trick commands from clients goroutines, each with its own
// idempotency key, through the live nodes, retrying a failed command
// (same key) on another node until its deadline. It records what was
// acknowledged, and the failures per partition.
type load struct {
	c        *testCluster
	deadline time.Duration
	mu       sync.Mutex
	acked    map[string]uuid.UUID // key -> aggregate
	failed   map[int]int          // partition -> commands that failed within the deadline
	lastOK   map[int]time.Time    // partition -> last acknowledged write
	lastErr  map[int]string       // partition -> the last failed attempt, with its time
	errs     []string
	avoid    map[*proc]time.Time // a node that did not answer is avoided for a while
	stop     chan struct{}
	wg       sync.WaitGroup
}

func startLoad(t *testing.T, c *testCluster, clients, dogs int, deadline time.Duration) *load {
	l := &load{c: c, deadline: deadline, acked: map[string]uuid.UUID{}, failed: map[int]int{}, lastOK: map[int]time.Time{},
		lastErr: map[int]string{}, avoid: map[*proc]time.Time{}, stop: make(chan struct{})}
	ctx := context.Background()
	for i := range dogs {
		name := fmt.Sprintf("dog-%d", i)
		r, err := c.send(ctx, c.nodes[i%len(c.nodes)], "/v1/"+dogType+"/"+name+"/register", `{"name":"x"}`, "reg-"+name)
		require.NoError(t, err)
		require.Equal(t, 200, r.Status, "%s: %s", r.Code, r.Message)
		l.acked["reg-"+name] = dogID(name)
	}
	for g := range clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				name := fmt.Sprintf("dog-%d", (g*7919+i)%dogs)
				l.one(name, fmt.Sprintf("c%d-%d", g, i), g+i)
			}
		}()
	}
	return l
}

func (l *load) one(name, key string, pick int) {
	id := dogID(name)
	part := journal.PartitionOf(id, l.c.P)
	ctx, cancel := context.WithTimeout(context.Background(), l.deadline)
	defer cancel()
	var last string
	for attempt := 0; ctx.Err() == nil; attempt++ {
		live := l.c.live()
		l.mu.Lock()
		answering := slices.DeleteFunc(slices.Clone(live), func(p *proc) bool { return time.Now().Before(l.avoid[p]) })
		l.mu.Unlock()
		if len(answering) > 0 {
			live = answering
		}
		if len(live) == 0 {
			break
		}
		p := live[(pick+attempt)%len(live)]
		// An attempt gives up after 2 s (a paused node answers nothing)
		// and is sent again, with the same key, to the next node.
		actx, acancel := context.WithTimeout(ctx, 2*time.Second)
		r, err := l.c.send(actx, p, "/v1/"+dogType+"/"+name+"/add-trick", `{"trick":"t"}`, key)
		acancel()
		if err == nil && r.Status == 200 {
			l.mu.Lock()
			l.acked[key] = id
			l.lastOK[part] = time.Now()
			l.mu.Unlock()
			return
		}
		if err != nil {
			last = err.Error()
			l.mu.Lock()
			l.avoid[p] = time.Now().Add(3 * time.Second)
			l.mu.Unlock()
		} else {
			last = fmt.Sprintf("%d %s: %s", r.Status, r.Code, r.Message)
		}
		l.mu.Lock()
		l.lastErr[part] = fmt.Sprintf("%s via %s: %s", time.Now().Format("15:04:05.000"), p.addr, last)
		l.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	l.mu.Lock()
	l.failed[part]++
	if len(l.errs) < 10 {
		l.errs = append(l.errs, fmt.Sprintf("%s (partition %d): %s", key, part, last))
	}
	l.mu.Unlock()
}

// waitAcked waits until n commands more than the registrations were
// acknowledged.
func (l *load) waitAcked(t *testing.T, n int) {
	l.mu.Lock()
	base := len(l.acked)
	l.mu.Unlock()
	require.Eventually(t, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.acked) >= base+n
	}, 30*time.Second, 5*time.Millisecond)
}

func (l *load) finish() {
	close(l.stop)
	l.wg.Wait()
}

// okSince reports whether every partition had an acknowledged write after t.
func (l *load) okSince(t time.Time, parts []int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range parts {
		if !l.lastOK[p].After(t) {
			return false
		}
	}
	return true
}

// requireOKWithin waits until every partition of parts had an
// acknowledged write after since, for at most d; on failure it says, per
// partition, what the clients last saw.
func (l *load) requireOKWithin(t *testing.T, since time.Time, parts []int, d time.Duration, msg string) {
	t.Helper()
	if !assert.Eventually(t, func() bool { return l.okSince(since, parts) }, d, 10*time.Millisecond, msg) {
		l.explain(t, since, parts)
		t.FailNow()
	}
}

// explain logs, for each partition, its last acknowledged write and its
// last failed attempt: what a failed time bound needs to be understood.
func (l *load) explain(t *testing.T, since time.Time, parts []int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t.Logf("since %s:", since.Format("15:04:05.000"))
	for _, p := range parts {
		t.Logf("partition %d: last ok %s, last failure %s", p, l.lastOK[p].Format("15:04:05.000"), l.lastErr[p])
	}
}

// checkJournal checks that every acknowledged command is in the journal
// exactly once (by its causation id), and that nothing else is.
func (l *load) checkJournal(t *testing.T) {
	log := l.c.readLog(l.c.journal())
	l.c.checkFencing(log)
	seen := map[string]int{}
	for _, n := range log {
		seen[n.Meta.CausationID]++
	}
	for key := range l.acked {
		require.Equal(t, 1, seen[key], "acknowledged command %s is in the journal %d times", key, seen[key])
	}
	for key, k := range seen {
		require.Equal(t, 1, k, "command %s is in the journal %d times", key, k)
	}
}

func partitionsOf(owners map[int]string, addr string) []int {
	var out []int
	for p, o := range owners {
		if o == addr {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// TestClusterKill9 kills a node under 64 clients: its partitions take
// writes again within 5 s, the others see no failed command, and every
// acknowledged command is in the journal exactly once.
func TestClusterKill9(t *testing.T) {
	c := startCluster(t, 3, 32)
	require.Eventually(t, func() bool { _, ok := c.ownedOnce(c.nodes...); return ok }, 5*time.Second, 20*time.Millisecond)
	owners, _ := c.ownedOnce(c.nodes...)
	victim := c.nodes[2]
	moved := partitionsOf(owners, victim.addr)
	require.NotEmpty(t, moved)

	l := startLoad(t, c, 64, 300, 10*time.Second)
	l.waitAcked(t, 2000)
	killed := time.Now()
	victim.kill(syscall.SIGKILL)
	l.requireOKWithin(t, killed, moved, 5*time.Second,
		"the killed node's partitions take writes again within 5 s")
	t.Logf("the killed node's %d partitions took writes again after %v", len(moved), time.Since(killed))
	l.finish()

	l.mu.Lock()
	for p, n := range l.failed {
		require.Contains(t, moved, p, "partition %d, not the killed node's, had %d failed commands: %v", p, n, l.errs)
	}
	require.Empty(t, l.failed, "commands failed within their deadline: %v", l.errs)
	l.mu.Unlock()
	_, ok := c.ownedOnce(c.live()...)
	require.True(t, ok)
	l.checkJournal(t)
}
