package redis_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/snapshots"
	"github.com/factum-dev/factum/snapshots/redis"
	"github.com/factum-dev/factum/snapshots/snapshottest"
)

func factory(cfg redis.Config) snapshottest.Factory {
	return func(t testing.TB) snapshots.Store {
		s, err := redis.New(cfg)
		require.NoError(t, err)
		return s
	}
}

func TestConformance(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	snapshottest.Run(t, factory(redis.Config{URL: srv.URL()}))
}

func TestConformanceCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	t.Run("OwnTag", func(t *testing.T) { snapshottest.Run(t, factory(redis.Config{Addrs: c.Addrs()})) })
	t.Run("PartitionTag", func(t *testing.T) {
		snapshottest.Run(t, factory(redis.Config{Addrs: c.Addrs(), Partitions: 4}))
	})
}

func TestKeep(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	s, err := redis.New(redis.Config{URL: srv.URL(), Keep: 2})
	require.NoError(t, err)
	defer s.Close()
	ctx := context.Background()
	id := uuid.New()
	for v := uint64(1); v <= 5; v++ {
		require.NoError(t, s.Save(ctx, domain.Snapshot{AggregateID: id, Type: "t", Version: v * 10}))
	}
	got, err := s.Latest(ctx, id, 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(50), got.Version)
	got, err = s.Latest(ctx, id, 45)
	require.NoError(t, err)
	assert.Equal(t, uint64(40), got.Version)
	_, err = s.Latest(ctx, id, 39)
	assert.ErrorIs(t, err, snapshots.ErrNotFound, "only the two highest are kept")
}

func TestConfig(t *testing.T) {
	for name, cfg := range map[string]redis.Config{
		"nothing":     {},
		"URL+Addrs":   {URL: "redis://localhost:1", Addrs: []string{"localhost:2"}},
		"bad scheme":  {URL: "http://localhost"},
		"brace":       {URL: "redis://localhost:1", KeyPrefix: "a{b"},
		"Keep":        {URL: "redis://localhost:1", Keep: -1},
		"Partitions":  {URL: "redis://localhost:1", Partitions: -1},
		"bad db path": {URL: "redis://localhost:1/x"},
	} {
		_, err := redis.New(cfg)
		assert.ErrorIs(t, err, redis.ErrConfig, name)
	}
}
