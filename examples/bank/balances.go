package bank

import (
	"context"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/projections"
	"github.com/factum-dev/factum/projections/redisprojection"
)

// BalancesName is the balances projection's name: the key of its
// checkpoints (and, on Redis, the hash tag of its read model).
const BalancesName = "bank.balances"

// Balances is a read model of every account's balance, kept by a
// projection of the accounts' events (Opened, Deposited, Withdrawn). Its
// writes commit with its checkpoint, so it is exactly-once in effect.
type Balances struct {
	p   *projections.Projection
	all func(ctx context.Context) (map[uuid.UUID]int64, error)
}

// Projection is the projection to run (server.Run, Runner.Add).
func (b *Balances) Projection() *projections.Projection { return b.p }

// All returns the balance of every account the projection has seen, as
// far as it got.
func (b *Balances) All(ctx context.Context) (map[uuid.UUID]int64, error) { return b.all(ctx) }

// RedisBalances keeps the balances in Redis, in one hash of rm
// (rm.Key(BalancesName, "balance"), a field per account id), written in
// the transaction of each batch's checkpoint.
func RedisBalances(rm *redisprojection.Store, opts ...projections.ProjectionOption) *Balances {
	key := rm.Key(BalancesName, "balance")
	p := projections.NewProjection(BalancesName, append([]projections.ProjectionOption{projections.Checkpoints(rm)}, opts...)...)
	add := func(ctx context.Context, id uuid.UUID, amount int64) {
		rm.Tx(ctx).HIncrBy(ctx, key, id.String(), amount)
	}
	on(p, add)
	return &Balances{p: p, all: func(ctx context.Context) (map[uuid.UUID]int64, error) {
		m, err := rm.Client().HGetAll(ctx, key).Result()
		if err != nil {
			return nil, fmt.Errorf("bank: read the balances: %w", err)
		}
		out := make(map[uuid.UUID]int64, len(m))
		for k, v := range m {
			id, err := uuid.Parse(k)
			if err != nil {
				return nil, fmt.Errorf("bank: balances: field %q is not an account id: %w", k, err)
			}
			if out[id], err = strconv.ParseInt(v, 10, 64); err != nil {
				return nil, fmt.Errorf("bank: balances: account %s has balance %q: %w", k, v, err)
			}
		}
		return out, nil
	}}
}

// MemoryBalances keeps the balances in memory (with its checkpoints: it is
// rebuilt from the log on every start).
func MemoryBalances(opts ...projections.ProjectionOption) *Balances {
	rm := projections.NewMemoryReadModel[uuid.UUID, int64]()
	p := projections.NewProjection(BalancesName, append([]projections.ProjectionOption{projections.Checkpoints(rm)}, opts...)...)
	on(p, func(ctx context.Context, id uuid.UUID, amount int64) {
		tx := rm.Tx(ctx)
		v, _ := tx.Get(id)
		tx.Put(id, v+amount)
	})
	return &Balances{p: p, all: func(context.Context) (map[uuid.UUID]int64, error) { return rm.Snapshot(), nil }}
}

// on adds the handlers: add(id, amount) in the batch's transaction.
func on(p *projections.Projection, add func(ctx context.Context, id uuid.UUID, amount int64)) {
	projections.On(p, func(ctx context.Context, _ Opened, n projections.Notification) error {
		add(ctx, n.AggregateID, 0)
		return nil
	})
	projections.On(p, func(ctx context.Context, e Deposited, n projections.Notification) error {
		add(ctx, n.AggregateID, e.Amount)
		return nil
	})
	projections.On(p, func(ctx context.Context, e Withdrawn, n projections.Notification) error {
		add(ctx, n.AggregateID, -e.Amount)
		return nil
	})
}
