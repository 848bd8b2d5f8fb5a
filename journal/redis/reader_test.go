package redis_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/journal/journaltest"
	"github.com/factum-dev/factum/journal/redis"
)

// TestConcurrentReads reads many aggregates at once, as an activation
// storm does, with Read and ReadAfter, after the server's script cache
// was flushed (the first pipelines are refused with NOSCRIPT and sent
// again): every read gets its own aggregate's records, in order.
func TestConcurrentReads(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	ctx := context.Background()
	j, err := redis.New(ctx, redis.Config{URL: srv.URL(), Partitions: 4})
	require.NoError(t, err)
	defer j.Close()
	const aggregates = 300
	ids := make([]uuid.UUID, aggregates)
	for i := range ids {
		ids[i] = uuid.New()
		_, err := j.Append(ctx, ids[i], 0, journaltest.Records(ids[i], 1, 1+i%5))
		require.NoError(t, err)
	}
	// A version in a sorted set beside aggregate 0's keys: ReadAfter
	// starts after it.
	zkey := "x:" + j.HashTag(ids[0]) + ":z"
	require.NoError(t, srv.Client().Do(ctx, "ZADD", zkey, 0, "none").Err())
	require.NoError(t, srv.Client().ScriptFlush(ctx).Err())
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			want := 1 + i%5
			if i%2 == 0 {
				recs, err := j.Read(ctx, id, 1, 0)
				if assert.NoError(t, err) && assert.Len(t, recs, want) {
					for k, r := range recs {
						assert.Equal(t, id, r.AggregateID)
						assert.EqualValues(t, k+1, r.Version)
					}
				}
				return
			}
			_, found, recs, err := j.ReadAfter(ctx, id, "x:"+j.HashTag(id)+":z"+id.String(), 0)
			if assert.NoError(t, err) && assert.Len(t, recs, want) {
				assert.False(t, found)
				for k, r := range recs {
					assert.Equal(t, id, r.AggregateID)
					assert.EqualValues(t, k+1, r.Version)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	member, found, recs, err := j.ReadAfter(ctx, ids[0], zkey, 0)
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, "none", string(member))
	assert.Len(t, recs, 1, "version 0 in the set: every record is after it")
}
