package pipeline_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/examples/dogschool/school"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/memory"
	"github.com/factum-dev/factum/storage/encryption"
	"github.com/factum-dev/factum/storage/pipeline"
)

// Account events as a bank would store them: more fields than the
// DogSchool's one-word events.
type AccountOpened struct {
	Owner     string `json:"owner"`
	Email     string `json:"email"`
	Currency  string `json:"currency"`
	Branch    string `json:"branch"`
	Overdraft int64  `json:"overdraft_limit"`
}

type MoneyDeposited struct {
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
	Reference string `json:"reference"`
	Channel   string `json:"channel"`
}

func benchRegistry() *domain.Registry {
	reg := domain.NewRegistry()
	_ = school.RegisterTypes(reg)
	domain.MustRegister[AccountOpened](reg, "bank.AccountOpened")
	domain.MustRegister[MoneyDeposited](reg, "bank.MoneyDeposited")
	return reg
}

// history returns the events of one aggregate of the kind named.
func history(kind string, id uuid.UUID, n int) []domain.Envelope {
	evs := make([]domain.Envelope, n)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range evs {
		var data any
		switch {
		case kind == "dogschool" && i == 0:
			data = school.Registered{Name: "Fido"}
		case kind == "dogschool":
			data = school.TrickAdded{Trick: []string{"roll over", "fetch ball", "play dead", "sit"}[i%4]}
		case i == 0:
			data = AccountOpened{Owner: "Ann Smith", Email: "ann.smith@example.com", Currency: "EUR", Branch: "Amsterdam Centraal", Overdraft: 50000}
		default:
			data = MoneyDeposited{Amount: int64(1000 * i), Currency: "EUR", Reference: fmt.Sprintf("INV-2026-%06d", i), Channel: "sepa-credit-transfer"}
		}
		evs[i] = domain.Envelope{AggregateID: id, Version: uint64(i + 1), Time: t0.Add(time.Duration(i) * time.Second), Data: data,
			Meta: domain.Metadata{CorrelationID: "req-" + id.String()[:8], CausationID: fmt.Sprintf("cmd-%d", i)}}
	}
	return evs
}

var benchConfigs = []struct {
	name string
	cfg  pipeline.Config
}{
	{"off", pipeline.Config{}},
	{"zstd", pipeline.Config{Compression: "zstd"}},
	{"zlib", pipeline.Config{Compression: "zlib"}},
	{"aes", pipeline.Config{CipherKeyBase64: randomKey()}},
	{"aes-per-subject", pipeline.Config{CipherKeyBase64: randomKey(), PerSubjectKeys: true}},
	{"hashchain", pipeline.Config{HashChain: true}},
	{"all", pipeline.Config{Compression: "zstd", CipherKeyBase64: randomKey(), PerSubjectKeys: true, HashChain: true}},
}

func benchStore(b *testing.B, cfg pipeline.Config) *journal.EventStore {
	j, err := memory.New(memory.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = j.Close() })
	p, err := cfg.Build(pipeline.Deps{Journal: j, KeyStore: encryption.NewMemoryKeyStore()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	return journal.NewEventStore(p.Journal, benchRegistry(), p.Transforms...)
}

// BenchmarkPipeline appends and reads bank-like events through the
// EventStore on the memory journal, with each feature on and all off, in
// one run. Append: one op is one event appended to one of 1,000
// aggregates. Read: one op is loading a 100-event aggregate.
func BenchmarkPipeline(b *testing.B) {
	ctx := context.Background()
	for _, bc := range benchConfigs {
		b.Run("Append/"+bc.name, func(b *testing.B) {
			s := benchStore(b, bc.cfg)
			ids := make([]uuid.UUID, 1000)
			hist := make([][]domain.Envelope, len(ids))
			for i := range ids {
				ids[i] = uuid.New()
				hist[i] = history("bank", ids[i], 50)
			}
			versions := make([]uint64, len(ids))
			i := 0
			for b.Loop() {
				k := i % len(ids)
				v := versions[k]
				if v == uint64(len(hist[k])) { // start the aggregate over under a new id
					ids[k] = uuid.New()
					hist[k], versions[k], v = history("bank", ids[k], 50), 0, 0
				}
				if _, err := s.Append(ctx, "bank.Account", ids[k], v, hist[k][v:v+1]); err != nil {
					b.Fatal(err)
				}
				versions[k]++
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
	for _, bc := range benchConfigs {
		b.Run("Read/"+bc.name, func(b *testing.B) {
			s := benchStore(b, bc.cfg)
			id := uuid.New()
			if _, err := s.Append(ctx, "bank.Account", id, 0, history("bank", id, 100)); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				evs, err := s.Load(ctx, id, 1, 0)
				if err != nil || len(evs) != 100 {
					b.Fatalf("load: %d, %v", len(evs), err)
				}
			}
			b.ReportMetric(100*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
