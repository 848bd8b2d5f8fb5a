package actors

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
)

// snapshotWriter writes the snapshots the actors take, off their command
// path. A snapshot is an optimisation: one that cannot be queued or
// written is logged and dropped, and never fails a command.
type snapshotWriter struct {
	sys   *System
	queue chan snapshotJob
	mu    sync.RWMutex // guards closed against enqueue
	done  bool
	wg    sync.WaitGroup

	// pending counts the jobs queued or being written per aggregate;
	// changed is closed (and replaced) when one ends (flush).
	pmu     sync.Mutex
	pending map[uuid.UUID]int
	changed chan struct{}
}

func newSnapshotWriter(s *System) *snapshotWriter {
	w := &snapshotWriter{sys: s, queue: make(chan snapshotJob, s.cfg.SnapshotQueue),
		pending: map[uuid.UUID]int{}, changed: make(chan struct{})}
	for range s.cfg.SnapshotWriters {
		w.wg.Add(1)
		go w.run()
	}
	return w
}

// snapshotJob is a snapshot to write: one taken already (snap), or one
// to take of aggregate id at version (rt set).
type snapshotJob struct {
	snap    domain.Snapshot
	rt      *typeRuntime
	id      uuid.UUID
	version uint64
}

func (w *snapshotWriter) enqueue(s domain.Snapshot) {
	w.put(snapshotJob{snap: s}, s.Type, s.AggregateID, s.Version)
}

// enqueueAt queues the snapshot of aggregate id at an earlier version
// than its actor's, which the writer rebuilds.
func (w *snapshotWriter) enqueueAt(rt *typeRuntime, id uuid.UUID, version uint64) {
	w.put(snapshotJob{rt: rt, id: id, version: version}, rt.name, id, version)
}

func (w *snapshotWriter) put(j snapshotJob, typ string, id uuid.UUID, version uint64) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.done {
		return
	}
	w.pmu.Lock()
	w.pending[id]++
	w.pmu.Unlock()
	select {
	case w.queue <- j:
	default:
		w.ended(id)
		w.sys.log.Warn("snapshot dropped: the snapshot queue is full", "type", typ, "id", id, "version", version)
		if o := w.sys.cfg.Observer; o != nil {
			o.SnapshotStored(typ, ErrSnapshotDropped)
		}
	}
}

func (w *snapshotWriter) run() {
	defer w.wg.Done()
	for j := range w.queue {
		ctx, cancel := w.sys.journalContext()
		s, err := j.snap, error(nil)
		if j.rt != nil {
			if s, err = w.take(ctx, j); err != nil {
				s = domain.Snapshot{Type: j.rt.name, AggregateID: j.id, Version: j.version}
			}
		}
		if err == nil {
			err = w.sys.app.StoreSnapshot(ctx, s)
		}
		cancel()
		if err != nil {
			w.sys.log.Warn("snapshot failed", "type", s.Type, "id", s.AggregateID, "version", s.Version, "err", err)
		}
		if o := w.sys.cfg.Observer; o != nil {
			o.SnapshotStored(s.Type, err)
		}
		w.ended(s.AggregateID)
	}
}

// ended counts a job of aggregate id as no longer pending.
func (w *snapshotWriter) ended(id uuid.UUID) {
	w.pmu.Lock()
	defer w.pmu.Unlock()
	if w.pending[id]--; w.pending[id] <= 0 {
		delete(w.pending, id)
	}
	close(w.changed)
	w.changed = make(chan struct{})
}

// flush waits until no job of an aggregate that match selects is queued
// or being written, or ctx ends.
func (w *snapshotWriter) flush(ctx context.Context, match func(uuid.UUID) bool) error {
	for {
		w.pmu.Lock()
		waiting := 0
		for id := range w.pending {
			if match(id) {
				waiting++
			}
		}
		changed := w.changed
		w.pmu.Unlock()
		if waiting == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("actors: %d aggregates' snapshots still queued: %w", waiting, ctx.Err())
		}
	}
}

// take rebuilds the aggregate at the job's version and snapshots it, with
// the recent command ids it had then.
func (w *snapshotWriter) take(ctx context.Context, j snapshotJob) (domain.Snapshot, error) {
	l, err := w.sys.app.Rebuild(ctx, j.id, j.version, j.rt.newFn)
	if err != nil {
		return domain.Snapshot{}, err
	}
	s, err := w.sys.app.Registry().TakeSnapshot(l.Aggregate)
	if err != nil {
		return domain.Snapshot{}, err
	}
	seen := dedup{max: j.rt.dedup}
	seen.reset(l.SnapshotHeaders, l.Commands)
	if h := seen.header(); h != "" {
		s.Headers = map[string]string{HeaderRecentCommands: h}
	}
	return s, nil
}

// close writes the queued snapshots and stops the writers.
func (w *snapshotWriter) close() {
	w.mu.Lock()
	if !w.done {
		w.done = true
		close(w.queue)
	}
	w.mu.Unlock()
	w.wg.Wait()
}
