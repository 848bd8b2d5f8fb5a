package bank_test

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/examples/bank"
	"github.com/factum-dev/factum/inmem"
	jmemory "github.com/factum-dev/factum/journal/memory"
	"github.com/factum-dev/factum/projections"
)

func newBank(t *testing.T, partitions int) *actors.System {
	j, err := jmemory.New(jmemory.Config{Partitions: partitions})
	require.NoError(t, err)
	reg := domain.NewRegistry()
	require.NoError(t, bank.RegisterTypes(reg))
	app, err := inmem.NewApplication(app.Config{Registry: reg, Journal: j})
	require.NoError(t, err)
	sys, err := actors.NewSystem(actors.SystemConfig{App: app})
	require.NoError(t, err)
	require.NoError(t, actors.Register(sys, bank.AccountType()))
	require.NoError(t, actors.Register(sys, bank.TransferType()))
	t.Cleanup(func() {
		require.NoError(t, sys.Close())
		_ = j.Close()
	})
	return sys
}

// TestTransfersExactlyOnce runs 1,000 random transfers at once while the
// process manager runs, crashes it part way (no checkpoint saved on the
// way out, commands in flight cut off) and starts it again; then checks
// that money is conserved and that the journal shows each transfer's
// money moved exactly once.
func TestTransfersExactlyOnce(t *testing.T) {
	s := uint64(time.Now().UnixNano())
	t.Logf("seed %d", s)
	rng := rand.New(rand.NewPCG(s, s))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	sys := newBank(t, 4)
	const accounts, transfers, opening = 20, 1000, 1000
	ids := make([]uuid.UUID, accounts)
	for i := range ids {
		ids[i] = uuid.New()
		_, err := actors.Send(ctx, sys, bank.AggregateType, ids[i], bank.Open{Owner: "owner"})
		require.NoError(t, err)
		_, err = actors.Send(ctx, sys, bank.AggregateType, ids[i], bank.Deposit{Amount: opening})
		require.NoError(t, err)
	}
	type plan struct {
		id       uuid.UUID
		from, to uuid.UUID
		amount   int64
	}
	plans := make([]plan, transfers)
	for i := range plans {
		from, to := rng.IntN(accounts), rng.IntN(accounts-1)
		if to >= from {
			to++
		}
		p := plan{id: uuid.New(), from: ids[from], to: ids[to], amount: 1 + rng.Int64N(150)}
		if rng.IntN(50) == 0 {
			p.to = uuid.New() // no such account: refunded
		}
		plans[i] = p
	}

	cps := projections.NewMemoryCheckpoints()
	run := func(opts ...projections.ProjectionOption) *projections.Runner {
		r, err := projections.NewRunner(projections.RunnerConfig{System: sys, Checkpoints: cps})
		require.NoError(t, err)
		require.NoError(t, r.Add(bank.TransferProcess(sys, opts...)))
		require.NoError(t, r.Start(ctx))
		return r
	}
	// Save the checkpoint only now and then, so the crash leaves a stretch
	// of notifications to be handled again.
	r := run(projections.CheckpointEvery(50 * time.Millisecond))

	var started atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < transfers; i += 8 {
				p := plans[i]
				if _, err := actors.Send(ctx, sys, bank.TransferAggregateType, p.id, bank.StartTransfer{From: p.from, To: p.to, Amount: p.amount}); err != nil {
					t.Error(err)
					return
				}
				started.Add(1)
			}
		}()
	}
	// Crash the process manager midway.
	require.Eventually(t, func() bool {
		var handled uint64
		for _, s := range r.Status() {
			handled += s.Handled
		}
		return handled >= transfers/2
	}, time.Minute, time.Millisecond)
	r.Abort()
	var replayFrom uint64
	for _, s := range r.Status() {
		cp, err := cps.Load(ctx, bank.TransferProcessName, s.Partition)
		require.NoError(t, err)
		require.LessOrEqual(t, cp, s.Position)
		replayFrom += s.Position - cp
	}
	t.Logf("crashed with %d transfers started; %d notifications past the saved checkpoints", started.Load(), replayFrom)
	r = run()
	defer func() { require.NoError(t, r.Stop(ctx)) }()
	wg.Wait()

	// Wait for every transfer to end.
	status := map[uuid.UUID]*bank.Transfer{}
	require.Eventually(t, func() bool {
		for _, p := range plans {
			if tr := status[p.id]; tr != nil && tr.Done() {
				continue
			}
			tr, err := actors.Get[*bank.Transfer](ctx, sys, bank.TransferAggregateType, p.id)
			if err != nil || !tr.Done() {
				return false
			}
			status[p.id] = tr
		}
		return true
	}, time.Minute, 10*time.Millisecond)

	// Money is conserved.
	var total int64
	for _, id := range ids {
		a, err := actors.Get[*bank.Account](ctx, sys, bank.AggregateType, id)
		require.NoError(t, err)
		require.GreaterOrEqual(t, a.Balance, int64(0))
		total += a.Balance
	}
	require.Equal(t, int64(accounts*opening), total, "money is conserved")

	// Exactly once, from the log: per transfer (correlation id), the
	// withdrawals from the source and the deposits into each account.
	type moves struct{ withdrawn, depositedTo, refunded int }
	seen := map[string]*moves{}
	byID := map[string]plan{}
	for _, p := range plans {
		byID[p.id.String()] = p
		seen[p.id.String()] = &moves{}
	}
	nlog := sys.NotificationLog()
	for part := range nlog.Partitions() {
		for start := uint64(1); ; {
			ns, err := nlog.SelectPartition(ctx, part, start, 1000)
			require.NoError(t, err)
			if len(ns) == 0 {
				break
			}
			for _, n := range ns {
				start = n.Position + 1
				m := seen[n.Meta.CorrelationID]
				if m == nil {
					continue
				}
				p := byID[n.Meta.CorrelationID]
				e, err := nlog.Decode(ctx, n)
				require.NoError(t, err)
				switch ev := e.Data.(type) {
				case bank.Withdrawn:
					require.Equal(t, p.from, n.AggregateID)
					require.Equal(t, p.amount, ev.Amount)
					m.withdrawn++
				case bank.Deposited:
					require.Equal(t, p.amount, ev.Amount)
					if n.AggregateID == p.to {
						m.depositedTo++
					} else {
						require.Equal(t, p.from, n.AggregateID)
						m.refunded++
					}
				}
			}
		}
	}
	count := map[string]int{}
	for _, p := range plans {
		m, tr := seen[p.id.String()], status[p.id]
		count[tr.Status]++
		want := map[string]moves{
			bank.StatusCompleted: {1, 1, 0},
			bank.StatusFailed:    {0, 0, 0},
			bank.StatusRefunded:  {1, 0, 1},
		}[tr.Status]
		require.Equal(t, want, *m, "transfer %s (%s, %d from %s to %s)", p.id, tr.Status, p.amount, p.from, p.to)
	}
	t.Logf("transfers: %v", count)
	require.Positive(t, count[bank.StatusCompleted])
}

