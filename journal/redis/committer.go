package redis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"

	"github.com/factum-dev/factum/journal"
)

// Group commit. Append queues a request and waits for its answer. A few
// sender goroutines (Config.Senders) each take whatever is queued (up to
// MaxBatchAppends / MaxBatchBytes), turn it into one append-script call per
// partition, send them in one pipeline, and answer every request from its
// own slot of the script's reply: one conflict does not fail its
// neighbours. There is no linger timer: at low load a request goes out at
// once, alone; under load the queue fills while the senders are busy, and
// the batches grow by themselves.

const (
	queued int32 = iota
	taken
	cancelled
)

type request struct {
	part     int
	id       uuid.UUID
	key      string
	token    string // the writer's lease token (fenced journal), or ""
	expected uint64
	payloads [][]byte
	size     int
	state    atomic.Int32 // queued -> taken (by a sender) or cancelled (by the caller)
	done     chan result  // buffered: the sender never blocks
}

type result struct {
	last     uint64
	conflict bool
	actual   uint64 // the aggregate's version, on conflict
	err      error
}

type committer struct {
	j     *Journal
	mu    sync.Mutex
	queue []*request
	shut  bool
	wake  chan struct{}
	stop  chan struct{}
	wg    sync.WaitGroup
}

func newCommitter(j *Journal) *committer {
	c := &committer{j: j, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	for range j.cfg.Senders {
		c.wg.Add(1)
		go c.run()
	}
	return c
}

// enqueue queues r, or returns ErrClosed after close.
func (c *committer) enqueue(r *request) error {
	c.mu.Lock()
	if c.shut {
		c.mu.Unlock()
		return journal.ErrClosed
	}
	c.queue = append(c.queue, r)
	c.mu.Unlock()
	c.signal()
	return nil
}

func (c *committer) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// close stops the senders after their batches in flight and fails what is
// still queued with ErrClosed (it was never sent).
func (c *committer) close() {
	c.mu.Lock()
	if c.shut {
		c.mu.Unlock()
		return
	}
	c.shut = true
	c.mu.Unlock()
	close(c.stop)
	c.wg.Wait()
	c.mu.Lock()
	rest := c.queue
	c.queue = nil
	c.mu.Unlock()
	for _, r := range rest {
		if r.state.CompareAndSwap(queued, taken) {
			r.done <- result{err: journal.ErrClosed}
		}
	}
}

func (c *committer) run() {
	defer c.wg.Done()
	for {
		if batch := c.take(); len(batch) > 0 {
			c.send(batch)
			continue
		}
		select {
		case <-c.wake:
		case <-c.stop:
			return
		}
	}
}

// take removes the next batch from the queue; it wakes another sender when
// more is left.
func (c *committer) take() []*request {
	max, maxBytes := c.j.cfg.MaxBatchAppends, c.j.cfg.MaxBatchBytes
	c.mu.Lock()
	defer c.mu.Unlock()
	var batch []*request
	size, i := 0, 0
	for ; i < len(c.queue) && len(batch) < max; i++ {
		r := c.queue[i]
		if len(batch) > 0 && size+r.size > maxBytes {
			break
		}
		if !r.state.CompareAndSwap(queued, taken) {
			continue // its caller gave up before it was sent
		}
		batch = append(batch, r)
		size += r.size
	}
	n := copy(c.queue, c.queue[i:])
	clear(c.queue[n:])
	c.queue = c.queue[:n]
	if n > 0 {
		c.signal()
	}
	return batch
}

// send runs one batch: one script call per partition, all in one pipeline.
func (c *committer) send(batch []*request) {
	j := c.j
	// A partition's appends go in one call; in a fenced journal, one call
	// per partition and lease token (a token changes when a lease is
	// acquired again).
	type group struct {
		part  int
		token string
	}
	groups := map[group][]*request{}
	var order []group
	for _, r := range batch {
		g := group{r.part, r.token}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], r)
	}
	calls := make([]*call, len(order))
	for i, g := range order {
		calls[i] = newCall(g.part, g.token, groups[g], &j.keys)
	}
	ctx := context.Background()
	if j.cfg.OnBatch != nil {
		start := time.Now()
		j.exec(ctx, calls)
		took := time.Since(start)
		for _, c := range calls {
			j.cfg.OnBatch(len(c.reqs), took)
		}
	} else {
		j.exec(ctx, calls)
	}
	for _, c := range calls {
		c.answer()
	}
}

// call is one append-script call: the appends of a batch to one partition.
type call struct {
	part    int
	fenced  bool // the call runs fencedAppendScript
	reqs    []*request
	keys    []string
	args    []any
	cmd     goredis.Cmder
	unsent  error // the call could not be sent
	replErr error // the replicas did not confirm
}

func newCall(part int, token string, reqs []*request, k *keys) *call {
	fenced := token != ""
	keys := make([]string, 0, 3+len(reqs))
	keys = append(keys, k.parts[part].head, k.parts[part].log)
	n := 2
	if fenced {
		keys = append(keys, k.parts[part].lease)
	}
	for _, r := range reqs {
		keys = append(keys, r.key)
		n += 2 + len(r.payloads)
	}
	args := make([]any, 0, n)
	if fenced {
		args = append(args, token)
	}
	args = append(args, len(reqs))
	for _, r := range reqs {
		args = append(args, r.expected, len(r.payloads))
		for _, p := range r.payloads {
			args = append(args, p)
		}
	}
	return &call{part: part, fenced: fenced, reqs: reqs, keys: keys, args: args}
}

// answer tells every request of the call its outcome.
func (c *call) answer() {
	vals, err := c.cmd.(noRetry).Int64Slice()
	if err == nil && len(vals) != len(c.reqs) {
		err = fmt.Errorf("append script returned %d results for %d appends", len(vals), len(c.reqs))
	}
	for i, r := range c.reqs {
		var res result
		switch {
		case c.unsent != nil:
			res.err = fmt.Errorf("redis journal: append to aggregate %s at version %d: %w: %w", r.id, r.expected, journal.ErrUnavailable, c.unsent)
		case isFenced(err):
			res.err = fmt.Errorf("redis journal: append to aggregate %s at version %d under lease %s: %w (%v)", r.id, r.expected, r.token, journal.ErrFenced, err)
		case err != nil:
			res.err = fmt.Errorf("redis journal: append to aggregate %s at version %d: %w: %w", r.id, r.expected, writeOutcome(err), err)
		case vals[i] < 0:
			res.conflict, res.actual = true, uint64(-1-vals[i])
		case c.replErr != nil:
			res.err = fmt.Errorf("redis journal: append to aggregate %s at version %d: written, but %w: %w",
				r.id, r.expected, c.replErr, journal.ErrOutcomeUnknown)
		default:
			res.last = uint64(vals[i])
		}
		r.done <- res
	}
}

// errReplicas says that WAIT did not see enough replicas.
var errReplicas = errors.New("not confirmed by enough replicas")
