// Command demo runs the bank example as actors: accounts and transfers as
// persistent aggregates, the transfer process manager moving the money,
// and a projection keeping every account's balance in a read model.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/examples/bank"
	"github.com/factum-dev/factum/inmem"
	"github.com/factum-dev/factum/projections"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) error {
	reg := domain.NewRegistry()
	if err := bank.RegisterTypes(reg); err != nil {
		return err
	}
	app, err := inmem.NewApplication(app.Config{Registry: reg}) // in memory
	if err != nil {
		return err
	}
	defer app.Close() // after sys.Close: whoever creates closes
	sys, err := actors.NewSystem(actors.SystemConfig{App: app})
	if err != nil {
		return err
	}
	defer sys.Close()
	if err := errors.Join(actors.Register(sys, bank.AccountType()), actors.Register(sys, bank.TransferType())); err != nil {
		return err
	}

	// The read model: balance per account owner, kept by a projection
	// whose writes and checkpoint commit together.
	owners := map[uuid.UUID]string{}
	balances := projections.NewMemoryReadModel[string, int64]()
	p := projections.NewProjection("balances", projections.Checkpoints(balances))
	projections.On(p, func(ctx context.Context, e bank.Deposited, n projections.Notification) error {
		tx := balances.Tx(ctx)
		b, _ := tx.Get(owners[n.AggregateID])
		tx.Put(owners[n.AggregateID], b+e.Amount)
		return nil
	})
	projections.On(p, func(ctx context.Context, e bank.Withdrawn, n projections.Notification) error {
		tx := balances.Tx(ctx)
		b, _ := tx.Get(owners[n.AggregateID])
		tx.Put(owners[n.AggregateID], b-e.Amount)
		return nil
	})
	r, err := projections.NewRunner(projections.RunnerConfig{System: sys, Checkpoints: projections.NewMemoryCheckpoints()})
	if err != nil {
		return err
	}
	if err := r.Add(p, bank.TransferProcess(sys)); err != nil {
		return err
	}

	alice, bob, nobody := uuid.New(), uuid.New(), uuid.New()
	owners[alice], owners[bob] = "alice", "bob"
	if _, err := actors.Send(ctx, sys, bank.AggregateType, alice, bank.Open{Owner: "alice"}); err != nil {
		return err
	}
	if _, err := actors.Send(ctx, sys, bank.AggregateType, alice, bank.Deposit{Amount: 100}); err != nil {
		return err
	}
	if _, err := actors.Send(ctx, sys, bank.AggregateType, bob, bank.Open{Owner: "bob"}); err != nil {
		return err
	}
	fmt.Fprintln(w, "opened alice with 100 and bob with 0")
	_, err = actors.Send(ctx, sys, bank.AggregateType, bob, bank.Withdraw{Amount: 1})
	fmt.Fprintf(w, "bob withdraws 1: rejected = %v\n", errors.Is(err, actors.ErrRejected))

	if err := r.Start(ctx); err != nil {
		return err
	}
	defer r.Stop(context.Background())
	transfers := []struct {
		label    string
		from, to uuid.UUID
		amount   int64
	}{
		{"alice -> bob 30", alice, bob, 30},
		{"alice -> bob 500", alice, bob, 500},
		{"alice -> nobody 10", alice, nobody, 10},
	}
	ids := make([]uuid.UUID, len(transfers))
	for i, t := range transfers {
		ids[i] = uuid.New()
		if _, err := actors.Send(ctx, sys, bank.TransferAggregateType, ids[i], bank.StartTransfer{From: t.from, To: t.to, Amount: t.amount}); err != nil {
			return err
		}
	}
	for i, t := range transfers {
		tr, err := waitDone(ctx, sys, ids[i])
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "transfer %s: %s\n", t.label, tr.Status)
	}
	// The projection catches up with the log (its head read now: the
	// status's head is the one the runner last saw).
	for {
		caughtUp := true
		for _, s := range r.Status() {
			head, err := sys.App().Events().Journal().Head(ctx, s.Partition)
			if err != nil {
				return err
			}
			caughtUp = caughtUp && s.Position >= head
		}
		if caughtUp {
			break
		}
		if err := sleep(ctx); err != nil {
			return err
		}
	}
	a, _ := balances.Get("alice")
	b, _ := balances.Get("bob")
	fmt.Fprintf(w, "balances (read model): alice %d, bob %d\n", a, b)
	return nil
}

func waitDone(ctx context.Context, sys *actors.System, id uuid.UUID) (*bank.Transfer, error) {
	for {
		tr, err := actors.Get[*bank.Transfer](ctx, sys, bank.TransferAggregateType, id)
		if err != nil {
			return nil, err
		}
		if tr.Done() {
			return tr, nil
		}
		if err := sleep(ctx); err != nil {
			return nil, err
		}
	}
}

func sleep(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(5 * time.Millisecond):
		return nil
	}
}
