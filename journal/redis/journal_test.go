package redis_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/journaltest"
	"github.com/factum-dev/factum/journal/redis"
)

var prefixes atomic.Int64

// factory returns journals on srv, each under its own key prefix.
func factory(cfg redis.Config) journaltest.Factory {
	return func(t testing.TB, partitions int) journal.Journal {
		c := cfg
		c.Partitions = partitions
		c.KeyPrefix = fmt.Sprintf("t%d:", prefixes.Add(1))
		j, err := redis.New(context.Background(), c)
		require.NoError(t, err)
		return j
	}
}

func TestConformance(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	journaltest.Run(t, factory(redis.Config{URL: srv.URL()}))
}

func TestConformanceUnixSocket(t *testing.T) {
	if testing.Short() {
		t.Skip("the TCP run covers the same code")
	}
	srv := redistest.StartServer(t, redistest.Options{UnixSocket: true})
	journaltest.Run(t, factory(redis.Config{URL: srv.URL()}))
}

func TestConformanceCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	journaltest.RunWith(t, factory(redis.Config{Addrs: c.Addrs()}), journaltest.Features{AppendManyOnePartition: true})
}
