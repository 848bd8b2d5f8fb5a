// Package keystoretest is the conformance suite that every
// encryption.KeyStore passes.
//
// # Caveats
//
// The suite uses subjects with random names, so a store may be shared
// between its tests, but it never cleans up what it wrote.
package keystoretest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/storage/encryption"
)

// Factory returns a new, empty key store for one test; the test's cleanup
// closes it when needed.
type Factory func(t *testing.T) encryption.KeyStore

func key(id, master string) encryption.WrappedKey {
	return encryption.WrappedKey{ID: id, MasterID: master, Wrapped: []byte("wrapped " + id + " by " + master)}
}

func same(a, b encryption.WrappedKey) bool {
	return a.ID == b.ID && a.MasterID == b.MasterID && bytes.Equal(a.Wrapped, b.Wrapped)
}

// Run runs the suite against key stores made by newStore.
func Run(t *testing.T, newStore Factory) {
	ctx := context.Background()
	subject := func() string { return "subject-" + uuid.NewString() }

	t.Run("GetMissing", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Get(ctx, subject()); !errors.Is(err, encryption.ErrNoKey) {
			t.Fatalf("Get of a new subject: %v, want ErrNoKey", err)
		}
	})
	t.Run("CreateThenGet", func(t *testing.T) {
		s, sub := newStore(t), subject()
		k := key("k1", "m1")
		got, err := s.Create(ctx, sub, k)
		if err != nil || !same(got, k) {
			t.Fatalf("Create: %+v, %v", got, err)
		}
		if got, err = s.Get(ctx, sub); err != nil || !same(got, k) {
			t.Fatalf("Get: %+v, %v, want %+v", got, err, k)
		}
	})
	t.Run("FirstCreateWins", func(t *testing.T) {
		s, sub := newStore(t), subject()
		const n = 16
		var wg sync.WaitGroup
		got := make([]encryption.WrappedKey, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { got[i], errs[i] = s.Create(ctx, sub, key(uuid.NewString(), "m1")) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || !same(got[i], got[0]) {
				t.Fatalf("create %d: %+v, %v; create 0 got %+v", i, got[i], errs[i], got[0])
			}
		}
		if stored, err := s.Get(ctx, sub); err != nil || !same(stored, got[0]) {
			t.Fatalf("Get: %+v, %v, want %+v", stored, err, got[0])
		}
	})
	t.Run("Rewrap", func(t *testing.T) {
		s, sub := newStore(t), subject()
		if err := s.Rewrap(ctx, sub, key("k1", "m2")); !errors.Is(err, encryption.ErrNoKey) {
			t.Fatalf("Rewrap with no key: %v, want ErrNoKey", err)
		}
		if _, err := s.Create(ctx, sub, key("k1", "m1")); err != nil {
			t.Fatal(err)
		}
		if err := s.Rewrap(ctx, sub, key("k2", "m2")); !errors.Is(err, encryption.ErrNoKey) {
			t.Fatalf("Rewrap of another key id: %v, want ErrNoKey", err)
		}
		if err := s.Rewrap(ctx, sub, key("k1", "m2")); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get(ctx, sub); err != nil || !same(got, key("k1", "m2")) {
			t.Fatalf("Get after Rewrap: %+v, %v", got, err)
		}
	})
	t.Run("Shred", func(t *testing.T) {
		s, sub, other := newStore(t), subject(), subject()
		for _, x := range []string{sub, other} {
			if _, err := s.Create(ctx, x, key("k-"+x, "m1")); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if err := s.Shred(ctx, sub); err != nil {
				t.Fatalf("Shred: %v", err)
			}
		}
		if _, err := s.Get(ctx, sub); !errors.Is(err, encryption.ErrShredded) {
			t.Fatalf("Get after Shred: %v, want ErrShredded", err)
		}
		if _, err := s.Create(ctx, sub, key("k9", "m1")); !errors.Is(err, encryption.ErrShredded) {
			t.Fatalf("Create after Shred: %v, want ErrShredded", err)
		}
		if err := s.Rewrap(ctx, sub, key("k-"+sub, "m2")); !errors.Is(err, encryption.ErrShredded) {
			t.Fatalf("Rewrap after Shred: %v, want ErrShredded", err)
		}
		if _, err := s.Get(ctx, other); err != nil {
			t.Fatalf("Get of another subject: %v", err)
		}
		never := subject()
		if err := s.Shred(ctx, never); err != nil {
			t.Fatalf("Shred of a subject without a key: %v", err)
		}
		if _, err := s.Create(ctx, never, key("k1", "m1")); !errors.Is(err, encryption.ErrShredded) {
			t.Fatalf("Create for a subject shredded before it had a key: %v, want ErrShredded", err)
		}
	})
	t.Run("Range", func(t *testing.T) {
		s := newStore(t)
		want := map[string]encryption.WrappedKey{}
		var gone string
		for i := range 5 {
			sub := subject()
			k := key(uuid.NewString(), "m1")
			if _, err := s.Create(ctx, sub, k); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				if err := s.Shred(ctx, sub); err != nil {
					t.Fatal(err)
				}
				gone = sub
				continue
			}
			want[sub] = k
		}
		seen := map[string]bool{}
		err := s.Range(ctx, func(sub string, k encryption.WrappedKey) error {
			if sub == gone {
				t.Errorf("Range listed the shredded subject %s with key %+v", sub, k)
			}
			if w, ok := want[sub]; ok {
				if !same(k, w) {
					t.Errorf("Range gave %s %+v, want %+v", sub, k, w)
				}
				seen[sub] = true
			}
			return nil
		})
		if err != nil || len(seen) != len(want) {
			t.Fatalf("Range saw %d of %d live subjects (the shredded one must not be listed): %v", len(seen), len(want), err)
		}
		stop := errors.New("stop")
		calls := 0
		if err := s.Range(ctx, func(string, encryption.WrappedKey) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
			t.Fatalf("Range with fn failing: %d calls, %v", calls, err)
		}
	})
	t.Run("CanceledContext", func(t *testing.T) {
		s := newStore(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Get(cctx, subject()); !errors.Is(err, context.Canceled) {
			t.Fatalf("Get with a canceled context: %v", err)
		}
	})
}
