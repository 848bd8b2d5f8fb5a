package redishistory_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/app/historytest"
	"github.com/factum-dev/factum/app/redishistory"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/journal"
	jredis "github.com/factum-dev/factum/journal/redis"
	"github.com/factum-dev/factum/snapshots"
	sredis "github.com/factum-dev/factum/snapshots/redis"
)

// factory opens a journal and a snapshot store under a fresh key prefix
// (jcfg and scfg give the server or cluster) and the reader of both.
func factory(jcfg jredis.Config, scfg sredis.Config) historytest.Factory {
	return func(t *testing.T) (journal.Journal, snapshots.Store, app.HistoryReader) {
		prefix := "h" + uuid.NewString()[:8] + ":"
		jcfg.KeyPrefix, scfg.KeyPrefix = prefix, prefix
		j, err := jredis.New(context.Background(), jcfg)
		require.NoError(t, err)
		t.Cleanup(func() { _ = j.Close() })
		s, err := sredis.New(scfg)
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		r, err := redishistory.New(j, s)
		require.NoError(t, err)
		return j, s, r
	}
}

func TestConformance(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	for _, p := range []int{1, 4} {
		historytest.Run(t, factory(jredis.Config{URL: srv.URL(), Partitions: p}, sredis.Config{URL: srv.URL(), Partitions: p}))
	}
}

func TestConformanceCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	c := redistest.StartCluster(t)
	historytest.Run(t, factory(jredis.Config{Addrs: c.Addrs(), Partitions: 8}, sredis.Config{Addrs: c.Addrs(), Partitions: 8}))
}

// TestLayout checks that New refuses stores whose keys of an aggregate
// would be in different hash slots.
func TestLayout(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	j, err := jredis.New(context.Background(), jredis.Config{URL: srv.URL(), Partitions: 4, KeyPrefix: "a:"})
	require.NoError(t, err)
	defer j.Close()
	for _, cfg := range []sredis.Config{
		{URL: srv.URL(), KeyPrefix: "a:"},                // a tag per aggregate
		{URL: srv.URL(), Partitions: 2, KeyPrefix: "a:"}, // other partitions
		{URL: srv.URL(), Partitions: 4, KeyPrefix: "b:"}, // another prefix
	} {
		s, err := sredis.New(cfg)
		require.NoError(t, err)
		_, err = redishistory.New(j, s)
		assert.ErrorIs(t, err, redishistory.ErrLayout, "%+v", cfg)
		require.NoError(t, s.Close())
	}
}

// TestUndecodableSnapshot checks that a snapshot that cannot be decoded
// is passed over: the reader returns all the events.
func TestUndecodableSnapshot(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	j, s, r := factory(jredis.Config{URL: srv.URL(), Partitions: 2}, sredis.Config{URL: srv.URL(), Partitions: 2})(t)
	ctx := context.Background()
	id := uuid.New()
	_, err := j.Append(ctx, id, 0, []journal.Record{{AggregateID: id, Version: 1, Type: "t", Data: []byte("1")}, {AggregateID: id, Version: 2, Type: "t", Data: []byte("2")}})
	require.NoError(t, err)
	require.NoError(t, s.Save(ctx, domain.Snapshot{AggregateID: id, Type: "a", Version: 1, Data: []byte("{}")}))
	key := s.(*sredis.Store).Key(id)
	require.NoError(t, srv.Client().Del(ctx, key).Err())
	require.NoError(t, srv.Client().ZAdd(ctx, key, goredis.Z{Score: 1, Member: "\xff\xff not a stored snapshot"}).Err())
	_, found, recs, err := r.ReadHistory(ctx, id, 0)
	require.NoError(t, err)
	assert.False(t, found)
	require.Len(t, recs, 2)
	assert.EqualValues(t, 1, recs[0].Version)
}
