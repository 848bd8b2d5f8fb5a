package redistest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/internal/redistest"
)

func TestServer(t *testing.T) {
	ctx := context.Background()
	for _, opts := range []redistest.Options{{}, {UnixSocket: true, AOF: true, Fsync: "always"}} {
		s := redistest.StartServer(t, opts)
		c := s.Client()
		require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
		s.Kill9()
		s.Restart()
		v, err := c.Get(ctx, "k").Result()
		if opts.AOF {
			require.NoError(t, err)
			require.Equal(t, "v", v)
		} else {
			require.Error(t, err, "without AOF the key is gone after kill -9")
		}
	}
}

func TestCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	cl := c.Client()
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c", "d"} {
		require.NoError(t, cl.Set(ctx, k, k, 0).Err())
		require.Equal(t, k, cl.Get(ctx, k).Val())
	}
}
