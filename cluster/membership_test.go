package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/cluster"
	"github.com/factum-dev/factum/internal/redistest"
)

func ids(ms []cluster.Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func TestMembership(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	client := srv.Client()
	ctx := context.Background()
	m := cluster.NewMembership(client, "m1:", 300*time.Millisecond)

	live, err := m.Live(ctx)
	require.NoError(t, err)
	require.Empty(t, live)

	require.NoError(t, m.Heartbeat(ctx, "b", "127.0.0.1:2"))
	require.NoError(t, m.Heartbeat(ctx, "a", "127.0.0.1:1"))
	live, err = m.Live(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, ids(live))
	require.Equal(t, "127.0.0.1:1", live[0].Addr)
	redisNow, err := client.Time(ctx).Result()
	require.NoError(t, err)
	require.WithinDuration(t, redisNow, live[0].Heartbeat, time.Second, "scored with Redis's clock")

	// a keeps beating, b stops: b is dead after DeadAfter.
	require.Eventually(t, func() bool {
		require.NoError(t, m.Heartbeat(ctx, "a", "127.0.0.1:1"))
		live, err = m.Live(ctx)
		require.NoError(t, err)
		return len(live) == 1
	}, 5*time.Second, 20*time.Millisecond)
	require.Equal(t, []string{"a"}, ids(live))

	// Another prefix is another cluster.
	other, err := cluster.NewMembership(client, "m2:", time.Second).Live(ctx)
	require.NoError(t, err)
	require.Empty(t, other)

	require.NoError(t, m.Leave(ctx, "a"))
	live, err = m.Live(ctx)
	require.NoError(t, err)
	require.Empty(t, live)
}

func TestMembershipOnRedisCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("TestMembership covers the scripts")
	}
	c := redistest.StartCluster(t)
	ctx := context.Background()
	m := cluster.NewMembership(c.Client(), "m1:", time.Second)
	require.NoError(t, m.Heartbeat(ctx, "a", "x:1"))
	live, err := m.Live(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, ids(live))
}
