package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/examples"
)

// TestClusterBankTransfers runs 1,000 random transfers across three nodes
// (the transfer process manager runs per partition on the partition's
// owner, its commands routed to the accounts' owners) and kills one node
// part way: money is conserved, every transfer ends final, the log shows
// each transfer's money moved exactly once, and the balances read model
// equals the balances rebuilt from the log.
func TestClusterBankTransfers(t *testing.T) {
	c := startCluster(t, 3, 32)
	require.Eventually(t, func() bool { _, ok := c.ownedOnce(c.nodes...); return ok }, 5*time.Second, 20*time.Millisecond)
	s := uint64(time.Now().UnixNano())
	t.Logf("seed %d", s)
	rng := rand.New(rand.NewPCG(s, s))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	const accounts, transfers, opening = 20, 1000, 1000
	// must sends a command through the live nodes until it is accepted.
	must := func(path, body, key string) {
		t.Helper()
		for attempt := 0; ; attempt++ {
			live := c.live()
			actx, acancel := context.WithTimeout(ctx, 5*time.Second)
			r, err := c.send(actx, live[attempt%len(live)], path, body, key)
			acancel()
			if err == nil && r.Status == 200 {
				return
			}
			require.NoError(t, ctx.Err(), "%s: %v %+v", path, err, r)
		}
	}
	ids := make([]uuid.UUID, accounts)
	for i := range ids {
		name := fmt.Sprintf("acct-%d", i)
		var err error
		ids[i], err = domain.AggregateID("bank.Account", name)
		require.NoError(t, err)
		must("/v1/bank.Account/"+name+"/open", `{"owner":"o"}`, "open-"+name)
		must("/v1/bank.Account/"+name+"/deposit", fmt.Sprintf(`{"amount":%d}`, opening), "dep-"+name)
	}
	type plan struct {
		id       uuid.UUID
		from, to uuid.UUID
	}
	plans := make([]plan, transfers)
	bodies := make([]string, transfers)
	for i := range plans {
		from, to := rng.IntN(accounts), rng.IntN(accounts-1)
		if to >= from {
			to++
		}
		plans[i] = plan{id: uuid.New(), from: ids[from], to: ids[to]}
		bodies[i] = fmt.Sprintf(`{"from":%q,"to":%q,"amount":%d}`, ids[from], ids[to], 1+rng.Int64N(150))
	}
	var started atomic.Int64
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < transfers; i += 16 {
				must("/v1/bank.Transfer/"+plans[i].id.String()+"/start", bodies[i], "start-"+plans[i].id.String())
				started.Add(1)
			}
		}()
	}
	require.Eventually(t, func() bool { return started.Load() >= transfers/3 }, time.Minute, time.Millisecond)
	c.nodes[0].kill(syscall.SIGKILL)
	wg.Wait()

	// Every transfer ends final.
	status := map[uuid.UUID]string{}
	require.Eventually(t, func() bool {
		live := c.live()
		for i, p := range plans {
			if st := status[p.id]; st == "completed" || st == "failed" || st == "refunded" {
				continue
			}
			res, err := c.http.Get("http://" + live[i%len(live)].addr + "/v1/bank.Transfer/" + p.id.String())
			if err != nil {
				return false
			}
			var st struct {
				Data struct {
					Status string `json:"status"`
				} `json:"data"`
			}
			ok := res.StatusCode == http.StatusOK
			if err := jsonDecode(res, &st); err != nil || !ok {
				return false
			}
			status[p.id] = st.Data.Status
			if st.Data.Status != "completed" && st.Data.Status != "failed" && st.Data.Status != "refunded" {
				return false
			}
		}
		return true
	}, 2*time.Minute, 50*time.Millisecond, "every transfer ends final")

	// Money is conserved.
	var total int64
	live := c.live()
	for i := range ids {
		res, err := c.http.Get("http://" + live[i%len(live)].addr + fmt.Sprintf("/v1/bank.Account/acct-%d", i))
		require.NoError(t, err)
		var st struct {
			Data struct {
				Balance int64 `json:"balance"`
			} `json:"data"`
		}
		require.NoError(t, jsonDecode(res, &st))
		require.GreaterOrEqual(t, st.Data.Balance, int64(0))
		total += st.Data.Balance
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
	log := c.readLog(c.journal())
	c.checkFencing(log)
	for _, n := range log {
		m := seen[n.Meta.CorrelationID]
		if m == nil {
			continue
		}
		p := byID[n.Meta.CorrelationID]
		switch n.Type {
		case "bank.Withdrawn":
			require.Equal(t, p.from, n.AggregateID)
			m.withdrawn++
		case "bank.Deposited":
			if n.AggregateID == p.to {
				m.depositedTo++
			} else {
				require.Equal(t, p.from, n.AggregateID)
				m.refunded++
			}
		}
	}
	count := map[string]int{}
	for _, p := range plans {
		st := status[p.id]
		count[st]++
		want := map[string]moves{"completed": {1, 1, 0}, "failed": {0, 0, 0}, "refunded": {1, 0, 1}}[st]
		require.Equal(t, want, *seen[p.id.String()], "transfer %s (%s)", p.id, st)
	}
	t.Logf("transfers: %v", count)
	require.Positive(t, count["completed"])

	// The balances read model (a projection run per partition by its
	// owner, committed with its checkpoints in Redis) equals the balances
	// rebuilt from the log, once caught up.
	rebuilt := map[string]float64{}
	for _, n := range log {
		var e struct {
			Amount int64 `json:"amount"`
		}
		switch n.Type {
		case "bank.Opened", "bank.Deposited", "bank.Withdrawn":
			require.NoError(t, json.Unmarshal(n.Data, &e), "%s at partition %d position %d", n.Type, n.Partition, n.Position)
		default:
			continue
		}
		if n.Type == "bank.Withdrawn" {
			e.Amount = -e.Amount
		}
		rebuilt[n.AggregateID.String()] += float64(e.Amount)
	}
	require.Len(t, rebuilt, accounts)
	var got map[string]float64
	caughtUp := assert.Eventually(t, func() bool {
		res, err := c.http.Get("http://" + live[0].addr + examples.BalancesPath)
		if err != nil {
			return false
		}
		var body struct {
			Balances map[string]float64 `json:"balances"`
		}
		if err := jsonDecode(res, &body); err != nil || res.StatusCode != http.StatusOK {
			return false
		}
		got = body.Balances
		return maps.Equal(got, rebuilt)
	}, time.Minute, 50*time.Millisecond, "the balances read model equals the log's")
	if !caughtUp {
		for id, want := range rebuilt {
			if v, ok := got[id]; !ok || v != want {
				t.Logf("account %s: read model %v (present %v), log %v", id, v, ok, want)
			}
		}
		t.FailNow()
	}
}
