package memory

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/journal"
)

// Config configures a memory journal.
type Config struct {
	// Partitions is the number of partitions of the global log (default 1).
	Partitions int
}

// Journal is an in-memory journal.Journal. Each partition has its own lock;
// an aggregate's records live in its partition's log, and the aggregate
// keeps the positions of its records.
type Journal struct {
	parts     []*partition
	closed    atomic.Bool
	closeOnce sync.Once
	done      chan struct{}
}

type partition struct {
	mu      sync.RWMutex
	log     chunkedLog
	streams map[uuid.UUID][]uint64 // aggregate id -> positions, by version
	// wake is closed and replaced by the first commit after a Wait took
	// it (watched), so that commits nobody waits for cost no channel.
	wake    chan struct{}
	watched bool
}

// chunkedLog holds a partition's notifications in fixed-size chunks, so
// that growing the log never copies it.
type chunkedLog struct {
	chunks [][]journal.Notification
	n      uint64
}

const chunkSize = 4096

func (l *chunkedLog) len() uint64 { return l.n }

// at returns the notification at position pos (1-based).
func (l *chunkedLog) at(pos uint64) *journal.Notification {
	i := pos - 1
	return &l.chunks[i/chunkSize][i%chunkSize]
}

func (l *chunkedLog) append(n journal.Notification) {
	if l.n%chunkSize == 0 {
		l.chunks = append(l.chunks, make([]journal.Notification, 0, chunkSize))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, n)
	l.n++
}

var (
	_ journal.Journal       = (*Journal)(nil)
	_ journal.MultiAppender = (*Journal)(nil)
)

// New returns an empty memory journal.
func New(cfg Config) (*Journal, error) {
	if cfg.Partitions == 0 {
		cfg.Partitions = 1
	}
	if cfg.Partitions < 0 {
		return nil, fmt.Errorf("memory journal: Partitions = %d, want at least 1", cfg.Partitions)
	}
	j := &Journal{parts: make([]*partition, cfg.Partitions), done: make(chan struct{})}
	for i := range j.parts {
		j.parts[i] = &partition{streams: map[uuid.UUID][]uint64{}, wake: make(chan struct{})}
	}
	return j, nil
}

func (j *Journal) checkOpen() error {
	if j.closed.Load() {
		return journal.ErrClosed
	}
	return nil
}

// Append implements journal.Journal.
func (j *Journal) Append(ctx context.Context, id uuid.UUID, expected uint64, records []journal.Record) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := journal.CheckAppend(id, expected, records); err != nil {
		return 0, err
	}
	if err := j.checkOpen(); err != nil {
		return 0, err
	}
	pn := journal.PartitionOf(id, len(j.parts))
	p := j.parts[pn]
	// Copy outside the lock: the caller may reuse its buffers. One record
	// (the common case) is copied without a slice to hold it.
	var one [1]journal.Notification
	copies := one[:]
	if len(records) > 1 {
		copies = make([]journal.Notification, len(records))
	}
	for i, r := range records {
		r.Data = append([]byte(nil), r.Data...)
		copies[i] = journal.Notification{Partition: pn, Record: r}
	}
	p.mu.Lock()
	positions := p.streams[id]
	if v := uint64(len(positions)); v != expected {
		p.mu.Unlock()
		return 0, &journal.ConflictError{AggregateID: id, Expected: expected, Actual: v}
	}
	for i := range copies {
		pos := p.log.len() + 1
		copies[i].Position = pos
		p.log.append(copies[i])
		positions = append(positions, pos)
	}
	p.streams[id] = positions
	last := p.log.len()
	if p.watched {
		close(p.wake)
		p.wake, p.watched = make(chan struct{}), false
	}
	p.mu.Unlock()
	return last, nil
}

