package actors

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a MessageInvoker that records what it handles and checks
// that it never handles two messages at once.
type recorder struct {
	mu       sync.Mutex
	got      []any
	inFlight atomic.Int32
	overlap  atomic.Bool
	block    map[any]chan struct{} // a message that waits for its channel
}

func (r *recorder) invoke(msg any) {
	if r.inFlight.Add(1) > 1 {
		r.overlap.Store(true)
	}
	if ch := r.block[msg]; ch != nil {
		<-ch
	}
	r.mu.Lock()
	r.got = append(r.got, msg)
	r.mu.Unlock()
	r.inFlight.Add(-1)
}

func (r *recorder) InvokeSystemMessage(msg any)             { r.invoke(msg) }
func (r *recorder) InvokeUserMessage(msg any)               { r.invoke(msg) }
func (r *recorder) EscalateFailure(reason any, message any) {}

func (r *recorder) handled() []any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]any(nil), r.got...)
}

func newTestMailbox(t *testing.T, r *recorder) *callerRunsMailbox {
	pool := newWorkerPool(300, time.Second)
	t.Cleanup(pool.close)
	m := newCallerRunsMailbox().(*callerRunsMailbox)
	m.RegisterHandlers(r, pool)
	return m
}

func TestMailboxOrderAndOneAtATime(t *testing.T) {
	r := &recorder{}
	m := newTestMailbox(t, r)
	const senders, each = 16, 500
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				m.PostUserMessage([2]int{s, i})
			}
		}()
	}
	wg.Wait()
	require.Eventually(t, func() bool { return len(r.handled()) == senders*each }, 10*time.Second, time.Millisecond)
	assert.False(t, r.overlap.Load(), "two messages were handled at once")
	next := make([]int, senders)
	for _, msg := range r.handled() {
		p := msg.([2]int)
		require.Equal(t, next[p[0]], p[1], "sender %d's messages out of order", p[0])
		next[p[0]]++
	}
	assert.Zero(t, m.UserMessageCount())
}

// A sender runs at most one message itself: the rest go to the pool, so a
// sender is not kept busy by others' commands.
func TestMailboxSenderRunsAtMostOne(t *testing.T) {
	first, second := make(chan struct{}), make(chan struct{})
	r := &recorder{block: map[any]chan struct{}{"first": first, "second": second}}
	m := newTestMailbox(t, r)

	posted := make(chan struct{})
	go func() {
		m.PostUserMessage("first") // runs here, and blocks until first closes
		close(posted)
	}()
	require.Eventually(t, func() bool { return r.inFlight.Load() == 1 }, 5*time.Second, time.Millisecond)
	// The mailbox is busy: these only queue, and return at once.
	m.PostUserMessage("second")
	m.PostUserMessage("third")
	close(first)
	select {
	case <-posted: // the first sender is done although "second" is blocked
	case <-time.After(5 * time.Second):
		t.Fatal("the first sender went on to run the messages queued behind its own")
	}
	close(second)
	require.Eventually(t, func() bool { return len(r.handled()) == 3 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, []any{"first", "second", "third"}, r.handled())
	assert.False(t, r.overlap.Load())
}

// System messages never run on the sender's goroutine, and run before the
// user messages queued with them.
func TestMailboxSystemMessagesGoToThePool(t *testing.T) {
	started := make(chan struct{})
	r := &recorder{block: map[any]chan struct{}{"started": started}}
	m := newTestMailbox(t, r)
	done := make(chan struct{})
	go func() {
		m.PostSystemMessage("started")
		m.PostUserMessage("command")
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a sender ran a system message")
	}
	close(started)
	require.Eventually(t, func() bool { return len(r.handled()) == 2 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, []any{"started", "command"}, r.handled())
}

func TestMailboxSuspend(t *testing.T) {
	r := &recorder{}
	m := newTestMailbox(t, r)
	m.PostSystemMessage(&actor.SuspendMailbox{})
	m.PostUserMessage("held")
	require.Eventually(t, func() bool { return m.status.Load() == mailboxIdle }, 5*time.Second, time.Millisecond)
	assert.Empty(t, r.handled(), "a suspended mailbox handled a user message")
	m.PostSystemMessage(&actor.ResumeMailbox{})
	require.Eventually(t, func() bool { return len(r.handled()) == 1 }, 5*time.Second, time.Millisecond)
}

// Activation runs on the sender of the first command, before it, with no
// hand-off to the pool; a stop posted before any command runs the
// activation and the stop on the pool.
func TestMailboxActivationRunsOnTheFirstSender(t *testing.T) {
	r := &recorder{}
	m := newTestMailbox(t, r)
	started := &actor.Started{}
	m.PostSystemMessage(started)
	assert.Empty(t, r.handled(), "the activation ran before a command came")
	m.PostUserMessage("command") // returns when both ran, on this goroutine
	assert.Equal(t, []any{started, "command"}, r.handled())

	r2 := &recorder{}
	m2 := newTestMailbox(t, r2)
	m2.PostSystemMessage(started)
	m2.PostSystemMessage("stop")
	require.Eventually(t, func() bool { return len(r2.handled()) == 2 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, []any{started, "stop"}, r2.handled())
}
