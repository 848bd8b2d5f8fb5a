package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/app/redishistory"
	"github.com/factum-dev/factum/internal/redisconn"
	"github.com/factum-dev/factum/journal"
	jmemory "github.com/factum-dev/factum/journal/memory"
	jredis "github.com/factum-dev/factum/journal/redis"
	"github.com/factum-dev/factum/metrics"
	"github.com/factum-dev/factum/projections"
	"github.com/factum-dev/factum/projections/redisprojection"
	"github.com/factum-dev/factum/snapshots"
	smemory "github.com/factum-dev/factum/snapshots/memory"
	sredis "github.com/factum-dev/factum/snapshots/redis"
	"github.com/factum-dev/factum/storage/encryption"
	"github.com/factum-dev/factum/storage/encryption/rediskeys"
)

// Stores are what a server runs on: the journal, the snapshot store, the
// data-key store of per-subject encryption and the projections'
// checkpoint store. The server closes them.
type Stores struct {
	Journal   journal.Journal
	Snapshots snapshots.Store
	// Keys keeps per-subject data keys (nil: in memory).
	Keys encryption.KeyStore
	// Checkpoints keeps the projections' checkpoints (nil: in memory).
	Checkpoints projections.CheckpointStore
	// Close closes what the stores share (a Redis client), after the
	// journal and the snapshot store; nil: nothing.
	Close func() error
	// History reads an aggregate's latest snapshot and the events after
	// it in one request (nil: the snapshot, then the events). The server
	// uses it unless the storage pipeline wraps the journal (a hash
	// chain checks the records it reads).
	History app.HistoryReader
}

// MemoryStores returns in-memory stores with a log of partitions
// partitions.
func MemoryStores(partitions int) (*Stores, error) {
	j, err := jmemory.New(jmemory.Config{Partitions: partitions})
	if err != nil {
		return nil, err
	}
	return &Stores{Journal: j, Snapshots: smemory.New(), Keys: encryption.NewMemoryKeyStore()}, nil
}

// openStores opens the stores cfg names.
func openStores(ctx context.Context, cfg *Config, log *slog.Logger, fence jredis.Fence, m *metrics.Metrics) (*Stores, error) {
	if cfg.Stores != nil {
		st := *cfg.Stores
		if st.Keys == nil {
			st.Keys = encryption.NewMemoryKeyStore()
		}
		return &st, nil
	}
	if cfg.RedisURL == "" {
		return MemoryStores(cfg.Partitions)
	}
	prefix := cfg.RedisKeyPrefix
	if prefix == "" {
		prefix = "factum:"
	}
	j, err := jredis.New(ctx, jredis.Config{URL: cfg.RedisURL, Cluster: cfg.RedisCluster, Partitions: cfg.Partitions, KeyPrefix: prefix, Fence: fence, Logger: log, OnBatch: m.AppendBatch})
	if err != nil {
		return nil, err
	}
	st, err := sredis.New(sredis.Config{URL: cfg.RedisURL, Cluster: cfg.RedisCluster, Partitions: cfg.Partitions, KeyPrefix: prefix, Logger: log})
	if err != nil {
		return nil, errors.Join(err, j.Close())
	}
	client, err := redisconn.Config{URL: cfg.RedisURL, Cluster: cfg.RedisCluster}.Open()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("redis %q: %w", redisconn.Redact(cfg.RedisURL), err), j.Close(), st.Close())
	}
	keys, err := rediskeys.New(rediskeys.Config{Client: client, KeyPrefix: prefix + "keys:"})
	if err != nil {
		return nil, errors.Join(err, client.Close(), j.Close(), st.Close())
	}
	cps, err := redisprojection.New(redisprojection.Config{Client: client, KeyPrefix: prefix + "projection:"})
	if err != nil {
		return nil, errors.Join(err, client.Close(), j.Close(), st.Close())
	}
	history, err := redishistory.New(j, st)
	if err != nil {
		return nil, errors.Join(err, client.Close(), j.Close(), st.Close())
	}
	return &Stores{Journal: j, Snapshots: st, Keys: keys, Checkpoints: cps, Close: client.Close, History: history}, nil
}

func (s *Stores) close() error {
	errs := []error{s.Journal.Close(), s.Snapshots.Close()}
	if s.Close != nil {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
