package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/examples"
	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/server"
)

// TestReadyzFollowsRedis stops the real redis-server under a running
// server: /readyz turns 503 naming the journal, /healthz stays 200, the
// process manager shows as retrying with the notifier's error, and all
// comes back when Redis does.
func TestReadyzFollowsRedis(t *testing.T) {
	rs := redistest.StartServer(t, redistest.Options{AOF: true})
	s, err := server.New(context.Background(), server.Config{RedisURL: rs.URL(), RequestTimeout: 2 * time.Second})
	require.NoError(t, err)
	require.NoError(t, examples.Host(s))
	require.NoError(t, s.Start(context.Background()))
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		_ = s.Close() // Redis may be down: closing may report it
	})
	ts := &testServer{Server: hs}

	r := ts.get(t, "/readyz")
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Equal(t, "ready", r.body["status"])
	require.Equal(t, map[string]any{"journal": "ok"}, r.body["checks"])
	require.Equal(t, http.StatusOK, ts.post(t, "/v1/bank.Account/erin/open", `{"owner":"Erin"}`).status)
	require.False(t, anyRetrying(t, ts))

	rs.Stop()
	require.Eventually(t, func() bool {
		r = ts.get(t, "/readyz")
		return r.status == http.StatusServiceUnavailable
	}, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, "unavailable", r.body["status"])
	assert.Contains(t, r.body["checks"].(map[string]any)["journal"], "the journal does not answer")
	assert.Equal(t, http.StatusOK, ts.get(t, "/healthz").status, "liveness does not depend on Redis")
	dep := ts.post(t, "/v1/bank.Account/erin/deposit", `{"amount":5}`)
	assert.Contains(t, []int{http.StatusServiceUnavailable, http.StatusGatewayTimeout}, dep.status, dep.body)
	require.Eventually(t, func() bool { return anyRetrying(t, ts) }, 10*time.Second, 20*time.Millisecond,
		"the process manager shows as retrying while its notifier fails")

	rs.Restart()
	require.Eventually(t, func() bool { return ts.get(t, "/readyz").status == http.StatusOK }, 10*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool { return !anyRetrying(t, ts) }, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, http.StatusOK, ts.post(t, "/v1/bank.Account/erin/deposit", `{"amount":5}`).status)
}

// anyRetrying says whether /v1/projections shows any projection retrying;
// one that is has a last error.
func anyRetrying(t *testing.T, ts *testServer) bool {
	t.Helper()
	r := ts.get(t, "/v1/projections")
	require.Equal(t, http.StatusOK, r.status)
	ps := r.body["projections"].([]any)
	require.NotEmpty(t, ps)
	for _, p := range ps {
		p := p.(map[string]any)
		if p["retrying"] == true {
			require.NotEmpty(t, p["last_error"], "a retrying projection says why: %v", p)
			return true
		}
	}
	return false
}
