package pipeline_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/examples/dogschool/school"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/hashchain"
	"github.com/factum-dev/factum/journal/memory"
	"github.com/factum-dev/factum/snapshots"
	"github.com/factum-dev/factum/storage/compression"
	"github.com/factum-dev/factum/storage/encryption"
	"github.com/factum-dev/factum/storage/pipeline"
)

func randomKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnvAndValidate(t *testing.T) {
	key, old := randomKey(), randomKey()
	c, err := pipeline.FromEnv(env(map[string]string{
		"FACTUM_COMPRESSION": "zstd", "FACTUM_COMPRESSION_LEVEL": "3", "FACTUM_CIPHER_KEY": key,
		"FACTUM_CIPHER_OLD_KEYS": old + ", " + key, "FACTUM_PER_SUBJECT_KEYS": "true", "FACTUM_HASH_CHAIN": "1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := pipeline.Config{Compression: "zstd", CompressionLevel: 3, CipherKeyBase64: key,
		OldCipherKeysBase64: []string{old, key}, PerSubjectKeys: true, HashChain: true}
	if c.String() != want.String() || c.CipherKeyBase64 != key || len(c.OldCipherKeysBase64) != 2 || c.CompressionLevel != 3 {
		t.Fatalf("FromEnv = %+v", c)
	}
	if s := c.String(); strings.Contains(s, key) || s != "compression=zstd,encryption=aes-256-gcm/per-subject,hashchain" {
		t.Fatalf("String() = %q", s)
	}
	if c, err := pipeline.FromEnv(env(nil)); err != nil || c.String() != "plain" {
		t.Fatalf("empty environment: %v, %v", c, err)
	}
	for _, tc := range []struct {
		env     map[string]string
		mention string
	}{
		{map[string]string{"FACTUM_COMPRESSION": "lz4"}, "FACTUM_COMPRESSION"},
		{map[string]string{"FACTUM_COMPRESSION": "zlib", "FACTUM_COMPRESSION_LEVEL": "12"}, "FACTUM_COMPRESSION_LEVEL"},
		{map[string]string{"FACTUM_COMPRESSION_LEVEL": "x"}, "FACTUM_COMPRESSION_LEVEL"},
		{map[string]string{"FACTUM_COMPRESSION_LEVEL": "3"}, "Compression is off"},
		{map[string]string{"FACTUM_CIPHER_KEY": "c2hvcnQ="}, "FACTUM_CIPHER_KEY"},
		{map[string]string{"FACTUM_CIPHER_KEY": "!!"}, "FACTUM_CIPHER_KEY"},
		{map[string]string{"FACTUM_PER_SUBJECT_KEYS": "true"}, "FACTUM_PER_SUBJECT_KEYS"},
		{map[string]string{"FACTUM_HASH_CHAIN": "yes please"}, "FACTUM_HASH_CHAIN"},
		{map[string]string{"FACTUM_CIPHER_OLD_KEYS": old}, "FACTUM_CIPHER_OLD_KEYS"},
		{map[string]string{"FACTUM_CIPHER_KEY": key, "FACTUM_CIPHER_OLD_KEYS": "nope"}, "FACTUM_CIPHER_OLD_KEYS"},
	} {
		_, err := pipeline.FromEnv(env(tc.env))
		if !errors.Is(err, pipeline.ErrConfig) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("FromEnv(%v) = %v, want ErrConfig mentioning %s", tc.env, err, tc.mention)
		}
	}
	raw := make([]byte, 32)
	if err := (pipeline.Config{CipherKey: raw, CipherKeyBase64: key}).Validate(); !errors.Is(err, pipeline.ErrConfig) {
		t.Errorf("both keys set: %v", err)
	}
	if _, err := (pipeline.Config{CipherKey: raw, PerSubjectKeys: true}).Build(pipeline.Deps{Journal: newMemory(t)}); !errors.Is(err, pipeline.ErrConfig) {
		t.Errorf("per-subject keys without a key store: %v", err)
	}
}

func newMemory(t *testing.T) *memory.Journal {
	t.Helper()
	j, err := memory.New(memory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	return j
}

func build(t *testing.T, c pipeline.Config, deps pipeline.Deps) *pipeline.Pipeline {
	t.Helper()
	p, err := c.Build(deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func allOn() pipeline.Config {
	return pipeline.Config{Compression: "zstd", CipherKeyBase64: randomKey(), PerSubjectKeys: true, HashChain: true}
}

func newSchool(t *testing.T, p *pipeline.Pipeline, snaps snapshots.Store) *school.School {
	t.Helper()
	s, err := school.New(app.Config{Journal: p.Journal, Snapshots: snaps, Transforms: p.Transforms,
		SnapshotTransforms: p.SnapshotTransforms}, app.SnapshotEvery(2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// The DogSchool with everything on: it works, snapshots included; the
// chain verifies; shredding a dog makes it unreadable with ErrShredded and
// leaves the chain intact.
func TestDogSchoolWithEverythingOn(t *testing.T) {
	ctx := context.Background()
	mem := newMemory(t)
	p := build(t, allOn(), pipeline.Deps{Journal: mem, KeyStore: encryption.NewMemoryKeyStore()})
	if len(p.Transforms) != 2 || p.Transforms[0] != journal.Transform(p.Compressor) || p.Transforms[1] != journal.Transform(p.Cipher) {
		t.Fatalf("transforms %v, want compression then encryption", p.Transforms)
	}
	app := newSchool(t, p, nil)
	fido, err := app.RegisterDog(ctx, "Fido")
	if err != nil {
		t.Fatal(err)
	}
	rex, err := app.RegisterDog(ctx, "Rex")
	if err != nil {
		t.Fatal(err)
	}
	for _, trick := range []string{"roll over", "fetch ball", "play dead"} {
		if err := app.AddTrick(ctx, fido, trick); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := app.Snapshots().Latest(ctx, fido, 0); err != nil {
		t.Fatalf("no snapshot was taken: %v", err)
	}
	got, err := app.GetDog(ctx, fido)
	if err != nil || got.Name != "Fido" || strings.Join(got.Tricks, ",") != "roll over,fetch ball,play dead" {
		t.Fatalf("GetDog = %+v, %v", got, err)
	}
	recs, _ := mem.Read(ctx, fido, 1, 0)
	for _, r := range recs {
		if r.Headers[encryption.HeaderCipher] == "" || r.Headers[hashchain.HeaderHash] == "" {
			t.Fatalf("stored version %d has headers %v", r.Version, r.Headers)
		}
		if strings.Contains(string(r.Data), "Fido") || strings.Contains(string(r.Data), "roll") {
			t.Fatalf("stored version %d is readable: %q", r.Version, r.Data)
		}
	}
	if err := p.Cipher.Shred(ctx, fido.String()); err != nil {
		t.Fatal(err)
	}
	if _, err := app.GetDog(ctx, fido); !errors.Is(err, encryption.ErrShredded) {
		t.Fatalf("GetDog of a shredded dog: %v, want ErrShredded", err)
	}
	if got, err := app.GetDog(ctx, rex); err != nil || got.Name != "Rex" {
		t.Fatalf("another dog: %+v, %v", got, err)
	}
	if err := hashchain.VerifyLog(ctx, p.Journal, 0); err != nil {
		t.Fatalf("the chain after a shred: %v", err)
	}
}

// Correlation and causation ids and extra metadata come back on every
// stored event, through Load and through the notification log, with every
// feature on.
func TestMetadataEndToEnd(t *testing.T) {
	for name, cfg := range map[string]pipeline.Config{"plain": {}, "everything": allOn()} {
		t.Run(name, func(t *testing.T) {
			testMetadata(t, cfg, newMemory(t))
		})
	}
}

type Moved struct {
	To string `json:"to"`
}

func testMetadata(t *testing.T, cfg pipeline.Config, j journal.Journal) {
	ctx := context.Background()
	p := build(t, cfg, pipeline.Deps{Journal: j, KeyStore: encryption.NewMemoryKeyStore()})
	reg := domain.NewRegistry()
	domain.MustRegister[Moved](reg, "test.Moved")
	store := journal.NewEventStore(p.Journal, reg, p.Transforms...)
	id := uuid.New()
	var evs []domain.Envelope
	for v := uint64(1); v <= 3; v++ {
		evs = append(evs, domain.Envelope{AggregateID: id, Version: v, Time: time.Now(), Data: Moved{To: "Paris"},
			Meta: domain.Metadata{CorrelationID: "req-42", CausationID: "cmd-" + string(rune('0'+v)),
				Extra: map[string]string{"user": "ann", "v": string(rune('0' + v))}}})
	}
	if _, err := store.Append(ctx, "test.Traveller", id, 0, evs); err != nil {
		t.Fatal(err)
	}
	check := func(how string, v uint64, m domain.Metadata) {
		t.Helper()
		d := string(rune('0' + v))
		if m.CorrelationID != "req-42" || m.CausationID != "cmd-"+d || m.Extra["user"] != "ann" || m.Extra["v"] != d || len(m.Extra) != 2 {
			t.Fatalf("%s: version %d has metadata %+v", how, v, m)
		}
	}
	loaded, err := store.Load(ctx, id, 1, 0)
	if err != nil || len(loaded) != 3 {
		t.Fatalf("load: %d, %v", len(loaded), err)
	}
	for _, e := range loaded {
		check("Load", e.Version, e.Meta)
		if e.Data.(Moved).To != "Paris" {
			t.Fatalf("data %+v", e.Data)
		}
	}
	ns, err := p.Journal.Select(ctx, journal.PartitionOf(id, p.Journal.Partitions()), 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, n := range ns {
		if n.AggregateID != id {
			continue
		}
		check("Select", n.Version, n.Meta)
		e, err := store.Decode(ctx, n.Record)
		if err != nil {
			t.Fatal(err)
		}
		check("Decode", e.Version, e.Meta)
		seen++
	}
	if seen != 3 {
		t.Fatalf("the log has %d of the aggregate's 3 events", seen)
	}
}

// Records written under one configuration read back under another that
// still has the keys: compression and encryption can be turned on, off
// or changed without rewriting anything.
func TestMixedConfigurationsReadBack(t *testing.T) {
	ctx := context.Background()
	mem := newMemory(t)
	key := randomKey()
	ks := encryption.NewMemoryKeyStore()
	reg := domain.NewRegistry()
	domain.MustRegister[Moved](reg, "test.Moved")
	id := uuid.New()
	configs := []pipeline.Config{
		{},
		{Compression: "zlib"},
		{Compression: "zstd", CipherKeyBase64: key},
		{CipherKeyBase64: key, PerSubjectKeys: true},
		{Compression: "zstd", CipherKeyBase64: key, PerSubjectKeys: true},
	}
	to := strings.Repeat("Paris, France; ", 10)
	for i, c := range configs {
		p := build(t, c, pipeline.Deps{Journal: mem, KeyStore: ks})
		ev := domain.Envelope{AggregateID: id, Version: uint64(i + 1), Time: time.Now(), Data: Moved{To: to}}
		if _, err := journal.NewEventStore(p.Journal, reg, p.Transforms...).Append(ctx, "", id, uint64(i), []domain.Envelope{ev}); err != nil {
			t.Fatalf("config %d: %v", i, err)
		}
	}
	recs, _ := mem.Read(ctx, id, 1, 0)
	if recs[1].Headers[compression.HeaderCompression] != "zlib" || recs[2].Headers[encryption.HeaderCipher] == "" {
		t.Fatalf("headers %v %v", recs[1].Headers, recs[2].Headers)
	}
	reader := build(t, pipeline.Config{Compression: "zstd", CipherKeyBase64: key, PerSubjectKeys: true}, pipeline.Deps{Journal: mem, KeyStore: ks})
	evs, err := journal.NewEventStore(reader.Journal, reg, reader.Transforms...).Load(ctx, id, 1, 0)
	if err != nil || len(evs) != len(configs) {
		t.Fatalf("load: %d, %v", len(evs), err)
	}
	for _, e := range evs {
		if e.Data.(Moved).To != to {
			t.Fatalf("version %d: %+v", e.Version, e.Data)
		}
	}
}
