package bank_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/examples/bank"
	"github.com/factum-dev/factum/inmem"
	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/journal"
	jredis "github.com/factum-dev/factum/journal/redis"
	"github.com/factum-dev/factum/projections"
)

// outageAtCompleted is the Redis journal, except that the first append of
// a TransferCompleted happens during a real write outage of Redis (writes
// refused), and its failure is held until the test lets it go.
type outageAtCompleted struct {
	*jredis.Journal
	rc      *goredis.Client
	failed  chan struct{} // closed when the append has failed and the outage is over
	release chan struct{}
}

func (o *outageAtCompleted) Append(ctx context.Context, id uuid.UUID, expected uint64, recs []journal.Record) (uint64, error) {
	if recs[0].Type == "bank.TransferCompleted" {
		select {
		case <-o.failed:
		default:
			if err := o.rc.ConfigSet(ctx, "min-replicas-to-write", "1").Err(); err != nil {
				return 0, err
			}
			pos, err := o.Journal.Append(ctx, id, expected, recs)
			if err := o.rc.ConfigSet(ctx, "min-replicas-to-write", "0").Err(); err != nil {
				return 0, err
			}
			close(o.failed)
			<-o.release
			return pos, err
		}
	}
	return o.Journal.Append(ctx, id, expected, recs)
}

// A Redis write outage between a transfer's deposit and its "completed"
// mark, while the target account accepts many more commands than its
// de-duplication window holds: when the process manager handles the step
// again, the deposit (the same command id) is found in the account's
// events and not applied twice.
func TestTransferExactlyOnceAcrossAnOutage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := redistest.StartServer(t, redistest.Options{})
	rj, err := jredis.New(ctx, jredis.Config{URL: srv.URL()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = rj.Close() })
	j := &outageAtCompleted{Journal: rj, rc: srv.Client(), failed: make(chan struct{}), release: make(chan struct{})}
	reg := domain.NewRegistry()
	require.NoError(t, bank.RegisterTypes(reg))
	a, err := inmem.NewApplication(app.Config{Registry: reg, Journal: j})
	require.NoError(t, err)
	sys, err := actors.NewSystem(actors.SystemConfig{App: a})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sys.Close()) })
	require.NoError(t, actors.Register(sys, bank.AccountType(actors.DedupWindow(4))))
	require.NoError(t, actors.Register(sys, bank.TransferType()))

	from, to := uuid.New(), uuid.New()
	for _, id := range []uuid.UUID{from, to} {
		_, err := actors.Send(ctx, sys, bank.AggregateType, id, bank.Open{Owner: "o"})
		require.NoError(t, err)
	}
	_, err = actors.Send(ctx, sys, bank.AggregateType, from, bank.Deposit{Amount: 1000})
	require.NoError(t, err)
	r, err := projections.NewRunner(projections.RunnerConfig{System: sys})
	require.NoError(t, err)
	require.NoError(t, r.Add(bank.TransferProcess(sys, projections.Backoff(time.Millisecond, 10*time.Millisecond))))
	require.NoError(t, r.Start(ctx))
	t.Cleanup(func() { require.NoError(t, r.Stop(context.Background())) })

	tr := uuid.New()
	_, err = actors.Send(ctx, sys, bank.TransferAggregateType, tr, bank.StartTransfer{From: from, To: to, Amount: 100})
	require.NoError(t, err)
	select {
	case <-j.failed:
	case <-ctx.Done():
		t.Fatal("the transfer never reached its completed mark")
	}
	// The outage is over; the process manager waits for its mark's
	// answer. Meanwhile the target accepts 40 commands (window: 4).
	for range 40 {
		_, err := actors.Send(ctx, sys, bank.AggregateType, to, bank.Deposit{Amount: 1}, actors.WithCommandID(uuid.NewString()))
		require.NoError(t, err)
	}
	close(j.release)

	require.Eventually(t, func() bool {
		t, err := actors.Get[*bank.Transfer](ctx, sys, bank.TransferAggregateType, tr)
		return err == nil && t.Status == bank.StatusCompleted
	}, 30*time.Second, 5*time.Millisecond)
	acc, err := actors.Get[*bank.Account](ctx, sys, bank.AggregateType, to)
	require.NoError(t, err)
	require.Equal(t, int64(140), acc.Balance, "the transfer's 100 credited once, and the 40 others")
	acc, err = actors.Get[*bank.Account](ctx, sys, bank.AggregateType, from)
	require.NoError(t, err)
	require.Equal(t, int64(900), acc.Balance)
	st := r.Status()
	require.NotZero(t, st[0].Failures, "the mark failed during the outage and was retried")
	require.Zero(t, st[0].Parked)
}