// AppendMany implements journal.MultiAppender, for aggregates in any
// partitions: it locks their partitions in ascending order, checks every
// expected version, then writes.
func (j *Journal) AppendMany(ctx context.Context, streams []journal.Stream) ([]uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := journal.CheckAppendMany(streams); err != nil {
		return nil, err
	}
	if err := j.checkOpen(); err != nil {
		return nil, err
	}
	pns := make([]int, len(streams))
	copies := make([][]journal.Notification, len(streams))
	locked := map[int]bool{}
	for i, s := range streams {
		pns[i] = journal.PartitionOf(s.AggregateID, len(j.parts))
		locked[pns[i]] = true
		copies[i] = make([]journal.Notification, len(s.Records))
		for k, r := range s.Records {
			r.Data = append([]byte(nil), r.Data...)
			copies[i][k] = journal.Notification{Partition: pns[i], Record: r}
		}
	}
	order := make([]int, 0, len(locked))
	for pn := range locked {
		order = append(order, pn)
	}
	slices.Sort(order)
	for _, pn := range order {
		j.parts[pn].mu.Lock()
	}
	defer func() {
		for _, pn := range order {
			p := j.parts[pn]
			if p.watched {
				close(p.wake)
				p.wake, p.watched = make(chan struct{}), false
			}
			p.mu.Unlock()
		}
	}()
	for i, s := range streams {
		if v := uint64(len(j.parts[pns[i]].streams[s.AggregateID])); v != s.Expected {
			return nil, &journal.ConflictError{AggregateID: s.AggregateID, Expected: s.Expected, Actual: v}
		}
	}
	last := make([]uint64, len(streams))
	for i, s := range streams {
		p := j.parts[pns[i]]
		positions := p.streams[s.AggregateID]
		for k := range copies[i] {
			pos := p.log.len() + 1
			copies[i][k].Position = pos
			p.log.append(copies[i][k])
			positions = append(positions, pos)
		}
		p.streams[s.AggregateID] = positions
		last[i] = p.log.len()
	}
	return last, nil
}

// Read implements journal.Journal.
func (j *Journal) Read(ctx context.Context, id uuid.UUID, from, to uint64) ([]journal.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := j.checkOpen(); err != nil {
		return nil, err
	}
	if from == 0 {
		from = 1
	}
	p := j.parts[journal.PartitionOf(id, len(j.parts))]
	p.mu.RLock()
	defer p.mu.RUnlock()
	positions := p.streams[id]
	n := uint64(len(positions))
	if to == 0 || to > n {
		to = n
	}
	if from > to {
		return nil, nil
	}
	out := make([]journal.Record, 0, to-from+1)
	for _, pos := range positions[from-1 : to] {
		out = append(out, p.log.at(pos).Record)
	}
	return out, nil
}

// Partitions implements journal.Journal.
func (j *Journal) Partitions() int { return len(j.parts) }

// Select implements journal.Journal.
func (j *Journal) Select(ctx context.Context, pn int, start uint64, limit int) ([]journal.Notification, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := journal.CheckPartition(pn, len(j.parts)); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, fmt.Errorf("memory journal: select limit %d, want at least 1", limit)
	}
	if err := j.checkOpen(); err != nil {
		return nil, err
	}
	if start == 0 {
		start = 1
	}
	p := j.parts[pn]
	p.mu.RLock()
	defer p.mu.RUnlock()
	n := p.log.len()
	if start > n {
		return nil, nil
	}
	end := min(n, start-1+uint64(limit))
	out := make([]journal.Notification, 0, end-start+1)
	for pos := start; pos <= end; pos++ {
		out = append(out, *p.log.at(pos))
	}
	return out, nil
}

// Head implements journal.Journal.
func (j *Journal) Head(ctx context.Context, pn int) (uint64, error) {
	if err := journal.CheckPartition(pn, len(j.parts)); err != nil {
		return 0, err
	}
	if err := j.checkOpen(); err != nil {
		return 0, err
	}
	p := j.parts[pn]
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.log.len(), nil
}

// Wait implements journal.Journal.
func (j *Journal) Wait(ctx context.Context, pn int, after uint64) (uint64, error) {
	if err := journal.CheckPartition(pn, len(j.parts)); err != nil {
		return 0, err
	}
	p := j.parts[pn]
	for {
		if err := j.checkOpen(); err != nil {
			return 0, err
		}
		p.mu.Lock()
		head, wake := p.log.len(), p.wake
		p.watched = true
		p.mu.Unlock()
		if head > after {
			return head, nil
		}
		select {
		case <-wake:
		case <-j.done:
		case <-ctx.Done():
			return head, ctx.Err()
		}
	}
}

// Close implements journal.Journal. Waiters return ErrClosed.
func (j *Journal) Close() error {
	j.closeOnce.Do(func() {
		j.closed.Store(true)
		close(j.done)
	})
	return nil
}
