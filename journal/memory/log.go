package memory

import (
	"sync/atomic"

	"github.com/factum-dev/factum/journal"
)

// log is one partition's notifications, without a lock: each position is
// a slot that holds a pointer to its notification, and an append takes
// the first empty slot with one compare-and-swap, which also publishes
// the notification. Slots are only ever filled at the end of the filled
// ones, so the filled slots are always a prefix: the log has no gap, and
// no append waits for another to finish writing.
type log struct {
	// head is a position up to which every slot is filled; appends and
	// readers move it forward over the slots filled after it.
	head atomic.Uint64
	// blocks is a two-level directory of chunks, made on first use.
	blocks [dirSize]atomic.Pointer[block]
}

const (
	chunkSize = 4096
	dirSize   = 1024 // chunks per block, and blocks per log: 2^32 positions
	// prepareAt is the place in a chunk whose append makes the next chunk,
	// so that the appends that reach it rarely make one themselves.
	prepareAt = chunkSize * 3 / 4
)

type (
	block [dirSize]atomic.Pointer[chunk]
	chunk [chunkSize]atomic.Pointer[journal.Notification]
)

// chunk returns chunk i, made if it is not there yet (by whoever gets
// there first: the others' copies are dropped).
func (l *log) chunk(i uint64) *chunk {
	bp := &l.blocks[i/dirSize]
	b := bp.Load()
	if b == nil {
		bp.CompareAndSwap(nil, new(block))
		b = bp.Load()
	}
	cp := &b[i%dirSize]
	c := cp.Load()
	if c == nil {
		cp.CompareAndSwap(nil, new(chunk))
		c = cp.Load()
	}
	return c
}

// slot returns the slot of position pos (1-based), or nil when its chunk
// was not made yet (so it is empty).
func (l *log) slot(pos uint64) *atomic.Pointer[journal.Notification] {
	i := pos - 1
	b := l.blocks[i/chunkSize/dirSize].Load()
	if b == nil {
		return nil
	}
	c := b[i/chunkSize%dirSize].Load()
	if c == nil {
		return nil
	}
	return &c[i%chunkSize]
}

// at returns the notification at a filled position.
func (l *log) at(pos uint64) *journal.Notification { return l.slot(pos).Load() }

// add puts n in the first empty slot, with its position, and returns the
// position. n must not be used by anyone else until it is in the log.
func (l *log) add(n *journal.Notification) uint64 {
	for {
		h := l.head.Load()
		pos := h + 1
		i := h
		s := &l.chunk(i / chunkSize)[i%chunkSize]
		n.Position = pos
		won := s.CompareAndSwap(nil, n)
		// Filled, by n or another append: move the head past it.
		l.head.CompareAndSwap(h, pos)
		if won {
			if i%chunkSize == prepareAt {
				l.chunk(i/chunkSize + 1)
			}
			return pos
		}
	}
}

// last returns the last filled position, moving the head over the slots
// filled after it.
func (l *log) last() uint64 {
	for {
		h := l.head.Load()
		s := l.slot(h + 1)
		if s == nil || s.Load() == nil {
			return h
		}
		l.head.CompareAndSwap(h, h+1)
	}
}
