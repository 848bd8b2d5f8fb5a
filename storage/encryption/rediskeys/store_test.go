package rediskeys_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/storage/encryption"
	"github.com/factum-dev/factum/storage/encryption/keystoretest"
	"github.com/factum-dev/factum/storage/encryption/rediskeys"
)

var prefixes atomic.Int64

func TestConformance(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	c := srv.Client()
	t.Cleanup(func() { _ = c.Close() })
	keystoretest.Run(t, func(t *testing.T) encryption.KeyStore {
		s, err := rediskeys.New(rediskeys.Config{Client: c, KeyPrefix: fmt.Sprintf("t%d:", prefixes.Add(1))})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestConformanceCluster(t *testing.T) {
	cl := redistest.StartCluster(t)
	c := cl.Client()
	t.Cleanup(func() { _ = c.Close() })
	keystoretest.Run(t, func(t *testing.T) encryption.KeyStore {
		s, err := rediskeys.New(rediskeys.Config{Client: c, KeyPrefix: fmt.Sprintf("t%d:", prefixes.Add(1))})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