// TestRefundDecidedBeforeMoneyMoves leaves a transfer where a crash would:
// the target account was missing, the refund was decided (refunding) but
// not carried out. Then the target account is opened and the process
// manager replays the whole log. The transfer must end refunded, and the
// target must not be paid: the decision stands, whatever the target would
// now accept.
func TestRefundDecidedBeforeMoneyMoves(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sys := newBank(t, 1)
	from, to, id := uuid.New(), uuid.New(), uuid.New()
	send(t, sys, bank.AggregateType, from, bank.Open{Owner: "a"})
	send(t, sys, bank.AggregateType, from, bank.Deposit{Amount: 100})
	send(t, sys, bank.TransferAggregateType, id, bank.StartTransfer{From: from, To: to, Amount: 30})
	// The process manager's first steps, done by hand: the source paid, the
	// target (not there) refused, the refund was decided; then the crash.
	send(t, sys, bank.AggregateType, from, bank.Withdraw{Amount: 30})
	send(t, sys, bank.TransferAggregateType, id, bank.MarkDebited{})
	send(t, sys, bank.TransferAggregateType, id, bank.MarkRefunding{Reason: "no such account"})
	send(t, sys, bank.AggregateType, to, bank.Open{Owner: "b"}) // the target appears

	r, err := projections.NewRunner(projections.RunnerConfig{System: sys, Checkpoints: projections.NewMemoryCheckpoints()})
	require.NoError(t, err)
	require.NoError(t, r.Add(bank.TransferProcess(sys, projections.Start(projections.FromBeginning))))
	require.NoError(t, r.Start(ctx))
	defer func() { require.NoError(t, r.Stop(ctx)) }()
	require.Eventually(t, func() bool {
		tr, err := actors.Get[*bank.Transfer](ctx, sys, bank.TransferAggregateType, id)
		return err == nil && tr.Status == bank.StatusRefunded
	}, 30*time.Second, 5*time.Millisecond)

	src, err := actors.Get[*bank.Account](ctx, sys, bank.AggregateType, from)
	require.NoError(t, err)
	dst, err := actors.Get[*bank.Account](ctx, sys, bank.AggregateType, to)
	require.NoError(t, err)
	require.Equal(t, int64(100), src.Balance, "the refund went back to the source once")
	require.Zero(t, dst.Balance, "the target was paid after the refund was decided")
}

func send[C any](t *testing.T, sys *actors.System, typ string, id uuid.UUID, cmd C) {
	t.Helper()
	_, err := actors.Send(context.Background(), sys, typ, id, cmd)
	require.NoError(t, err)
}

