package redistest_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/internal/redistest"
)

// twoWrites is a script with two writes: Redis 7 writes its effects to the
// AOF as one MULTI/EXEC block.
const twoWrites = `redis.call('SET', KEYS[1], '1'); redis.call('SET', KEYS[2], '1'); return 1`

// TestTornTransactionAfterKill9 tears the AOF's tail inside a script's
// MULTI/EXEC block, as a SIGKILL during the server's write of its AOF
// buffer does, then restarts twice with writes in between. The torn script
// must be gone, whole, after both restarts, and the later script there,
// whole. (redis-server 7.0 alone, with aof-load-truncated yes, cuts the
// tail after the last complete command inside the block and leaves a
// MULTI without EXEC in the file: the next script's block is then nested
// in it, and the next restart applies half of the torn script.)
func TestTornTransactionAfterKill9(t *testing.T) {
	ctx := context.Background()
	s := redistest.StartServer(t, redistest.Options{AOF: true, Fsync: "always"})
	c := s.Client()
	require.NoError(t, c.Eval(ctx, twoWrites, []string{"a1", "a2"}).Err())
	require.NoError(t, c.Eval(ctx, twoWrites, []string{"torn1", "torn2"}).Err())
	s.Kill9()

	// Tear the last block after its first SET, in the middle of the second.
	aof := lastIncrAOF(t, s.Dir())
	b, err := os.ReadFile(aof)
	require.NoError(t, err)
	second := bytes.LastIndex(b, []byte("torn2"))
	require.Positive(t, second)
	require.NoError(t, os.Truncate(aof, int64(second)+2))

	s.Restart()
	require.Equal(t, int64(0), c.Exists(ctx, "torn1", "torn2").Val(), "the torn script is not applied")
	require.Equal(t, int64(2), c.Exists(ctx, "a1", "a2").Val())
	require.NoError(t, c.Eval(ctx, twoWrites, []string{"b1", "b2"}).Err())
	s.Kill9()
	s.Restart()
	require.Equal(t, int64(0), c.Exists(ctx, "torn1", "torn2").Val(), "the torn script is not applied after a second restart")
	require.Equal(t, int64(2), c.Exists(ctx, "a1", "a2").Val())
	require.Equal(t, int64(2), c.Exists(ctx, "b1", "b2").Val(), "the script after the repair is there, whole")
}

func lastIncrAOF(t *testing.T, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.incr.aof"))
	require.NoError(t, err)
	require.NotEmpty(t, m, "no incremental AOF in %s", dir)
	return m[len(m)-1]
}
