package redis_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/journaltest"
	"github.com/factum-dev/factum/journal/redis"
)

// A reply that does not come in time: the append may or may not have
// happened, and the caller can tell that from a conflict.
func TestTimeoutIsOutcomeUnknown(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	ctx := context.Background()
	j, err := redis.New(ctx, redis.Config{URL: srv.URL(), ReadTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	defer j.Close()
	// The server holds every write command for a second: the script is
	// sent, and runs after the client has given up on it.
	require.NoError(t, srv.Client().Do(ctx, "CLIENT", "PAUSE", 1000, "WRITE").Err())
	id := uuid.New()
	_, err = j.Append(ctx, id, 0, journaltest.Records(id, 1, 2))
	require.ErrorIs(t, err, journal.ErrOutcomeUnknown)
	assert.NotErrorIs(t, err, journal.ErrVersionConflict)
	assert.Contains(t, err.Error(), id.String())
	// Whatever happened, happened whole: after the pause the aggregate has
	// both records or none (here Redis drops the command of a client that
	// hung up while paused, so none; a busy server would have run it).
	require.NoError(t, srv.Client().Do(ctx, "CLIENT", "UNPAUSE").Err())
	recs, err := j.Read(ctx, id, 1, 0)
	require.NoError(t, err)
	assert.Contains(t, []int{0, 2}, len(recs))
}

// A caller whose context ends while its append is in flight is told the
// outcome is unknown, not that nothing happened.
func TestContextEndsInFlight(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	ctx := context.Background()
	j, err := redis.New(ctx, redis.Config{URL: srv.URL()})
	require.NoError(t, err)
	defer j.Close()
	require.NoError(t, srv.Client().Do(ctx, "CLIENT", "PAUSE", 500, "WRITE").Err())
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	id := uuid.New()
	_, err = j.Append(short, id, 0, journaltest.Records(id, 1, 1))
	require.ErrorIs(t, err, journal.ErrOutcomeUnknown)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// Nothing listening: the append was not sent.
func TestDownIsUnavailable(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	ctx := context.Background()
	j, err := redis.New(ctx, redis.Config{URL: srv.URL(), DialTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	defer j.Close()
	srv.Kill9()
	id := uuid.New()
	_, err = j.Append(ctx, id, 0, journaltest.Records(id, 1, 1))
	require.ErrorIs(t, err, journal.ErrUnavailable)
	_, err = j.Read(ctx, id, 1, 0)
	require.ErrorIs(t, err, journal.ErrUnavailable)
	// Back again: the same journal works, and the script is loaded again
	// (the restarted server's script cache is empty).
	srv.Restart()
	_, err = j.Append(ctx, id, 0, journaltest.Records(id, 1, 1))
	require.NoError(t, err)
}

func TestScriptFlushed(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	ctx := context.Background()
	j, err := redis.New(ctx, redis.Config{URL: srv.URL()})
	require.NoError(t, err)
	defer j.Close()
	id := uuid.New()
	_, err = j.Append(ctx, id, 0, journaltest.Records(id, 1, 1))
	require.NoError(t, err)
	require.NoError(t, srv.Client().ScriptFlush(ctx).Err())
	_, err = j.Append(ctx, id, 1, journaltest.Records(id, 2, 1))
	require.NoError(t, err)
	recs, err := j.Read(ctx, id, 1, 0)
	require.NoError(t, err)
	assert.Len(t, recs, 2)
}

func TestPartitionsRecorded(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	ctx := context.Background()
	j, err := redis.New(ctx, redis.Config{URL: srv.URL(), Partitions: 4})
	require.NoError(t, err)
	require.NoError(t, j.Close())
	_, err = redis.New(ctx, redis.Config{URL: srv.URL(), Partitions: 8})
	require.ErrorIs(t, err, redis.ErrPartitionsMismatch)
	assert.ErrorContains(t, err, "created with 4")
	j, err = redis.New(ctx, redis.Config{URL: srv.URL(), Partitions: 4})
	require.NoError(t, err)
	require.NoError(t, j.Close())
}

func TestReplicas(t *testing.T) {
	primary := redistest.StartServer(t, redistest.Options{})
	host, port, _ := net.SplitHostPort(primary.Addr())
	replica := redistest.StartServer(t, redistest.Options{Args: []string{"--replicaof", host, port}})
	ctx := context.Background()
	rc := replica.Client()
	require.Eventually(t, func() bool {
		info, err := rc.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "master_link_status:up")
	}, 20*time.Second, 10*time.Millisecond)

	j, err := redis.New(ctx, redis.Config{URL: primary.URL(), Replicas: 1})
	require.NoError(t, err)
	defer j.Close()
	id := uuid.New()
	_, err = j.Append(ctx, id, 0, journaltest.Records(id, 1, 2))
	require.NoError(t, err)

	two, err := redis.New(ctx, redis.Config{URL: primary.URL(), Replicas: 2, ReplicaTimeout: 100 * time.Millisecond})
	require.NoError(t, err)
	defer two.Close()
	_, err = two.Append(ctx, id, 2, journaltest.Records(id, 3, 1))
	require.ErrorIs(t, err, journal.ErrOutcomeUnknown, "one replica cannot confirm two")
	assert.ErrorContains(t, err, "1 confirmed")
}

func TestConfig(t *testing.T) {
	ctx := context.Background()
	for want, cfg := range map[string]redis.Config{
		"neither URL nor Addrs":      {},
		"both URL and Addrs":         {URL: "redis://localhost:1", Addrs: []string{"localhost:2"}},
		"scheme \"http\"":            {URL: "http://localhost"},
		"KeyPrefix":                  {URL: "redis://localhost:1", KeyPrefix: "a{b"},
		"Partitions = -1":            {URL: "redis://localhost:1", Partitions: -1},
		"Senders = -2":               {URL: "redis://localhost:1", Senders: -2},
		"Replicas = -1":              {URL: "redis://localhost:1", Replicas: -1},
		"ReplicaTimeout = 500µs":     {URL: "redis://localhost:1", Replicas: 1, ReplicaTimeout: 500 * time.Microsecond},
		"less than ReadTimeout = 3s": {URL: "redis://localhost:1", Replicas: 1, ReplicaTimeout: 5 * time.Second},
		"invalid database":           {URL: "redis://localhost:1/x"},
		"Addrs entry":                {Addrs: []string{"nohost"}},
		"unix socket":                {URL: "unix:///tmp/x.sock", Cluster: true},
	} {
		_, err := redis.New(ctx, cfg)
		require.ErrorIs(t, err, redis.ErrConfig, want)
		assert.ErrorContains(t, err, want)
	}
	// A password never shows in an error.
	_, err := redis.New(ctx, redis.Config{URL: "redis://u:secret@localhost:1/x"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret")
}