// Transfers whose source or target is the id of an aggregate of another
// type (here: another transfer) are final at once: the one from it fails,
// the one to it is refunded, and the transfers after them go through.
func TestTransferToAnIDOfAnotherType(t *testing.T) {
	alice, bob := uuid.New(), uuid.New()
	b := newTransferBank(t, map[uuid.UUID]int64{alice: 100, bob: 0})
	other := uuid.New() // a transfer: an aggregate of another type
	b.start(other, bank.StartTransfer{From: bob, To: alice, Amount: 1})
	toOther, fromOther, normal := uuid.New(), uuid.New(), uuid.New()
	b.start(toOther, bank.StartTransfer{From: alice, To: other, Amount: 30})
	b.start(fromOther, bank.StartTransfer{From: other, To: bob, Amount: 30})
	b.start(normal, bank.StartTransfer{From: alice, To: bob, Amount: 10})
	b.done(toOther, fromOther, normal)
	require.Equal(t, bank.StatusRefunded, b.transfer(toOther).Status)
	require.Contains(t, b.transfer(toOther).Reason, "bank.Transfer")
	require.Equal(t, bank.StatusFailed, b.transfer(fromOther).Status)
	require.Equal(t, bank.StatusCompleted, b.transfer(normal).Status)
	require.Equal(t, int64(90), b.balance(alice), "the refunded 30 came back")
	require.Equal(t, int64(10), b.balance(bob))
	b.nothingParked()
}

// A transfer into an account that cannot hold the amount (its balance
// would overflow) is refused at the deposit step and refunded: the money
// that left the source comes back, and nothing is parked.
func TestTransferIntoAFullAccountIsRefunded(t *testing.T) {
	alice, full := uuid.New(), uuid.New()
	b := newTransferBank(t, map[uuid.UUID]int64{alice: 100, full: math.MaxInt64 - 5})
	tooMuch, fits := uuid.New(), uuid.New()
	b.start(tooMuch, bank.StartTransfer{From: alice, To: full, Amount: 6})
	b.start(fits, bank.StartTransfer{From: alice, To: full, Amount: 5})
	b.done(tooMuch, fits)
	require.Equal(t, bank.StatusRefunded, b.transfer(tooMuch).Status)
	require.Contains(t, b.transfer(tooMuch).Reason, "overflow")
	require.Equal(t, bank.StatusCompleted, b.transfer(fits).Status)
	require.Equal(t, int64(95), b.balance(alice), "the refused 6 came back; the 5 went")
	require.Equal(t, int64(math.MaxInt64), b.balance(full))
	b.nothingParked()
}

// transferBank is a bank with the transfer process manager running and an
// account opened, holding opening, for each of opening's keys.
type transferBank struct {
	t   *testing.T
	ctx context.Context
	sys *actors.System
	r   *projections.Runner
}

func newTransferBank(t *testing.T, opening map[uuid.UUID]int64) *transferBank {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	sys := newBank(t, 1)
	for id, amount := range opening {
		_, err := actors.Send(ctx, sys, bank.AggregateType, id, bank.Open{Owner: "owner"})
		require.NoError(t, err)
		if amount > 0 {
			_, err = actors.Send(ctx, sys, bank.AggregateType, id, bank.Deposit{Amount: amount})
			require.NoError(t, err)
		}
	}
	r, err := projections.NewRunner(projections.RunnerConfig{System: sys})
	require.NoError(t, err)
	require.NoError(t, r.Add(bank.TransferProcess(sys, projections.Backoff(time.Millisecond, 10*time.Millisecond))))
	require.NoError(t, r.Start(ctx))
	t.Cleanup(func() { require.NoError(t, r.Stop(context.Background())) })
	return &transferBank{t: t, ctx: ctx, sys: sys, r: r}
}

func (b *transferBank) start(id uuid.UUID, c bank.StartTransfer) {
	_, err := actors.Send(b.ctx, b.sys, bank.TransferAggregateType, id, c)
	require.NoError(b.t, err)
}

func (b *transferBank) transfer(id uuid.UUID) *bank.Transfer {
	tr, err := actors.Get[*bank.Transfer](b.ctx, b.sys, bank.TransferAggregateType, id)
	require.NoError(b.t, err)
	return tr
}

func (b *transferBank) balance(id uuid.UUID) int64 {
	a, err := actors.Get[*bank.Account](b.ctx, b.sys, bank.AggregateType, id)
	require.NoError(b.t, err)
	return a.Balance
}

// done waits until every transfer of ids is final.
func (b *transferBank) done(ids ...uuid.UUID) {
	require.Eventually(b.t, func() bool {
		for _, id := range ids {
			if !b.transfer(id).Done() {
				return false
			}
		}
		return true
	}, 30*time.Second, 5*time.Millisecond, "no transfer is stuck")
}

// nothingParked checks that no refusal was parked: each was final.
func (b *transferBank) nothingParked() {
	for _, s := range b.r.Status() {
		require.Zero(b.t, s.Parked, "nothing parked: the refusals were final")
	}
}
