package actors

import (
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/google/uuid"
)

const routerShards = 64

// router finds the one live actor of an aggregate type for an id, and
// spawns it on first use. Every message sent through the router is counted
// on the actor's entry until the actor has handled it: an actor passivates
// only when, under its shard's write lock, nothing is counted, so no
// message is ever sent to an actor that is stopping.
type router struct {
	sys    *System
	rt     *typeRuntime
	props  *actor.Props
	shards [routerShards]shard
}

type shard struct {
	mu      sync.RWMutex
	entries map[uuid.UUID]*entry
}

// entry is one live aggregate actor.
type entry struct {
	pid *actor.PID
	// pending counts the messages sent to the actor and not yet handled.
	pending atomic.Int32
	// idleSince is when the actor last finished a message (unix nanos of
	// the system's monotonic clock).
	idleSince atomic.Int64
	// evicted is set when the entry was removed by evict: the actor drops
	// its state before its next message, and stops once nothing is
	// pending.
	evicted atomic.Bool
}

func newRouter(sys *System, rt *typeRuntime) *router {
	r := &router{sys: sys, rt: rt}
	for i := range r.shards {
		r.shards[i].entries = map[uuid.UUID]*entry{}
	}
	return r
}

func (r *router) shard(id uuid.UUID) *shard {
	return &r.shards[id[15]%routerShards] // v4 and v5 ids end in random bits
}

// send delivers msg to the actor of id, spawning it if there is none, and
// counts it as pending. The actor calls done when it has handled msg.
func (r *router) send(id uuid.UUID, msg any) {
	s := r.shard(id)
	s.mu.RLock()
	e := s.entries[id]
	if e != nil {
		e.pending.Add(1)
		s.mu.RUnlock()
		r.sys.root.Send(e.pid, msg)
		return
	}
	s.mu.RUnlock()
	// Spawned before the lock is taken, so that an activation storm does
	// not queue the shard's other senders behind protoactor's spawn; the
	// rare sender that loses a race to activate the same id stops its
	// actor, which has taken no message.
	fresh := &entry{}
	fresh.pid = r.sys.spawn(r, id, fresh)
	s.mu.Lock()
	if e = s.entries[id]; e == nil {
		e = fresh
		s.entries[id] = e
	}
	e.pending.Add(1)
	s.mu.Unlock()
	if e != fresh {
		r.sys.root.Stop(fresh.pid)
	}
	r.sys.root.Send(e.pid, msg)
}

// live returns the entry of id's actor, counted as pending, or nil when
// the aggregate has no live actor.
func (r *router) live(id uuid.UUID) *entry {
	s := r.shard(id)
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.entries[id]
	if e != nil {
		e.pending.Add(1)
	}
	return e
}

// sweep stops the actors that have been idle since before cutoff with
// nothing pending, and returns how many it stopped.
func (r *router) sweep(cutoff int64) int {
	n := 0
	for i := range r.shards {
		s := &r.shards[i]
		var stop []*actor.PID
		s.mu.Lock()
		for id, e := range s.entries {
			if e.pending.Load() == 0 && e.idleSince.Load() < cutoff {
				delete(s.entries, id)
				stop = append(stop, e.pid)
			}
		}
		s.mu.Unlock()
		for _, pid := range stop {
			r.sys.root.Stop(pid)
		}
		n += len(stop)
	}
	return n
}

// evict removes the actor of id, if it has one, and stops it: at once
// when nothing is pending, else after its last pending message, which it
// handles on a fresh load (see aggregateActor.Receive). New messages for
// id spawn a new actor. It reports whether there was one.
func (r *router) evict(id uuid.UUID) bool {
	s := r.shard(id)
	s.mu.Lock()
	e := s.entries[id]
	if e != nil {
		delete(s.entries, id)
		e.evicted.Store(true)
	}
	s.mu.Unlock()
	if e == nil {
		return false
	}
	// Removed under the lock: pending can only go down from here.
	if e.pending.Load() == 0 {
		r.sys.root.Stop(e.pid)
	}
	return true
}

// stopAll removes and stops every actor.
func (r *router) stopAll() {
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		entries := s.entries
		s.entries = map[uuid.UUID]*entry{}
		s.mu.Unlock()
		for _, e := range entries {
			r.sys.root.Stop(e.pid)
		}
	}
}

// count returns the number of live actors.
func (r *router) count() int {
	n := 0
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.RLock()
		n += len(s.entries)
		s.mu.RUnlock()
	}
	return n
}
