package redisprojection_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
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
	jredis "github.com/factum-dev/factum/journal/redis"
	"github.com/factum-dev/factum/projections"
	"github.com/factum-dev/factum/projections/checkpointtest"
	"github.com/factum-dev/factum/projections/redisprojection"
)

// redisReadModel writes rows with SET under the projection "p"'s keys.
var redisReadModel = checkpointtest.ReadModel{
	Put: func(ctx context.Context, s projections.TxStore, key, value string) {
		rm := s.(*redisprojection.Store)
		rm.Tx(ctx).Set(ctx, rm.Key("p", "row", key), value, 0)
	},
	Get: func(ctx context.Context, s projections.TxStore, key string) (string, error) {
		rm := s.(*redisprojection.Store)
		v, err := rm.Client().Get(ctx, rm.Key("p", "row", key)).Result()
		if errors.Is(err, goredis.Nil) {
			return "", nil
		}
		return v, err
	},
}

func TestCheckpointsStandalone(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	client := srv.Client()
	n := 0
	checkpointtest.Run(t, func(t *testing.T) projections.CheckpointStore {
		n++
		s, err := redisprojection.New(redisprojection.Config{Client: client, KeyPrefix: "t" + strconv.Itoa(n) + ":"})
		require.NoError(t, err)
		return s
	}, redisReadModel)
}

func TestCheckpointsCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	client := c.Client()
	n := 0
	checkpointtest.Run(t, func(t *testing.T) projections.CheckpointStore {
		n++
		s, err := redisprojection.New(redisprojection.Config{Client: client, KeyPrefix: "t" + strconv.Itoa(n) + ":"})
		require.NoError(t, err)
		return s
	}, redisReadModel)
	// Read-model writes and the checkpoint in one MULTI/EXEC on a cluster.
	s, err := redisprojection.New(redisprojection.Config{Client: client})
	require.NoError(t, err)
	ctx := context.Background()
	for _, name := range []string{"balances", "other{x}"} {
		txCtx, tx, err := s.Begin(ctx, name, 3)
		require.NoError(t, err)
		for i := range 20 {
			s.Tx(txCtx).Set(ctx, s.Key(name, "row", strconv.Itoa(i)), i, 0)
		}
		require.NoError(t, tx.Commit(ctx, 42))
		got, err := s.Load(ctx, name, 3)
		require.NoError(t, err)
		require.Equal(t, uint64(42), got)
		v, err := client.Get(ctx, s.Key(name, "row", "19")).Result()
		require.NoError(t, err)
		require.Equal(t, "19", v)
	}
}

func TestConfig(t *testing.T) {
	_, err := redisprojection.New(redisprojection.Config{})
	require.Error(t, err)
	_, err = redisprojection.New(redisprojection.Config{Client: goredis.NewClient(&goredis.Options{}), KeyPrefix: "a{"})
	require.Error(t, err)
}

// balances is the account balances read model in Redis, exactly-once.
func balances(name string, rm *redisprojection.Store, opts ...projections.ProjectionOption) *projections.Projection {
	p := projections.NewProjection(name, append([]projections.ProjectionOption{projections.Checkpoints(rm)}, opts...)...)
	key := func(n projections.Notification) string { return rm.Key(name, "balance") }
	projections.On(p, func(ctx context.Context, e bank.Deposited, n projections.Notification) error {
		rm.Tx(ctx).HIncrBy(ctx, key(n), n.AggregateID.String(), e.Amount)
		return nil
	})
	projections.On(p, func(ctx context.Context, e bank.Withdrawn, n projections.Notification) error {
		rm.Tx(ctx).HIncrBy(ctx, key(n), n.AggregateID.String(), -e.Amount)
		return nil
	})
	return p
}

