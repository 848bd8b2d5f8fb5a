package actors

import (
	"sync"

	"github.com/factum-dev/factum/domain"
)

// snapshotWriter writes the snapshots the actors take, off their command
// path. A snapshot is an optimisation: one that cannot be queued or
// written is logged and dropped, and never fails a command.
type snapshotWriter struct {
	sys   *System
	queue chan domain.Snapshot
	mu    sync.RWMutex // guards closed against enqueue
	done  bool
	wg    sync.WaitGroup
}

func newSnapshotWriter(s *System) *snapshotWriter {
	w := &snapshotWriter{sys: s, queue: make(chan domain.Snapshot, s.cfg.SnapshotQueue)}
	for range s.cfg.SnapshotWriters {
		w.wg.Add(1)
		go w.run()
	}
	return w
}

func (w *snapshotWriter) enqueue(s domain.Snapshot) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.done {
		return
	}
	select {
	case w.queue <- s:
	default:
		w.sys.log.Warn("snapshot dropped: the snapshot queue is full", "type", s.Type, "id", s.AggregateID, "version", s.Version)
	}
}

func (w *snapshotWriter) run() {
	defer w.wg.Done()
	for s := range w.queue {
		ctx, cancel := w.sys.journalContext()
		err := w.sys.app.StoreSnapshot(ctx, s)
		cancel()
		if err != nil {
			w.sys.log.Warn("snapshot failed", "type", s.Type, "id", s.AggregateID, "version", s.Version, "err", err)
		}
	}
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
