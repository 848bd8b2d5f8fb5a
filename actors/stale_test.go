package actors_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/examples/bank"
	"github.com/factum-dev/factum/inmem"
	"github.com/factum-dev/factum/internal/redistest"
	jredis "github.com/factum-dev/factum/journal/redis"
)

// bankNode is one node's actor system with the bank's accounts on the
// shared Redis journal at url (its own snapshots, in memory).
func bankNode(t *testing.T, url string, opts ...actors.AggregateOption) *actors.System {
	t.Helper()
	j, err := jredis.New(context.Background(), jredis.Config{URL: url})
	require.NoError(t, err)
	reg := domain.NewRegistry()
	require.NoError(t, bank.RegisterTypes(reg))
	a, err := inmem.NewApplication(app.Config{Registry: reg, Journal: j})
	require.NoError(t, err)
	sys, err := actors.NewSystem(actors.SystemConfig{App: a})
	require.NoError(t, err)
	require.NoError(t, actors.Register(sys, bank.AccountType(opts...)))
	t.Cleanup(func() {
		require.NoError(t, sys.Close())
		_ = j.Close()
	})
	return sys
}

// Two nodes on one Redis journal: node B's actor is stale (activated
// before node A moved the account on). The same command (same id) that A
// applied, sent to B, would be refused on B's stale state; B catches up
// with the journal before it answers, and answers duplicate with A's
// version. A command of its own that B's stale state would refuse runs
// on the state caught up.
func TestStaleNodeAnswersDuplicate(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	a, b := bankNode(t, srv.URL()), bankNode(t, srv.URL())
	ctx := ctx(t)
	id := uuid.New()
	_, err := actors.Send(ctx, a, bank.AggregateType, id, bank.Open{Owner: "o"})
	require.NoError(t, err)
	// B's actor comes alive at version 1 (balance 0).
	_, err = actors.Send(ctx, b, bank.AggregateType, id, bank.Withdraw{Amount: 1})
	require.ErrorIs(t, err, actors.ErrRejected)

	_, err = actors.Send(ctx, a, bank.AggregateType, id, bank.Deposit{Amount: 100})
	require.NoError(t, err)
	first, err := actors.Send(ctx, a, bank.AggregateType, id, bank.Withdraw{Amount: 100}, actors.WithCommandID("w-1"))
	require.NoError(t, err)
	require.Equal(t, uint64(3), first.Version)

	again, err := actors.Send(ctx, b, bank.AggregateType, id, bank.Withdraw{Amount: 100}, actors.WithCommandID("w-1"))
	require.NoError(t, err, "node B must not refuse a command node A applied")
	require.True(t, again.Duplicate)
	require.Equal(t, first.Version, again.Version)

	_, err = actors.Send(ctx, a, bank.AggregateType, id, bank.Deposit{Amount: 50})
	require.NoError(t, err)
	rep, err := actors.Send(ctx, b, bank.AggregateType, id, bank.Withdraw{Amount: 50}, actors.WithCommandID("w-2"))
	require.NoError(t, err, "run on the state caught up, not refused on the stale one")
	require.False(t, rep.Duplicate)
	require.Equal(t, uint64(5), rep.Version)
	acc, err := actors.Get[*bank.Account](ctx, b, bank.AggregateType, id)
	require.NoError(t, err)
	require.Equal(t, int64(0), acc.Balance)
}

// A command with NotBefore (as a process manager sends) is applied once
// however many other commands its aggregate accepted since, far more than
// its de-duplication window, across a real write outage of Redis (writes
// refused: min-replicas-to-write) and a restart of the node (a new system
// on the same journal).
func TestDurableDedupBeyondTheWindow(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	rc := srv.Client()
	node := bankNode(t, srv.URL(), actors.DedupWindow(4))
	ctx := ctx(t)
	id := uuid.New()
	_, err := actors.Send(ctx, node, bank.AggregateType, id, bank.Open{Owner: "o"})
	require.NoError(t, err)
	trigger := time.Now()
	pm := []actors.SendOption{actors.WithCommandID("pm/0/7/0"), actors.WithNotBefore(trigger)}
	first, err := actors.Send(ctx, node, bank.AggregateType, id, bank.Deposit{Amount: 10}, pm...)
	require.NoError(t, err)
	for range 20 {
		_, err := actors.Send(ctx, node, bank.AggregateType, id, bank.Deposit{Amount: 1}, actors.WithCommandID(uuid.NewString()))
		require.NoError(t, err)
	}
	// The outage: writes refused, the retry fails as unavailable.
	require.NoError(t, rc.ConfigSet(ctx, "min-replicas-to-write", "1").Err())
	_, err = actors.Send(ctx, node, bank.AggregateType, id, bank.Deposit{Amount: 1})
	require.ErrorIs(t, err, actors.ErrUnavailable)
	require.NoError(t, rc.ConfigSet(ctx, "min-replicas-to-write", "0").Err())
	for range 20 {
		_, err := actors.Send(ctx, node, bank.AggregateType, id, bank.Deposit{Amount: 1}, actors.WithCommandID(uuid.NewString()))
		require.NoError(t, err)
	}

	again, err := actors.Send(ctx, node, bank.AggregateType, id, bank.Deposit{Amount: 10}, pm...)
	require.NoError(t, err)
	require.True(t, again.Duplicate, "found in the journal, 40 commands after it, with a window of 4")
	require.Equal(t, first.Version, again.Version)

	restarted := bankNode(t, srv.URL(), actors.DedupWindow(4))
	again, err = actors.Send(ctx, restarted, bank.AggregateType, id, bank.Deposit{Amount: 10}, pm...)
	require.NoError(t, err)
	require.True(t, again.Duplicate, "and on another node")
	acc, err := actors.Get[*bank.Account](ctx, restarted, bank.AggregateType, id)
	require.NoError(t, err)
	require.Equal(t, int64(50), acc.Balance, "the 10 once, and the 40 others")

	// Without NotBefore the window is all there is: a command id older
	// than it is new again (what process managers no longer rely on).
	_, err = actors.Send(ctx, node, bank.AggregateType, id, bank.Deposit{Amount: 10}, actors.WithCommandID("pm/0/7/0"))
	require.NoError(t, err)
	acc, err = actors.Get[*bank.Account](ctx, node, bank.AggregateType, id)
	require.NoError(t, err)
	require.Equal(t, int64(60), acc.Balance)
}
