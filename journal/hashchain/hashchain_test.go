package hashchain_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/hashchain"
	"github.com/factum-dev/factum/journal/memory"
)

func newMemory(t *testing.T) *memory.Journal {
	t.Helper()
	j, err := memory.New(memory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	return j
}

func wrap(t *testing.T, j journal.Journal, cfg hashchain.Config) *hashchain.Journal {
	t.Helper()
	w, err := hashchain.Wrap(j, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func records(id uuid.UUID, from uint64, n int) []journal.Record {
	out := make([]journal.Record, n)
	for i := range out {
		v := from + uint64(i)
		out[i] = journal.Record{AggregateID: id, Version: v, Type: "test.Happened", SchemaVersion: 1,
			Time: time.Unix(1700000000, int64(v)), Data: fmt.Appendf(nil, `{"n":%d,"who":"Fido"}`, v),
			Meta: domain.Metadata{CorrelationID: "corr", CausationID: fmt.Sprint("cmd-", v), Extra: map[string]string{"k": "v"}}}
	}
	return out
}

func appendN(t *testing.T, j journal.Journal, id uuid.UUID, expected uint64, n int) {
	t.Helper()
	if _, err := j.Append(context.Background(), id, expected, records(id, expected+1, n)); err != nil {
		t.Fatalf("append %s at %d: %v", id, expected, err)
	}
}

func brokenAt(t *testing.T, err error, id uuid.UUID, version uint64) *hashchain.BrokenLinkError {
	t.Helper()
	var b *hashchain.BrokenLinkError
	if !errors.As(err, &b) || !errors.Is(err, hashchain.ErrBrokenChain) || !errors.Is(err, journal.ErrCorrupt) {
		t.Fatalf("got %v, want a BrokenLinkError", err)
	}
	if b.AggregateID != id || b.Version != version {
		t.Fatalf("broken link at %s version %d, want %s version %d (%v)", b.AggregateID, b.Version, id, version, err)
	}
	if !strings.Contains(err.Error(), id.String()) || !strings.Contains(err.Error(), fmt.Sprint("version ", version)) {
		t.Fatalf("error %q does not name aggregate and version", err)
	}
	return b
}

func TestChainAndVerify(t *testing.T) {
	ctx := context.Background()
	mem := newMemory(t)
	j := wrap(t, mem, hashchain.Config{})
	id := uuid.New()
	appendN(t, j, id, 0, 3)
	appendN(t, j, id, 3, 1)
	in := records(id, 5, 1)
	appendN(t, j, id, 4, 1)
	if in[0].Headers != nil {
		t.Fatalf("Append changed the caller's record headers")
	}
	recs, err := mem.Read(ctx, id, 1, 0)
	if err != nil || len(recs) != 5 {
		t.Fatalf("read %d, %v", len(recs), err)
	}
	prev := ""
	for _, r := range recs {
		if r.Headers[hashchain.HeaderPrev] != prev {
			t.Fatalf("version %d names previous %q, want %q", r.Version, r.Headers[hashchain.HeaderPrev], prev)
		}
		if h := r.Headers[hashchain.HeaderHash]; h != hashchain.Sum(&r) || len(h) != 64 {
			t.Fatalf("version %d hash %q", r.Version, h)
		}
		prev = r.Headers[hashchain.HeaderHash]
	}
	if err := hashchain.Verify(ctx, j, id); err != nil {
		t.Fatal(err)
	}
	if err := hashchain.VerifyLog(ctx, j, 0); err != nil {
		t.Fatal(err)
	}
}

// Every field the hash covers changes it.
func TestSumCoversEveryField(t *testing.T) {
	base := records(uuid.New(), 2, 1)[0]
	base.Headers = map[string]string{"compression": "zstd", hashchain.HeaderPrev: "abc"}
	sum := hashchain.Sum(&base)
	for name, change := range map[string]func(r *journal.Record){
		"id":             func(r *journal.Record) { r.AggregateID = uuid.New() },
		"version":        func(r *journal.Record) { r.Version++ },
		"type":           func(r *journal.Record) { r.Type += "x" },
		"schema version": func(r *journal.Record) { r.SchemaVersion++ },
		"time":           func(r *journal.Record) { r.Time = r.Time.Add(time.Nanosecond) },
		"data":           func(r *journal.Record) { r.Data = append([]byte{}, r.Data...); r.Data[0] ^= 1 },
		"correlation":    func(r *journal.Record) { r.Meta.CorrelationID += "x" },
		"causation":      func(r *journal.Record) { r.Meta.CausationID += "x" },
		"extra":          func(r *journal.Record) { r.Meta.Extra = map[string]string{"k": "w"} },
		"header": func(r *journal.Record) {
			r.Headers = map[string]string{"compression": "zlib", hashchain.HeaderPrev: "abc"}
		},
		"prev": func(r *journal.Record) {
			r.Headers = map[string]string{"compression": "zstd", hashchain.HeaderPrev: "abd"}
		},
		"moved field": func(r *journal.Record) {
			r.Meta.CorrelationID, r.Meta.CausationID = r.Meta.CorrelationID+"c", r.Meta.CausationID[1:]
		},
	} {
		r := base
		change(&r)
		if hashchain.Sum(&r) == sum {
			t.Errorf("changing the %s does not change the hash", name)
		}
	}
	r := base
	r.Headers = map[string]string{"compression": "zstd", hashchain.HeaderPrev: "abc", hashchain.HeaderHash: "whatever"}
	if hashchain.Sum(&r) != sum {
		t.Errorf("the hash covers its own header")
	}
}

func TestTamperedRecordIsFound(t *testing.T) {
	ctx := context.Background()
	mem := newMemory(t)
	j := wrap(t, mem, hashchain.Config{})
	a, b := uuid.New(), uuid.New()
	appendN(t, j, a, 0, 5)
	appendN(t, j, b, 0, 5)
	// The memory journal's records share their bytes with it: flip one of
	// b's version 3 as stored.
	stored, _ := mem.Read(ctx, b, 3, 3)
	stored[0].Data[2] ^= 0x20
	if err := hashchain.Verify(ctx, j, a); err != nil {
		t.Fatalf("the untouched aggregate: %v", err)
	}
	brokenAt(t, hashchain.Verify(ctx, j, b), b, 3)
	bl := brokenAt(t, hashchain.VerifyLog(ctx, mem, 0), b, 3)
	if bl.Position != 8 {
		t.Fatalf("broken link at position %d, want 8", bl.Position)
	}
	_, err := j.Read(ctx, b, 1, 0)
	brokenAt(t, err, b, 3)
	_, err = j.Select(ctx, 0, 1, 100)
	brokenAt(t, err, b, 3)
	if _, err := wrap(t, mem, hashchain.Config{TrustReads: true}).Read(ctx, b, 1, 0); err != nil {
		t.Fatalf("TrustReads: %v", err)
	}
}

// A record whose own hash is consistent but that does not link to its
// predecessor (a replaced event with a recomputed hash) is found.
func TestRelinkedRecordIsFound(t *testing.T) {
	ctx := context.Background()
	mem := newMemory(t)
	id := uuid.New()
	appendN(t, wrap(t, mem, hashchain.Config{}), id, 0, 2)
	forged := records(id, 3, 1)
	forged[0].Headers = map[string]string{hashchain.HeaderPrev: strings.Repeat("0", 64)}
	forged[0].Headers[hashchain.HeaderHash] = hashchain.Sum(&forged[0])
	if _, err := mem.Append(ctx, id, 2, forged); err != nil {
		t.Fatal(err)
	}
	brokenAt(t, hashchain.Verify(ctx, mem, id), id, 3)
	brokenAt(t, hashchain.VerifyLog(ctx, mem, 0), id, 3)
}

func TestChainingTurnedOnLater(t *testing.T) {
	ctx := context.Background()
	mem := newMemory(t)
	id := uuid.New()
	appendN(t, mem, id, 0, 2) // before chaining
	j := wrap(t, mem, hashchain.Config{})
	appendN(t, j, id, 2, 2)
	if err := hashchain.Verify(ctx, j, id); err != nil {
		t.Fatalf("chain started at version 3: %v", err)
	}
	if _, err := j.Read(ctx, id, 1, 0); err != nil {
		t.Fatal(err)
	}
	appendN(t, mem, id, 4, 1) // past the wrapper
	brokenAt(t, hashchain.Verify(ctx, j, id), id, 5)
}

// Two processes (two wrappers, each with its own cache) race to append
// to one aggregate. The loser's hashes must not leak into its cache: its
// next append, at the winner's version, chains to the winner's record.
func TestLoserOfARaceKeepsTheChain(t *testing.T) {
	ctx := context.Background()
	mem := newMemory(t)
	p1, p2 := wrap(t, mem, hashchain.Config{}), wrap(t, mem, hashchain.Config{})
	id := uuid.New()
	appendN(t, p1, id, 0, 1)
	if _, err := p2.Read(ctx, id, 1, 0); err != nil { // p2 caches version 1
		t.Fatal(err)
	}
	appendN(t, p1, id, 1, 1) // p1 wins version 2
	loser := records(id, 2, 1)
	loser[0].Data = []byte(`{"loser":true}`)
	if _, err := p2.Append(ctx, id, 1, loser); !errors.Is(err, journal.ErrVersionConflict) {
		t.Fatalf("losing append: %v", err)
	}
	// p2 rebuilt from a snapshot at version 2: it appends without reading.
	appendN(t, p2, id, 2, 1)
	appendN(t, p1, id, 3, 1) // p1's cache is at 2: it reads version 3
	if err := hashchain.Verify(ctx, mem, id); err != nil {
		t.Fatal(err)
	}
}

// Many writers in two processes append to a few aggregates at once,
// reloading on conflict; every chain verifies at the end.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	mem := newMemory(t)
	procs := []*hashchain.Journal{wrap(t, mem, hashchain.Config{CacheSize: 2}), wrap(t, mem, hashchain.Config{})}
	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	var wg sync.WaitGroup
	for w := range 12 {
		wg.Go(func() {
			j := procs[w%2]
			id := ids[w%len(ids)]
			for done := 0; done < 30; {
				recs, err := j.Read(ctx, id, 1, 0)
				if err != nil {
					t.Error(err)
					return
				}
				v := uint64(len(recs))
				if _, err := j.Append(ctx, id, v, records(id, v+1, 1+w%3)); err == nil {
					done++
				} else if !errors.Is(err, journal.ErrVersionConflict) {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		if err := hashchain.Verify(ctx, mem, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := hashchain.VerifyLog(ctx, mem, 0); err != nil {
		t.Fatal(err)
	}
}

// With a cache of one entry, appends to many aggregates read the previous
// record from the journal, and the chains still verify.
func TestCacheMisses(t *testing.T) {
	ctx := context.Background()
	mem := newMemory(t)
	j := wrap(t, mem, hashchain.Config{CacheSize: 1})
	ids := make([]uuid.UUID, 50)
	for i := range ids {
		ids[i] = uuid.New()
		appendN(t, j, ids[i], 0, 1)
	}
	for _, id := range ids {
		appendN(t, j, id, 1, 2)
	}
	for _, id := range ids {
		if err := hashchain.Verify(ctx, mem, id); err != nil {
			t.Fatal(err)
		}
	}
	// Appending at a version the stream has not reached is a conflict.
	if _, err := j.Append(ctx, ids[0], 7, records(ids[0], 8, 1)); !errors.Is(err, journal.ErrVersionConflict) {
		t.Fatalf("append past the end: %v", err)
	}
}

func TestVerifyLongChain(t *testing.T) {
	ctx := context.Background()
	mem := newMemory(t)
	j := wrap(t, mem, hashchain.Config{})
	id := uuid.New()
	for v := uint64(0); v < 2500; v += 100 {
		appendN(t, j, id, v, 100)
	}
	if err := hashchain.Verify(ctx, j, id); err != nil {
		t.Fatal(err)
	}
	stored, _ := mem.Read(ctx, id, 2222, 2222)
	stored[0].Data[0] ^= 1
	brokenAt(t, hashchain.Verify(ctx, j, id), id, 2222)
	brokenAt(t, hashchain.VerifyLog(ctx, j, 0), id, 2222)
}
