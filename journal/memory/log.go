package memory

import (
	"encoding/binary"
	"sync/atomic"
)

// log is one partition's records, without a lock: each position is a slot
// that holds where its record's stored bytes are in the partition's arena,
// and an append takes the first empty slot with one compare-and-swap,
// which also publishes the record. Slots are only ever filled at the end
// of the filled ones, so the filled slots are always a prefix: the log has
// no gap, and no append waits for another to finish writing.
//
// Neither the slots nor the arena hold a pointer per record: the garbage
// collector marks a few large pages where it would otherwise scan an
// object per event, which, with millions of events in memory, made every
// collection long enough to stall the commands that allocated during it.
type log struct {
	// head is a position up to which every slot is filled; appends and
	// readers move it forward over the slots filled after it.
	head atomic.Uint64
	// blocks is a two-level directory of chunks, made on first use.
	blocks [dirSize]atomic.Pointer[block]
	arena  arena
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
	chunk [chunkSize]atomic.Uint64 // a record's ref, 0 while the slot is empty
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
func (l *log) slot(pos uint64) *atomic.Uint64 {
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

// at returns the stored bytes of the record at a filled position.
func (l *log) at(pos uint64) []byte { return l.arena.bytes(ref(l.slot(pos).Load())) }

// add puts the record at r (written in full) in the first empty slot and
// returns its position.
func (l *log) add(r ref) uint64 {
	for {
		h := l.head.Load()
		pos := h + 1
		i := h
		s := &l.chunk(i / chunkSize)[i%chunkSize]
		won := s.CompareAndSwap(0, uint64(r))
		// Filled, by r or another append: move the head past it.
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
		if s == nil || s.Load() == 0 {
			return h
		}
		l.head.CompareAndSwap(h, h+1)
	}
}

// arena holds stored records in pages of pageSize bytes, each record its
// length as a uvarint, then its bytes. Space is taken with one atomic add
// on the current page; the append that finds it full makes the next page
// current. A record of more than bigRecord bytes gets a page of its own,
// beside the others, so that it neither needs a larger page nor leaves
// the current one half empty. Pages are never freed or written over.
type arena struct {
	cur   atomic.Pointer[page]
	pages pageDir // by page number
	bigs  pageDir // the big records' pages, by their own numbers
	nbigs atomic.Uint32
}

const (
	pageSize  = 1 << 20
	bigRecord = pageSize / 4
	maxPages  = dirSize * dirSize // in each directory
)

type (
	page struct {
		no   uint32
		buf  []byte
		used atomic.Int64 // may run past len(buf): the page is full then
	}
	pageBlock [dirSize]atomic.Pointer[page]
	pageDir   [dirSize]atomic.Pointer[pageBlock] // two levels
)

// slot returns the place of page no in d, its block made if need be.
func (d *pageDir) slot(no uint32) *atomic.Pointer[page] {
	if no >= maxPages {
		panic("memory journal: out of arena pages") // 2^20 pages of at least a MiB
	}
	bp := &d[no/dirSize]
	b := bp.Load()
	if b == nil {
		bp.CompareAndSwap(nil, new(pageBlock))
		b = bp.Load()
	}
	return &b[no%dirSize]
}

// ref is a record's place: its page's number plus one in bits 32 to 62,
// its offset in the page in the low 32, and bigRef set for a big record's
// page.
type ref uint64

const bigRef ref = 1 << 63

// alloc takes room for a record of size bytes and returns its ref and the
// slice to write the record into, which the caller fills before the ref
// is published.
func (a *arena) alloc(size int) (ref, []byte) {
	n := uvarintLen(uint64(size))
	total := n + size
	if total > bigRecord {
		no := a.nbigs.Add(1) - 1
		p := &page{no: no, buf: make([]byte, total)}
		a.bigs.slot(no).Store(p)
		binary.PutUvarint(p.buf, uint64(size))
		return bigRef | ref(uint64(no+1)<<32), p.buf[n:n:total]
	}
	for {
		p := a.cur.Load()
		if p != nil {
			end := p.used.Add(int64(total))
			if end <= int64(len(p.buf)) {
				off := end - int64(total)
				b := p.buf[off:end:end]
				binary.PutUvarint(b, uint64(size))
				return ref(uint64(p.no+1)<<32 | uint64(off)), b[n:n:total]
			}
		}
		a.next(p)
	}
}

func uvarintLen(x uint64) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

// next makes the page after p (the first page when p is nil) current:
// the one another append made for that number, or a new one.
func (a *arena) next(p *page) {
	var no uint32
	if p != nil {
		no = p.no + 1
	}
	sp := a.pages.slot(no)
	if sp.Load() == nil {
		sp.CompareAndSwap(nil, &page{no: no, buf: make([]byte, pageSize)})
	}
	a.cur.CompareAndSwap(p, sp.Load())
}

// bytes returns the stored bytes at r.
func (a *arena) bytes(r ref) []byte {
	d := &a.pages
	if r&bigRef != 0 {
		d, r = &a.bigs, r&^bigRef
	}
	no, off := uint32(r>>32)-1, uint32(r)
	p := d[no/dirSize].Load()[no%dirSize].Load()
	b := p.buf[off:]
	size, n := binary.Uvarint(b)
	return b[n : n+int(size) : n+int(size)]
}
