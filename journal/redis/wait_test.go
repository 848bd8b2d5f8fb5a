package redis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/journal/journaltest"
	"github.com/factum-dev/factum/journal/redis"
)

// Tailing partitions (one Wait each, blocked in XREAD) must not take the
// connections that appends and reads need: with as many waiters as the
// pool has connections, they still go through at once.
func TestWaitersDoNotStarveOthers(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	ctx := context.Background()
	const pool = 2
	j, err := redis.New(ctx, redis.Config{URL: srv.URL(), Partitions: pool, PoolSize: pool})
	require.NoError(t, err)
	defer j.Close()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	for p := range pool {
		go func() { _, _ = j.Wait(wctx, p, 1<<40) }()
	}
	rc := srv.Client()
	require.Eventually(t, func() bool {
		list, err := rc.ClientList(ctx).Result()
		return err == nil && strings.Count(list, "cmd=xread") == pool
	}, 10*time.Second, 5*time.Millisecond, "the waiters never blocked in XREAD")

	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	id := uuid.New()
	_, err = j.Append(short, id, 0, journaltest.Records(id, 1, 1))
	require.NoError(t, err, "append while %d waiters hold XREAD BLOCK", pool)
	_, err = j.Read(short, id, 1, 0)
	require.NoError(t, err, "read while %d waiters hold XREAD BLOCK", pool)
	_, err = j.Head(short, 0)
	require.NoError(t, err, "head while %d waiters hold XREAD BLOCK", pool)
}
