package actors

import (
	"sync"
	"sync/atomic"
	"time"
)

// workerPool is the protoactor dispatcher of the aggregate actors. It runs
// mailboxes on goroutines that it keeps for a while after they finish,
// instead of protoactor's default of a new goroutine per scheduled mailbox:
// a kept goroutine already has the stack a command needs (journal encoding
// is deep), so the runtime does not grow and copy a fresh stack for
// every command. An actor may block on the journal inside Receive; the pool
// then simply starts another goroutine, so there is no limit to wait on.
type workerPool struct {
	throughput int
	idle       time.Duration
	work       chan func() // unbuffered: a send succeeds only to an idle worker
	stop       chan struct{}
	stopped    atomic.Bool
	wg         sync.WaitGroup
	mu         sync.RWMutex // guards wg.Add against close's wg.Wait
}

func newWorkerPool(throughput int, idle time.Duration) *workerPool {
	return &workerPool{throughput: throughput, idle: idle, work: make(chan func()), stop: make(chan struct{})}
}

// Schedule implements actor.Dispatcher.
func (p *workerPool) Schedule(fn func()) {
	select {
	case p.work <- fn:
		return
	default:
	}
	p.mu.RLock()
	if p.stopped.Load() {
		p.mu.RUnlock()
		fn() // after Close: nothing is left to run concurrently with
		return
	}
	p.wg.Add(1)
	p.mu.RUnlock()
	go p.worker(fn)
}

// Throughput implements actor.Dispatcher: how many messages a mailbox
// handles before it yields its goroutine.
func (p *workerPool) Throughput() int { return p.throughput }

func (p *workerPool) worker(fn func()) {
	defer p.wg.Done()
	fn()
	// The timer is not reset per job (a timer reset takes a runtime lock,
	// which showed at the top of the command profile): a worker that did
	// some work in the last period re-arms it; an idle one returns, after
	// between one and two idle periods without work.
	t := time.NewTimer(p.idle)
	defer t.Stop()
	worked := false
	for {
		select {
		case fn := <-p.work:
			fn()
			worked = true
		case <-t.C:
			if !worked {
				return
			}
			worked = false
			t.Reset(p.idle)
		case <-p.stop:
			return
		}
	}
}

// close stops the idle workers and waits for the busy ones to finish.
func (p *workerPool) close() {
	p.mu.Lock()
	if !p.stopped.Swap(true) {
		close(p.stop)
	}
	p.mu.Unlock()
	p.wg.Wait()
}
