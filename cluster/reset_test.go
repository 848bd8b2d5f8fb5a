package cluster_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/examples"
)

// TestClusterProjectionReset resets the balances projection through one
// node of two: its read model is cleared and rebuilt from the log in
// every partition, whichever node owns it (a row made wrong by hand
// before the reset is right after it, and no balance counts twice).
func TestClusterProjectionReset(t *testing.T) {
	const token = "admin-secret"
	c := startCluster(t, 2, 8, "FACTUM_ADMIN_TOKEN="+token)
	require.Eventually(t, func() bool { _, ok := c.ownedOnce(c.nodes...); return ok }, 5*time.Second, 20*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	want := map[string]float64{}
	for i := range 10 {
		name := fmt.Sprintf("acct-%d", i)
		id, err := domain.AggregateID("bank.Account", name)
		require.NoError(t, err)
		for _, cmd := range []struct{ path, body string }{
			{"/v1/bank.Account/" + name + "/open", `{"owner":"o"}`},
			{"/v1/bank.Account/" + name + "/deposit", fmt.Sprintf(`{"amount":%d}`, 10*i+1)},
		} {
			r, err := c.send(ctx, c.nodes[i%2], cmd.path, cmd.body, "")
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, r.Status, "%s: %+v", cmd.path, r)
		}
		want[id.String()] = float64(10*i + 1)
	}
	balances := func() map[string]float64 {
		res, err := c.http.Get("http://" + c.nodes[1].addr + examples.BalancesPath)
		require.NoError(t, err)
		var body struct {
			Balances map[string]float64 `json:"balances"`
		}
		require.NoError(t, jsonDecode(res, &body))
		return body.Balances
	}
	require.Eventually(t, func() bool { return maps.Equal(balances(), want) }, 30*time.Second, 20*time.Millisecond)

	// Make one row wrong by hand: only a rebuild puts it right.
	key := "factum:projection:{bank.balances}:balance"
	var wrong string
	for id := range want {
		wrong = id
		break
	}
	require.NoError(t, c.redis.Client().HSet(ctx, key, wrong, 999999).Err())
	require.NotEqual(t, want, balances())

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+c.nodes[0].addr+"/v1/admin/projections/bank.balances/reset", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.http.Do(req)
	require.NoError(t, err)
	var body map[string]any
	require.NoError(t, jsonDecode(res, &body))
	require.Equal(t, http.StatusOK, res.StatusCode, body)

	var got map[string]float64
	ok := assertEventually(func() bool { got = balances(); return maps.Equal(got, want) }, 30*time.Second)
	require.True(t, ok, "the read model is rebuilt from the log in every partition: got %v, want %v", got, want)
}

// assertEventually polls cond until it holds or d passes.
func assertEventually(cond func() bool, d time.Duration) bool {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}
