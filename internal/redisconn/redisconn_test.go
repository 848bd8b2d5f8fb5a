package redisconn_test

import (
	"runtime"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/internal/redisconn"
)

func TestCheck(t *testing.T) {
	bad := map[string]redisconn.Config{
		"nothing":       {},
		"both":          {URL: "redis://a:1", Addrs: []string{"b:2"}},
		"scheme":        {URL: "http://a:1"},
		"unix cluster":  {URL: "unix:///tmp/s", Cluster: true},
		"addr":          {Addrs: []string{"nohostport"}},
		"pool":          {URL: "redis://a:1", PoolSize: -1},
		"timeout":       {URL: "redis://a:1", ReadTimeout: -1},
		"db not number": {URL: "redis://a:1/x"},
	}
	for name, c := range bad {
		assert.Error(t, c.Check(), name)
	}
	err := redisconn.Config{URL: "ftp://user:secret@a:1"}.Check()
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret", "the password is redacted")

	for _, c := range []redisconn.Config{
		{URL: "redis://localhost:6379/2"},
		{URL: "rediss://user:pw@localhost:6380"},
		{URL: "unix:///tmp/redis.sock?db=1"},
		{URL: "redis://localhost:7000", Cluster: true},
		{Addrs: []string{"a:1", "b:2"}},
	} {
		assert.NoError(t, c.Check(), c.URL)
	}
}

func TestOpen(t *testing.T) {
	c, err := redisconn.Config{URL: "redis://user:pw@localhost:6379/3", NoRetry: true, PoolSize: 7}.Open()
	require.NoError(t, err)
	defer c.Close()
	single, ok := c.(*goredis.Client)
	require.True(t, ok)
	o := single.Options()
	assert.Equal(t, 3, o.DB)
	assert.Equal(t, "user", o.Username)
	assert.LessOrEqual(t, o.MaxRetries, 0, "no retries")
	assert.Equal(t, 7, o.PoolSize)

	cc, err := redisconn.Config{Addrs: []string{"a:1"}, Password: "explicit"}.Open()
	require.NoError(t, err)
	defer cc.Close()
	cluster, ok := cc.(*goredis.ClusterClient)
	require.True(t, ok)
	assert.Equal(t, "explicit", cluster.Options().Password)
}

// TestOpenPoolSize checks that the URL's pool_size is used unless
// PoolSize is set, for a single node and for a cluster.
func TestOpenPoolSize(t *testing.T) {
	for _, tc := range []struct {
		url      string
		explicit int
		want     int
	}{
		{"redis://localhost:6379/0?pool_size=25", 0, 25},
		{"redis://localhost:6379/0?pool_size=25", 7, 7},
		{"redis://localhost:6379/0", 7, 7},
	} {
		c, err := redisconn.Config{URL: tc.url, PoolSize: tc.explicit}.Open()
		require.NoError(t, err)
		assert.Equal(t, tc.want, c.(*goredis.Client).Options().PoolSize, "%s with PoolSize %d", tc.url, tc.explicit)
		require.NoError(t, c.Close())
		cc, err := redisconn.Config{URL: tc.url, Cluster: true, PoolSize: tc.explicit}.Open()
		require.NoError(t, err)
		assert.Equal(t, tc.want, cc.(*goredis.ClusterClient).Options().PoolSize, "cluster %s with PoolSize %d", tc.url, tc.explicit)
		require.NoError(t, cc.Close())
	}
}

// Check builds a client to see that the URL parses; every go-redis client
// runs a goroutine until it is closed, so Check must close it.
func TestCheckLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 20 {
		require.NoError(t, redisconn.Config{URL: "redis://localhost:6379"}.Check())
		require.NoError(t, redisconn.Config{URL: "redis://localhost:7000", Cluster: true}.Check())
	}
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+2 }, 5*time.Second, 10*time.Millisecond,
		"goroutines: %d before 40 Checks, %d after", before, runtime.NumGoroutine())
}
