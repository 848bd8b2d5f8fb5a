package memory

import (
	"sync/atomic"

	"github.com/factum-dev/factum/journal"
)

// log is one partition's notifications, in fixed-size chunks (growing the
// log never copies it), written without a lock: an append takes its
// positions from reserved, writes its slots and marks them written;
// committed is the longest prefix of written slots, the part of the log
// that readers see.
type log struct {
	reserved  atomic.Uint64
	committed atomic.Uint64
	// blocks is a two-level directory of chunks, made on first use.
	blocks [dirSize]atomic.Pointer[block]
}

const (
	chunkSize = 4096
	dirSize   = 1024 // chunks per block, and blocks per log: 2^32 positions
	// prepareAt is the place in a chunk whose writer makes the next chunk,
	// so that the writers that reach it rarely wait for one.
	prepareAt = chunkSize * 3 / 4
)

type block [dirSize]atomic.Pointer[chunk]

type chunk struct {
	slots   [chunkSize]journal.Notification
	written [chunkSize]atomic.Bool
}

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

// at returns the notification at a written position (1-based).
func (l *log) at(pos uint64) *journal.Notification {
	i := pos - 1
	return &l.blocks[i/chunkSize/dirSize].Load()[i/chunkSize%dirSize].Load().slots[i%chunkSize]
}

// write gives ns the next positions, stores them in the log and marks them
// written; it returns the last position. They are visible once advance
// has moved committed past them.
func (l *log) write(ns []journal.Notification) uint64 {
	n := uint64(len(ns))
	first := l.reserved.Add(n) - n + 1
	for k := range ns {
		pos := first + uint64(k)
		i := pos - 1
		c := l.chunk(i / chunkSize)
		if i%chunkSize == prepareAt {
			l.chunk(i/chunkSize + 1)
		}
		ns[k].Position = pos
		c.slots[i%chunkSize] = ns[k]
		c.written[i%chunkSize].Store(true)
	}
	return first + n - 1
}

// advance moves committed over the written positions that follow it and
// returns it.
func (l *log) advance() uint64 {
	for {
		c := l.committed.Load()
		if c == l.reserved.Load() {
			return c
		}
		i := c // the position c+1, 0-based
		ch := l.blocks[i/chunkSize/dirSize].Load()
		if ch == nil {
			return c
		}
		k := ch[i/chunkSize%dirSize].Load()
		if k == nil || !k.written[i%chunkSize].Load() {
			return c
		}
		l.committed.CompareAndSwap(c, c+1)
	}
}
