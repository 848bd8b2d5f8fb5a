package encryption_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/memory"
	"github.com/factum-dev/factum/storage/encryption"
)

type Registered struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

func newKey(t *testing.T) encryption.Key {
	t.Helper()
	secret := make([]byte, encryption.KeySize)
	_, _ = rand.Read(secret)
	k, err := encryption.NewKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keyring(t *testing.T, current encryption.Key, old ...encryption.Key) *encryption.Keyring {
	t.Helper()
	k, err := encryption.NewKeyring(current, old...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newCipher(t *testing.T, cfg encryption.Config) *encryption.Cipher {
	t.Helper()
	c, err := encryption.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type fixture struct {
	j   *memory.Journal
	reg *domain.Registry
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	j, err := memory.New(memory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	reg := domain.NewRegistry()
	domain.MustRegister[Registered](reg, "test.Registered")
	return fixture{j: j, reg: reg}
}

func (f fixture) store(c *encryption.Cipher) *journal.EventStore {
	return journal.NewEventStore(f.j, f.reg, c)
}

// write appends one Registered event per name to aggregate id (from version 1).
func write(t *testing.T, s *journal.EventStore, id uuid.UUID, meta domain.Metadata, names ...string) error {
	t.Helper()
	evs := make([]domain.Envelope, len(names))
	for i, n := range names {
		evs[i] = domain.Envelope{AggregateID: id, Version: uint64(i + 1), Time: time.Now(), Meta: meta,
			Data: Registered{Name: n, Email: strings.ToLower(n) + "@example.com"}}
	}
	_, err := s.Append(context.Background(), "test.Person", id, 0, evs)
	return err
}

func names(t *testing.T, s *journal.EventStore, id uuid.UUID) ([]string, error) {
	t.Helper()
	evs, err := s.Load(context.Background(), id, 1, 0)
	var out []string
	for _, e := range evs {
		out = append(out, e.Data.(Registered).Name)
	}
	return out, err
}

func TestRoundTripHidesPlaintext(t *testing.T) {
	for _, perSubject := range []bool{false, true} {
		t.Run(map[bool]string{false: "master", true: "per-subject"}[perSubject], func(t *testing.T) {
			f := newFixture(t)
			cfg := encryption.Config{Keys: keyring(t, newKey(t))}
			if perSubject {
				cfg.KeyStore = encryption.NewMemoryKeyStore()
			}
			s := f.store(newCipher(t, cfg))
			id := uuid.New()
			if err := write(t, s, id, domain.Metadata{}, "Fido", "Rex"); err != nil {
				t.Fatal(err)
			}
			raw, err := f.j.Read(context.Background(), id, 1, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range raw {
				for _, secret := range []string{"Fido", "Rex", "example.com", "name"} {
					if bytes.Contains(r.Data, []byte(secret)) {
						t.Fatalf("stored version %d contains %q", r.Version, secret)
					}
				}
				if r.Headers[encryption.HeaderCipher] != encryption.AES256GCM || r.Headers[encryption.HeaderKey] == "" {
					t.Fatalf("headers %v", r.Headers)
				}
				if _, ok := r.Headers[encryption.HeaderSubject]; ok != perSubject {
					t.Fatalf("headers %v: subject header present = %v", r.Headers, ok)
				}
			}
			if got, err := names(t, s, id); err != nil || strings.Join(got, ",") != "Fido,Rex" {
				t.Fatalf("read back %v, %v", got, err)
			}
		})
	}
}

func TestTamperingIsCorrupt(t *testing.T) {
	ctx := context.Background()
	c := newCipher(t, encryption.Config{Keys: keyring(t, newKey(t)), KeyStore: encryption.NewMemoryKeyStore()})
	r := journal.Record{AggregateID: uuid.New(), Version: 4, Type: "test.Registered", Data: []byte(`{"name":"Fido"}`)}
	if err := c.EncodeRecord(ctx, &r); err != nil {
		t.Fatal(err)
	}
	flipped := r
	flipped.Data = bytes.Clone(r.Data)
	flipped.Data[len(flipped.Data)/2] ^= 1
	moved := r
	moved.Version = 5
	for name, bad := range map[string]journal.Record{"flipped byte": flipped, "other version": moved} {
		err := c.DecodeRecord(ctx, &bad)
		if !errors.Is(err, encryption.ErrDecrypt) || !errors.Is(err, journal.ErrCorrupt) {
			t.Fatalf("%s: %v, want ErrDecrypt and journal.ErrCorrupt", name, err)
		}
		if !strings.Contains(err.Error(), r.AggregateID.String()) {
			t.Fatalf("%s: error %q does not name the aggregate", name, err)
		}
	}
	if err := c.DecodeRecord(ctx, &r); err != nil || string(r.Data) != `{"name":"Fido"}` {
		t.Fatalf("untouched record: %q, %v", r.Data, err)
	}
}

func TestShredAggregate(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	ks := encryption.NewMemoryKeyStore()
	c := newCipher(t, encryption.Config{Keys: keyring(t, newKey(t)), KeyStore: ks})
	s := f.store(c)
	fido, rex := uuid.New(), uuid.New()
	if err := write(t, s, fido, domain.Metadata{}, "Fido", "Fido II"); err != nil {
		t.Fatal(err)
	}
	if err := write(t, s, rex, domain.Metadata{}, "Rex"); err != nil {
		t.Fatal(err)
	}
	snap := domain.Snapshot{AggregateID: fido, Type: "test.Person", Version: 2, Data: []byte(`{"name":"Fido II"}`)}
	if err := c.EncodeSnapshot(ctx, &snap); err != nil {
		t.Fatal(err)
	}
	if err := c.Shred(ctx, fido.String()); err != nil {
		t.Fatal(err)
	}
	// A fresh cipher (another process, empty cache) and the one that shredded.
	for _, c := range []*encryption.Cipher{c, newCipher(t, encryption.Config{Keys: keyring(t, newKey(t)), KeyStore: ks})} {
		_, err := names(t, f.store(c), fido)
		if !errors.Is(err, encryption.ErrShredded) || errors.Is(err, journal.ErrCorrupt) {
			t.Fatalf("read of a shredded aggregate: %v, want ErrShredded and not ErrCorrupt", err)
		}
		if !strings.Contains(err.Error(), fido.String()) || !strings.Contains(err.Error(), "version 1") {
			t.Fatalf("error %q does not name aggregate and version", err)
		}
		s2 := snap
		if err := c.DecodeSnapshot(ctx, &s2); !errors.Is(err, encryption.ErrShredded) {
			t.Fatalf("snapshot of a shredded aggregate: %v, want ErrShredded", err)
		}
	}
	if got, err := names(t, s, rex); err != nil || len(got) != 1 {
		t.Fatalf("another aggregate after the shred: %v, %v", got, err)
	}
	// The events are still there: the log has no hole.
	if raw, err := f.j.Read(ctx, fido, 1, 0); err != nil || len(raw) != 2 {
		t.Fatalf("stored records after the shred: %d, %v", len(raw), err)
	}
	evs := []domain.Envelope{{AggregateID: fido, Version: 3, Time: time.Now(), Data: Registered{Name: "Fido III"}}}
	if _, err := s.Append(ctx, "", fido, 2, evs); !errors.Is(err, encryption.ErrShredded) {
		t.Fatalf("append to a shredded aggregate: %v, want ErrShredded", err)
	}
}

// Two aggregates of one customer share a subject; shredding the customer
// makes both unreadable.
func TestShredSubjectFromMetadata(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	customer := func(m domain.Metadata) string { return "customer:" + m.Extra["customer"] }
	c := newCipher(t, encryption.Config{Keys: keyring(t, newKey(t)), KeyStore: encryption.NewMemoryKeyStore(),
		Subject:         func(r *journal.Record) string { return customer(r.Meta) },
		SnapshotSubject: func(s *domain.Snapshot) string { return "customer:" + s.Headers["customer"] },
	})
	s := f.store(c)
	a, b, other := uuid.New(), uuid.New(), uuid.New()
	for id, who := range map[uuid.UUID]string{a: "42", b: "42", other: "7"} {
		if err := write(t, s, id, domain.Metadata{Extra: map[string]string{"customer": who}}, "x"); err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := f.j.Read(ctx, a, 1, 1)
	if got := raw[0].Headers[encryption.HeaderSubject]; got != "customer:42" {
		t.Fatalf("subject header %q", got)
	}
	if err := c.Shred(ctx, "customer:42"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uuid.UUID{a, b} {
		if _, err := names(t, s, id); !errors.Is(err, encryption.ErrShredded) {
			t.Fatalf("aggregate %s of the shredded customer: %v", id, err)
		}
	}
	if _, err := names(t, s, other); err != nil {
		t.Fatalf("another customer's aggregate: %v", err)
	}
}

func TestLostKeyIsNotShredded(t *testing.T) {
	f := newFixture(t)
	key := newKey(t)
	s := f.store(newCipher(t, encryption.Config{Keys: keyring(t, key), KeyStore: encryption.NewMemoryKeyStore()}))
	id := uuid.New()
	if err := write(t, s, id, domain.Metadata{}, "Fido"); err != nil {
		t.Fatal(err)
	}
	empty := f.store(newCipher(t, encryption.Config{Keys: keyring(t, key), KeyStore: encryption.NewMemoryKeyStore()}))
	_, err := names(t, empty, id)
	if !errors.Is(err, encryption.ErrNoKey) || errors.Is(err, encryption.ErrShredded) {
		t.Fatalf("read with a key store that lost the key: %v, want ErrNoKey, not ErrShredded", err)
	}
}

func TestRotateMasterKey(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	ks := encryption.NewMemoryKeyStore()
	oldKey, newKey := newKey(t), newKey(t)
	old := f.store(newCipher(t, encryption.Config{Keys: keyring(t, oldKey), KeyStore: ks}))
	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	for _, id := range ids {
		if err := write(t, old, id, domain.Metadata{}, "Fido"); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := f.j.Read(ctx, ids[0], 1, 1)
	stored := bytes.Clone(before[0].Data)

	// Without the old key, nothing can be unwrapped yet.
	if _, err := names(t, f.store(newCipher(t, encryption.Config{Keys: keyring(t, newKey), KeyStore: ks})), ids[0]); !errors.Is(err, encryption.ErrUnknownMasterKey) {
		t.Fatalf("read with only the new master key before Rotate: %v, want ErrUnknownMasterKey", err)
	}
	both := newCipher(t, encryption.Config{Keys: keyring(t, newKey, oldKey), KeyStore: ks})
	n, err := both.Rotate(ctx)
	if err != nil || n != len(ids) {
		t.Fatalf("Rotate: %d keys, %v; want %d", n, err, len(ids))
	}
	if n, err := both.Rotate(ctx); err != nil || n != 0 {
		t.Fatalf("second Rotate: %d keys, %v; want 0", n, err)
	}
	after, _ := f.j.Read(ctx, ids[0], 1, 1)
	if !bytes.Equal(after[0].Data, stored) {
		t.Fatalf("Rotate rewrote an event")
	}
	onlyNew := f.store(newCipher(t, encryption.Config{Keys: keyring(t, newKey), KeyStore: ks}))
	for _, id := range ids {
		if got, err := names(t, onlyNew, id); err != nil || len(got) != 1 {
			t.Fatalf("read %s with only the new master key after Rotate: %v, %v", id, got, err)
		}
	}
}

func TestRotateWithoutKeyStore(t *testing.T) {
	f := newFixture(t)
	oldKey, newKey := newKey(t), newKey(t)
	a, b := uuid.New(), uuid.New()
	if err := write(t, f.store(newCipher(t, encryption.Config{Keys: keyring(t, oldKey)})), a, domain.Metadata{}, "Old"); err != nil {
		t.Fatal(err)
	}
	both := f.store(newCipher(t, encryption.Config{Keys: keyring(t, newKey, oldKey)}))
	if err := write(t, both, b, domain.Metadata{}, "New"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uuid.UUID{a, b} {
		if _, err := names(t, both, id); err != nil {
			t.Fatalf("read %s with old and new keys: %v", id, err)
		}
	}
	if _, err := names(t, f.store(newCipher(t, encryption.Config{Keys: keyring(t, newKey)})), a); !errors.Is(err, encryption.ErrUnknownMasterKey) {
		t.Fatalf("read of an old record without the old key: %v, want ErrUnknownMasterKey", err)
	}
	if _, err := newCipher(t, encryption.Config{Keys: keyring(t, newKey)}).Rotate(context.Background()); !errors.Is(err, encryption.ErrNoKeyStore) {
		t.Fatalf("Rotate without a key store: %v", err)
	}
}

func TestUnencryptedRecords(t *testing.T) {
	f := newFixture(t)
	id := uuid.New()
	if err := write(t, journal.NewEventStore(f.j, f.reg), id, domain.Metadata{}, "Plain"); err != nil {
		t.Fatal(err)
	}
	key := newKey(t)
	if got, err := names(t, f.store(newCipher(t, encryption.Config{Keys: keyring(t, key)})), id); err != nil || got[0] != "Plain" {
		t.Fatalf("read of a record written before encryption: %v, %v", got, err)
	}
	strict := f.store(newCipher(t, encryption.Config{Keys: keyring(t, key), RequireEncrypted: true}))
	if _, err := names(t, strict, id); !errors.Is(err, encryption.ErrNotEncrypted) {
		t.Fatalf("RequireEncrypted: %v, want ErrNotEncrypted", err)
	}
}

// Ciphers in several processes race to create a new subject's key; all
// agree on one, so every event reads back through any of them.
func TestConcurrentKeyCreation(t *testing.T) {
	ctx := context.Background()
	ks := encryption.NewMemoryKeyStore()
	key := newKey(t)
	const n = 8
	ciphers := make([]*encryption.Cipher, n)
	for i := range ciphers {
		ciphers[i] = newCipher(t, encryption.Config{Keys: keyring(t, key), KeyStore: ks,
			Subject:         func(*journal.Record) string { return "shared" },
			SnapshotSubject: func(*domain.Snapshot) string { return "shared" }})
	}
	recs := make([]journal.Record, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			recs[i] = journal.Record{AggregateID: uuid.New(), Version: 1, Type: "t", Data: []byte("secret")}
			if err := ciphers[i].EncodeRecord(ctx, &recs[i]); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := range recs {
		for _, c := range ciphers {
			r := recs[i]
			if err := c.DecodeRecord(ctx, &r); err != nil || string(r.Data) != "secret" {
				t.Fatalf("record %d: %q, %v", i, r.Data, err)
			}
		}
	}
}

func TestKeysAndConfig(t *testing.T) {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	k1, err := encryption.ParseKey(base64.StdEncoding.EncodeToString(secret))
	if err != nil {
		t.Fatal(err)
	}
	k2, err := encryption.ParseKey(base64.RawURLEncoding.EncodeToString(secret))
	if err != nil || k2.ID != k1.ID || len(k1.ID) != 8 {
		t.Fatalf("ids %q %q, %v", k1.ID, k2.ID, err)
	}
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(secret[:16])} {
		if _, err := encryption.ParseKey(bad); !errors.Is(err, encryption.ErrBadKey) {
			t.Errorf("ParseKey(%q): %v, want ErrBadKey", bad, err)
		}
	}
	if _, err := encryption.NewKeyring(k1, k2); !errors.Is(err, encryption.ErrBadKey) {
		t.Errorf("a keyring with one key twice: %v", err)
	}
	kr, _ := encryption.NewKeyring(k1)
	for _, cfg := range []encryption.Config{
		{},
		{Keys: kr, Subject: func(*journal.Record) string { return "" }},
		{Keys: kr, KeyStore: encryption.NewMemoryKeyStore(), Subject: func(*journal.Record) string { return "" }},
	} {
		if _, err := encryption.New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

// slowGet is a KeyStore whose next Get, once armed, fetches the key and
// then waits for release before it returns it.
type slowGet struct {
	encryption.KeyStore
	armed   chan struct{} // closed to arm
	fetched chan struct{} // closed when the armed Get has fetched the key
	release chan struct{}
	once    sync.Once
}

func (s *slowGet) Get(ctx context.Context, subject string) (encryption.WrappedKey, error) {
	k, err := s.KeyStore.Get(ctx, subject)
	select {
	case <-s.armed:
		s.once.Do(func() { close(s.fetched); <-s.release })
	default:
	}
	return k, err
}

// A read that fetched a subject's key just before the subject was
// shredded through the same cipher must not leave the key in the cipher's
// cache: after Shred returns, the cipher refuses the subject.
func TestShredDuringKeyFetch(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	key := newKey(t)
	ks := &slowGet{KeyStore: encryption.NewMemoryKeyStore(), armed: make(chan struct{}),
		fetched: make(chan struct{}), release: make(chan struct{})}
	id := uuid.New()
	if err := write(t, f.store(newCipher(t, encryption.Config{Keys: keyring(t, key), KeyStore: ks})), id, domain.Metadata{}, "Fido"); err != nil {
		t.Fatal(err)
	}
	c := newCipher(t, encryption.Config{Keys: keyring(t, key), KeyStore: ks})
	s := f.store(c)
	close(ks.armed)
	read := make(chan error, 1)
	go func() { _, err := names(t, s, id); read <- err }()
	<-ks.fetched
	if err := c.Shred(ctx, id.String()); err != nil {
		t.Fatal(err)
	}
	close(ks.release)
	if err := <-read; err != nil {
		t.Fatalf("the read that began before the shred: %v", err)
	}
	if got, err := names(t, s, id); !errors.Is(err, encryption.ErrShredded) {
		t.Fatalf("read after Shred returned: %q, %v; want ErrShredded", got, err)
	}
	evs := []domain.Envelope{{AggregateID: id, Version: 2, Time: time.Now(), Data: Registered{Name: "Fido II"}}}
	if _, err := s.Append(ctx, "", id, 1, evs); !errors.Is(err, encryption.ErrShredded) {
		t.Fatalf("append after Shred returned: %v, want ErrShredded", err)
	}
}
