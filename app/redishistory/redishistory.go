package redishistory

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
	jredis "github.com/factum-dev/factum/journal/redis"
	sredis "github.com/factum-dev/factum/snapshots/redis"
)

// ErrLayout is returned by New when the journal's and the store's keys of
// an aggregate are not in the same hash slot.
var ErrLayout = errors.New("redishistory: the journal's and the snapshot store's keys do not share hash slots")

// Reader is an app.HistoryReader on a Redis journal and a Redis snapshot
// store on the same server.
type Reader struct {
	j *jredis.Journal
	s *sredis.Store
}

// New returns a reader of j and s, which must be on the same Redis (or
// Redis Cluster), with the same key prefix and the same partitions.
func New(j *jredis.Journal, s *sredis.Store) (*Reader, error) {
	switch {
	case s.Partitions() != j.Partitions():
		return nil, fmt.Errorf("%w: the snapshot store has Partitions = %d, the journal %d", ErrLayout, s.Partitions(), j.Partitions())
	case s.KeyPrefix() != j.KeyPrefix():
		return nil, fmt.Errorf("%w: the snapshot store's key prefix is %q, the journal's %q", ErrLayout, s.KeyPrefix(), j.KeyPrefix())
	}
	return &Reader{j: j, s: s}, nil
}

// ReadHistory implements app.HistoryReader.
func (r *Reader) ReadHistory(ctx context.Context, id uuid.UUID, maxVersion uint64) (domain.Snapshot, bool, []journal.Record, error) {
	member, found, records, err := r.j.ReadAfter(ctx, id, r.s.Key(id), maxVersion)
	if err != nil || !found {
		return domain.Snapshot{}, false, records, err
	}
	snap, err := r.s.Decode(id, member)
	if err != nil {
		// A snapshot is an optimisation: one that cannot be decoded is
		// passed over, and the aggregate rebuilt from all its events.
		records, err = r.j.Read(ctx, id, 1, maxVersion)
		return domain.Snapshot{}, false, records, err
	}
	return snap, true, records, nil
}
