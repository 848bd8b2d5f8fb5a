package hashchain_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"

	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/journal/hashchain"
	"github.com/factum-dev/factum/journal/redis"
)

// flipInStream rewrites the stream at key with one byte of the first entry
// that contains marker flipped (stream entries cannot be changed in
// place, so the stream is rebuilt with the same ids).
func flipInStream(t *testing.T, c *goredis.Client, key string, marker []byte) {
	t.Helper()
	ctx := context.Background()
	entries, err := c.XRange(ctx, key, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	flipped := false
	pipe := c.TxPipeline()
	pipe.Del(ctx, key)
	for _, e := range entries {
		v := []byte(e.Values["e"].(string))
		if i := bytes.Index(v, marker); i >= 0 && !flipped {
			v[i] ^= 0x20
			flipped = true
		}
		pipe.XAdd(ctx, &goredis.XAddArgs{Stream: key, ID: e.ID, Values: []any{"e", v}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if !flipped {
		t.Fatalf("no entry of %s contains %q", key, marker)
	}
}

func TestRedisFlippedByteIsFound(t *testing.T) {
	ctx := context.Background()
	srv := redistest.StartServer(t, redistest.Options{})
	rj, err := redis.New(ctx, redis.Config{URL: srv.URL(), KeyPrefix: "hc:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rj.Close() })
	j := wrap(t, rj, hashchain.Config{})
	a, b := uuid.New(), uuid.New()
	appendN(t, j, a, 0, 4)
	recs := records(b, 1, 4)
	recs[2].Data = []byte(`{"n":3,"who":"Snoopy"}`)
	if _, err := j.Append(ctx, b, 0, recs); err != nil {
		t.Fatal(err)
	}
	if err := hashchain.Verify(ctx, j, b); err != nil {
		t.Fatalf("before the flip: %v", err)
	}
	if err := hashchain.VerifyLog(ctx, j, 0); err != nil {
		t.Fatalf("before the flip: %v", err)
	}

	c := srv.Client()
	t.Cleanup(func() { _ = c.Close() })
	flipInStream(t, c, "hc:{p0}:log", []byte("Snoopy"))

	if err := hashchain.Verify(ctx, j, a); err != nil {
		t.Fatalf("the untouched aggregate: %v", err)
	}
	brokenAt(t, hashchain.Verify(ctx, j, b), b, 3)
	bl := brokenAt(t, hashchain.VerifyLog(ctx, j, 0), b, 3)
	if bl.Position != 7 {
		t.Fatalf("broken link at position %d, want 7", bl.Position)
	}
	_, err = j.Read(ctx, b, 1, 0)
	brokenAt(t, err, b, 3)
}
