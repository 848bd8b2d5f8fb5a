package redis

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/proto/factumpb"
	"github.com/factum-dev/factum/snapshots"
	"github.com/factum-dev/factum/storage"
)

// Store is a snapshots.Store on Redis.
type Store struct {
	cfg    Config
	client goredis.UniversalClient
	owned  bool // the store made the client and closes it

	mu     sync.RWMutex
	closed bool
}

var _ snapshots.Store = (*Store)(nil)

// New returns a store on the configured Redis. It does not connect until
// the first request.
func New(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Store{cfg: cfg, client: cfg.Client}
	if s.client == nil {
		client, err := cfg.conn().Open()
		if err != nil {
			return nil, fmt.Errorf("redis snapshot store: %w: %v", ErrConfig, err)
		}
		s.client, s.owned = client, true
	}
	return s, nil
}

// Key returns the sorted set of aggregate id's snapshots: members are
// stored snapshots (see Decode), scored by their versions. With
// Partitions set it carries the hash tag {pN} of the aggregate's
// partition N, as the Redis journal's keys of the aggregate do.
func (s *Store) Key(id uuid.UUID) string {
	h := hex.EncodeToString(id[:])
	if s.cfg.Partitions > 0 {
		p := storage.PartitionOf(id, s.cfg.Partitions)
		return s.cfg.KeyPrefix + "{p" + strconv.Itoa(p) + "}:s:" + h
	}
	return s.cfg.KeyPrefix + "{" + h + "}:s"
}

func (s *Store) checkOpen() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return snapshots.ErrClosed
	}
	return nil
}

// Save implements snapshots.Store: one MULTI/EXEC replaces any snapshot at
// the same version and adds this one.
func (s *Store) Save(ctx context.Context, snap domain.Snapshot) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := snapshots.Check(snap); err != nil {
		return err
	}
	if err := s.checkOpen(); err != nil {
		return err
	}
	b, err := proto.Marshal(&factumpb.StoredSnapshot{
		AggregateId: snap.AggregateID[:], Type: snap.Type, SchemaVersion: snap.SchemaVersion, Version: snap.Version,
		CreatedUnixNano: unixNano(snap.CreatedAt), ModifiedUnixNano: unixNano(snap.ModifiedAt),
		Data: snap.Data, Headers: snap.Headers,
	})
	if err != nil {
		return fmt.Errorf("redis snapshot store: encode aggregate %s version %d: %w", snap.AggregateID, snap.Version, err)
	}
	key := s.Key(snap.AggregateID)
	v := strconv.FormatUint(snap.Version, 10)
	_, err = s.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.ZRemRangeByScore(ctx, key, v, v)
		p.ZAdd(ctx, key, goredis.Z{Score: float64(snap.Version), Member: b})
		if s.cfg.Keep > 0 {
			p.ZRemRangeByRank(ctx, key, 0, int64(-s.cfg.Keep-1))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis snapshot store: save aggregate %s version %d: %w", snap.AggregateID, snap.Version, s.wrap(err))
	}
	return nil
}

// Latest implements snapshots.Store.
func (s *Store) Latest(ctx context.Context, id uuid.UUID, maxVersion uint64) (domain.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return domain.Snapshot{}, err
	}
	if err := s.checkOpen(); err != nil {
		return domain.Snapshot{}, err
	}
	max := "+inf"
	if maxVersion > 0 {
		max = strconv.FormatUint(maxVersion, 10)
	}
	vals, err := s.client.ZRevRangeByScore(ctx, s.Key(id), &goredis.ZRangeBy{Max: max, Min: "-inf", Count: 1}).Result()
	if err != nil {
		return domain.Snapshot{}, fmt.Errorf("redis snapshot store: latest of aggregate %s at or below %d: %w", id, maxVersion, s.wrap(err))
	}
	if len(vals) == 0 {
		return domain.Snapshot{}, fmt.Errorf("redis snapshot store: aggregate %s at or below version %d: %w", id, maxVersion, snapshots.ErrNotFound)
	}
	return s.Decode(id, []byte(vals[0]))
}

// Decode decodes a member of aggregate id's sorted set (Key).
func (s *Store) Decode(id uuid.UUID, member []byte) (domain.Snapshot, error) {
	var st factumpb.StoredSnapshot
	if err := proto.Unmarshal(member, &st); err != nil {
		return domain.Snapshot{}, fmt.Errorf("redis snapshot store: decode snapshot of aggregate %s: %w", id, err)
	}
	return domain.Snapshot{AggregateID: id, Type: st.Type, SchemaVersion: st.SchemaVersion, Version: st.Version,
		CreatedAt: fromUnixNano(st.CreatedUnixNano), ModifiedAt: fromUnixNano(st.ModifiedUnixNano),
		Data: st.Data, Headers: st.Headers}, nil
}

// KeyPrefix returns the prefix of the store's keys.
func (s *Store) KeyPrefix() string { return s.cfg.KeyPrefix }

// Partitions returns the number of partitions whose hash tags the keys
// carry (0: each aggregate's keys have a tag of their own).
func (s *Store) Partitions() int { return s.cfg.Partitions }

func (s *Store) wrap(err error) error {
	if s.checkOpen() != nil || errors.Is(err, goredis.ErrClosed) {
		return snapshots.ErrClosed
	}
	return err
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// Close implements snapshots.Store; it closes the client only if the store
// made it. Safe to call twice.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.owned {
		return s.client.Close()
	}
	return nil
}
