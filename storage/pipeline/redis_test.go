package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/journal/hashchain"
	jredis "github.com/factum-dev/factum/journal/redis"
	sredis "github.com/factum-dev/factum/snapshots/redis"
	"github.com/factum-dev/factum/storage/encryption"
	"github.com/factum-dev/factum/storage/pipeline"
)

// dump returns every value stored in Redis, whatever its type.
func dump(t *testing.T, c *goredis.Client) []byte {
	t.Helper()
	ctx := context.Background()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, k := range keys {
		typ, err := c.Type(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		var v any
		switch typ {
		case "string":
			v, err = c.Get(ctx, k).Result()
		case "list":
			v, err = c.LRange(ctx, k, 0, -1).Result()
		case "hash":
			v, err = c.HGetAll(ctx, k).Result()
		case "set":
			v, err = c.SMembers(ctx, k).Result()
		case "zset":
			v, err = c.ZRangeWithScores(ctx, k, 0, -1).Result()
		case "stream":
			v, err = c.XRange(ctx, k, "-", "+").Result()
		default:
			t.Fatalf("key %s has type %s", k, typ)
		}
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%s %v\n", k, v)
	}
	return out.Bytes()
}

// With encryption on, no event payload or snapshot state is readable in
// Redis; with it off (the control) the same run leaves them in the clear.
func TestRedisHoldsNoPlaintext(t *testing.T) {
	secrets := []string{"Fido", "roll over", "fetch ball", "tricks"}
	for _, tc := range []struct {
		name      string
		cfg       pipeline.Config
		plaintext bool
	}{
		{"off", pipeline.Config{}, true},
		{"zstd", pipeline.Config{Compression: "zstd"}, true}, // small payloads are stored as they are
		{"aes", pipeline.Config{CipherKeyBase64: randomKey()}, false},
		{"everything", allOn(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			srv := redistest.StartServer(t, redistest.Options{})
			j, err := jredis.New(ctx, jredis.Config{URL: srv.URL()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = j.Close() })
			snaps, err := sredis.New(sredis.Config{URL: srv.URL()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = snaps.Close() })
			p := build(t, tc.cfg, pipeline.Deps{Journal: j, KeyStore: encryption.NewMemoryKeyStore()})
			app := newSchool(t, p, snaps)
			fido, err := app.RegisterDog(ctx, "Fido")
			if err != nil {
				t.Fatal(err)
			}
			for _, trick := range []string{"roll over", "fetch ball", "sit"} {
				if err := app.AddTrick(ctx, fido, trick); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := snaps.Latest(ctx, fido, 0); err != nil {
				t.Fatalf("no snapshot in Redis: %v", err)
			}
			if got, err := app.GetDog(ctx, fido); err != nil || got.Name != "Fido" || len(got.Tricks) != 3 {
				t.Fatalf("GetDog = %+v, %v", got, err)
			}
			c := srv.Client()
			t.Cleanup(func() { _ = c.Close() })
			all := dump(t, c)
			for _, s := range secrets {
				if found := bytes.Contains(all, []byte(s)); found != tc.plaintext {
					t.Errorf("%q in Redis: %v, want %v", s, found, tc.plaintext)
				}
			}
			if tc.cfg.HashChain {
				if err := hashchain.Verify(ctx, p.Journal, fido); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestRedisMetadataEndToEnd(t *testing.T) {
	ctx := context.Background()
	srv := redistest.StartServer(t, redistest.Options{})
	for name, cfg := range map[string]pipeline.Config{"plain": {}, "everything": allOn()} {
		t.Run(name, func(t *testing.T) {
			j, err := jredis.New(ctx, jredis.Config{URL: srv.URL(), KeyPrefix: name + ":"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = j.Close() })
			testMetadata(t, cfg, j)
		})
	}
}
