package redis

import (
	"context"
	"sync"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"

	"github.com/factum-dev/factum/journal"
)

// Group read, the reads' group commit. Read and ReadAfter queue their
// script call and wait for its reply; a few reader goroutines
// (Config.Senders) each take what is queued, up to maxBatchReads, and send
// it in one pipeline. An activation storm (each activation is a read)
// then shares round trips, instead of each read waiting for a connection
// of the pool and making a round trip of its own. At low load a read goes
// out at once, alone.

// maxBatchReads is the most reads one pipeline carries.
const maxBatchReads = 128

type readRequest struct {
	s     script
	keys  []string
	args  []any
	state atomic.Int32 // queued -> taken (by a reader) or cancelled (by the caller)
	done  chan readResult
}

type readResult struct {
	vals []any
	err  error
}

type readers struct {
	j     *Journal
	mu    sync.Mutex
	queue []*readRequest
	shut  bool
	wake  chan struct{}
	stop  chan struct{}
	wg    sync.WaitGroup
}

func newReaders(j *Journal) *readers {
	r := &readers{j: j, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	for range j.cfg.Senders {
		r.wg.Add(1)
		go r.run()
	}
	return r
}

// read runs script s with keys and args in the next pipeline and returns
// its reply. When ctx ends first, the read is dropped if it was not sent
// yet, and ctx's error returned.
func (r *readers) read(ctx context.Context, s script, keys []string, args ...any) ([]any, error) {
	req := &readRequest{s: s, keys: keys, args: args, done: make(chan readResult, 1)}
	r.mu.Lock()
	if r.shut {
		r.mu.Unlock()
		return nil, journal.ErrClosed
	}
	r.queue = append(r.queue, req)
	r.mu.Unlock()
	r.signal()
	select {
	case res := <-req.done:
		return res.vals, res.err
	case <-ctx.Done():
		// Not sent yet: it never will be. Sent: its reply is dropped (done
		// is buffered, the reader never blocks on it).
		req.state.CompareAndSwap(queued, cancelled)
		return nil, ctx.Err()
	}
}

func (r *readers) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *readers) run() {
	defer r.wg.Done()
	for {
		if batch := r.take(); len(batch) > 0 {
			r.send(batch)
			continue
		}
		select {
		case <-r.wake:
		case <-r.stop:
			return
		}
	}
}

// take removes the next batch from the queue; it wakes another reader
// when more is left.
func (r *readers) take() []*readRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	var batch []*readRequest
	i := 0
	for ; i < len(r.queue) && len(batch) < maxBatchReads; i++ {
		if q := r.queue[i]; q.state.CompareAndSwap(queued, taken) {
			batch = append(batch, q)
		}
	}
	n := copy(r.queue, r.queue[i:])
	clear(r.queue[n:])
	r.queue = r.queue[:n]
	if n > 0 {
		r.signal()
	}
	return batch
}

// send runs a batch in one pipeline (one per node in a cluster: the
// cluster client splits it) and answers each read with its own reply. A
// read refused with NOSCRIPT is sent again as EVAL, which loads the
// script.
func (r *readers) send(batch []*readRequest) {
	ctx := context.Background() // bounded by the client's read and write timeouts
	cmds := make([]goredis.Cmder, len(batch))
	pipe := r.j.client.Pipeline()
	for i, q := range batch {
		cmds[i] = q.s.cmd(ctx, q.keys, q.args)
		_ = pipe.Process(ctx, cmds[i])
	}
	_, _ = pipe.Exec(ctx)
	var again goredis.Pipeliner
	for i, q := range batch {
		if isNoScript(cmds[i].Err()) {
			if again == nil {
				again = r.j.client.Pipeline()
			}
			cmds[i] = q.s.evalCmd(ctx, q.keys, q.args)
			_ = again.Process(ctx, cmds[i])
		}
	}
	if again != nil {
		r.j.cfg.Logger.Info("redis journal: read script not in the server's cache; loading it")
		_, _ = again.Exec(ctx)
	}
	for i, q := range batch {
		vals, err := cmds[i].(noRetry).Slice()
		q.done <- readResult{vals: vals, err: err}
	}
}

// close stops the readers after their batches in flight and fails what is
// still queued with ErrClosed (it was never sent).
func (r *readers) close() {
	r.mu.Lock()
	if r.shut {
		r.mu.Unlock()
		return
	}
	r.shut = true
	r.mu.Unlock()
	close(r.stop)
	r.wg.Wait()
	r.mu.Lock()
	rest := r.queue
	r.queue = nil
	r.mu.Unlock()
	for _, q := range rest {
		if q.state.CompareAndSwap(queued, taken) {
			q.done <- readResult{err: journal.ErrClosed}
		}
	}
}