func TestBalancesOnRedis(t *testing.T) {
	s := uint64(time.Now().UnixNano())
	t.Logf("seed %d", s)
	rng := rand.New(rand.NewPCG(s, s))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := redistest.StartServer(t, redistest.Options{})
	j, err := jredis.New(ctx, jredis.Config{URL: srv.URL(), Partitions: 2})
	require.NoError(t, err)
	reg := domain.NewRegistry()
	require.NoError(t, bank.RegisterTypes(reg))
	app, err := inmem.NewApplication(app.Config{Registry: reg, Journal: j})
	require.NoError(t, err)
	sys, err := actors.NewSystem(actors.SystemConfig{App: app})
	require.NoError(t, err)
	defer func() { require.NoError(t, sys.Close()); _ = j.Close() }()
	require.NoError(t, actors.Register(sys, bank.AccountType()))
	client := srv.Client()
	rm, err := redisprojection.New(redisprojection.Config{Client: client})
	require.NoError(t, err)

	ids := make([]uuid.UUID, 20)
	for i := range ids {
		ids[i] = uuid.New()
		_, err := actors.Send(ctx, sys, bank.AggregateType, ids[i], bank.Open{Owner: "o"})
		require.NoError(t, err)
	}
	write := func(n int) {
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			seed := rng.Uint64()
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(seed, uint64(g)))
				for range n / 4 {
					id := ids[r.IntN(len(ids))]
					if r.IntN(3) == 0 {
						_, _ = actors.Send(ctx, sys, bank.AggregateType, id, bank.Withdraw{Amount: 1 + r.Int64N(50)})
					} else if _, err := actors.Send(ctx, sys, bank.AggregateType, id, bank.Deposit{Amount: 1 + r.Int64N(100)}); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
	}
	run := func(p *projections.Projection) *projections.Runner {
		r, err := projections.NewRunner(projections.RunnerConfig{System: sys})
		require.NoError(t, err)
		require.NoError(t, r.Add(p))
		require.NoError(t, r.Start(ctx))
		return r
	}
	caughtUp := func(r *projections.Runner) {
		require.Eventually(t, func() bool {
			for _, st := range r.Status() {
				head, err := j.Head(ctx, st.Partition)
				if err != nil || st.Position != head {
					return false
				}
			}
			return true
		}, 30*time.Second, 5*time.Millisecond)
	}
	check := func(name string) {
		got, err := client.HGetAll(ctx, rm.Key(name, "balance")).Result()
		require.NoError(t, err)
		for _, id := range ids {
			a, err := actors.Get[*bank.Account](ctx, sys, bank.AggregateType, id)
			require.NoError(t, err)
			want := ""
			if a.Balance != 0 || got[id.String()] != "" {
				want = strconv.FormatInt(a.Balance, 10)
			}
			require.Equal(t, want, got[id.String()], "%s: account %s", name, id)
		}
	}

	r := run(balances("balances", rm, projections.BatchSize(32)))
	write(400)
	require.NoError(t, r.Stop(ctx))
	write(400)
	r = run(balances("balances", rm, projections.BatchSize(32)))
	caughtUp(r)
	check("balances")
	write(200)
	caughtUp(r)
	check("balances")
	require.NoError(t, r.Stop(ctx))

	rebuilt := run(balances("rebuilt", rm, projections.Start(projections.FromBeginning)))
	caughtUp(rebuilt)
	require.NoError(t, rebuilt.Stop(ctx))
	live, err := client.HGetAll(ctx, rm.Key("balances", "balance")).Result()
	require.NoError(t, err)
	again, err := client.HGetAll(ctx, rm.Key("rebuilt", "balance")).Result()
	require.NoError(t, err)
	require.Equal(t, live, again, "a rebuild from position 0 gives the read model built live")
}

func TestCommitThatFailsAtExecKeepsTheCheckpoint(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Options{})
	client := srv.Client()
	s, err := redisprojection.New(redisprojection.Config{Client: client})
	require.NoError(t, err)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		prev uint64 // 0: no checkpoint yet
	}{{"first", 0}, {"later", 5}} {
		if c.prev > 0 {
			_, tx, err := s.Begin(ctx, c.name, 0)
			require.NoError(t, err)
			require.NoError(t, tx.Commit(ctx, c.prev))
		}
		wrong := s.Key(c.name, "wrong")
		require.NoError(t, client.Set(ctx, wrong, "a string", 0).Err())
		txCtx, tx, err := s.Begin(ctx, c.name, 0)
		require.NoError(t, err)
		s.Tx(txCtx).HIncrBy(ctx, wrong, "f", 1) // WRONGTYPE at EXEC
		err = tx.Commit(ctx, 10)
		require.ErrorContains(t, err, "WRONGTYPE")
		require.ErrorContains(t, err, `projection "`+c.name+`" partition 0`)
		got, err := s.Load(ctx, c.name, 0)
		require.NoError(t, err)
		require.Equal(t, c.prev, got, "%s: a batch with a failed write does not move the checkpoint", c.name)
	}
}
