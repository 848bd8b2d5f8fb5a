package actors

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// callerRunsMailbox is the mailbox of an aggregate actor. When a command
// arrives at an idle mailbox, the goroutine that sent it runs it there and
// then: no hand-off to another goroutine and back, which is most of what a
// command costs beyond its own work. Whatever queued meanwhile is left to
// the dispatcher (the worker pool), so a sender runs at most one message
// of others and is never kept busy by a stream of them.
//
// System messages go to the dispatcher (a sender may hold a router lock
// while it spawns), except activation: the Started message waits in the
// idle mailbox for the first command, whose sender runs both, holding no
// lock by then. An activation thus never waits for a pool goroutine to
// be scheduled: with a thousand busy goroutines on two cores that wait
// was the longest part of an activation storm's tail. Anything else
// posted meanwhile (a stop) schedules the mailbox and runs it there.
//
// Messages are handled one at a time and in order, as with protoactor's
// default mailbox.
type callerRunsMailbox struct {
	mu     sync.Mutex
	user   fifo
	system fifo

	status    atomic.Int32 // mailboxIdle or mailboxRunning
	users     atomic.Int32 // user messages queued
	systems   atomic.Int32 // system messages queued
	suspended atomic.Bool

	invoker    actor.MessageInvoker
	dispatcher actor.Dispatcher
}

const (
	mailboxIdle int32 = iota
	mailboxRunning
)

func newCallerRunsMailbox() actor.Mailbox { return &callerRunsMailbox{} }

// PostUserMessage implements actor.Mailbox.
func (m *callerRunsMailbox) PostUserMessage(msg any) {
	m.mu.Lock()
	m.user.push(msg)
	m.mu.Unlock()
	m.users.Add(1)
	if m.status.CompareAndSwap(mailboxIdle, mailboxRunning) {
		m.process(1) // a pending Started first, then this message
	}
}

// PostSystemMessage implements actor.Mailbox.
func (m *callerRunsMailbox) PostSystemMessage(msg any) {
	m.mu.Lock()
	m.system.push(msg)
	m.mu.Unlock()
	m.systems.Add(1)
	if _, ok := msg.(*actor.Started); ok {
		return // run by the first command's sender, or with the next system message
	}
	if m.status.CompareAndSwap(mailboxIdle, mailboxRunning) {
		m.dispatcher.Schedule(m.drain)
	}
}

// RegisterHandlers implements actor.Mailbox.
func (m *callerRunsMailbox) RegisterHandlers(invoker actor.MessageInvoker, dispatcher actor.Dispatcher) {
	m.invoker, m.dispatcher = invoker, dispatcher
}

// Start implements actor.Mailbox.
func (m *callerRunsMailbox) Start() {}

// UserMessageCount implements actor.Mailbox.
func (m *callerRunsMailbox) UserMessageCount() int { return int(m.users.Load()) }

// drain handles messages until the mailbox is empty; it runs on the
// dispatcher.
func (m *callerRunsMailbox) drain() { m.process(0) }

// process handles messages, at most budget user messages when budget > 0,
// with the mailbox marked running; what is left when the budget is spent
// goes to the dispatcher.
func (m *callerRunsMailbox) process(budget int) {
	for {
		if m.run(budget) {
			m.dispatcher.Schedule(m.drain)
			return
		}
		m.status.Store(mailboxIdle)
		// Messages posted after run saw the queues empty, but before the
		// mailbox was idle, found it running: take them on.
		if !m.pending() || !m.status.CompareAndSwap(mailboxIdle, mailboxRunning) {
			return
		}
		if budget > 0 {
			m.dispatcher.Schedule(m.drain)
			return
		}
	}
}

func (m *callerRunsMailbox) pending() bool {
	return m.systems.Load() > 0 || (!m.suspended.Load() && m.users.Load() > 0)
}

// run handles system messages first, then user messages, until the queues
// are empty, the mailbox is suspended, or budget user messages were
// handled with more waiting (then it returns true).
func (m *callerRunsMailbox) run(budget int) (more bool) {
	var msg any
	defer func() {
		if r := recover(); r != nil {
			m.invoker.EscalateFailure(r, msg)
			more = false
		}
	}()
	throughput := m.dispatcher.Throughput()
	for n := 0; ; {
		if msg = m.pop(&m.system, &m.systems); msg != nil {
			switch msg.(type) {
			case *actor.SuspendMailbox:
				m.suspended.Store(true)
			case *actor.ResumeMailbox:
				m.suspended.Store(false)
			default:
				m.invoker.InvokeSystemMessage(msg)
			}
			continue
		}
		if m.suspended.Load() {
			return false
		}
		if budget > 0 && n >= budget {
			return m.users.Load() > 0
		}
		if msg = m.pop(&m.user, &m.users); msg == nil {
			return false
		}
		m.invoker.InvokeUserMessage(msg)
		if n++; budget == 0 && throughput > 0 && n%throughput == 0 {
			runtime.Gosched()
		}
	}
}

func (m *callerRunsMailbox) pop(q *fifo, count *atomic.Int32) any {
	m.mu.Lock()
	msg, ok := q.pop()
	m.mu.Unlock()
	if !ok {
		return nil
	}
	count.Add(-1)
	return msg
}

// fifo is a queue on a slice that is reused once emptied.
type fifo struct {
	items []any
	head  int
}

func (q *fifo) push(v any) { q.items = append(q.items, v) }

func (q *fifo) pop() (any, bool) {
	if q.head == len(q.items) {
		return nil, false
	}
	v := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	return v, true
}
