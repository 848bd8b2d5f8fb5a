package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/cluster"
	"github.com/factum-dev/factum/examples"
	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/server"
)

// TestClusterNodeAlone runs a server as the one node of a cluster: it
// becomes ready and owns every partition, its events record it as their
// writer, and once another holder takes its leases its commands are
// refused and nothing more is written.
func TestClusterNodeAlone(t *testing.T) {
	rs := redistest.StartServer(t, redistest.Options{})
	s, err := server.New(context.Background(), server.Config{RedisURL: rs.URL(), Partitions: 4, RequestTimeout: time.Second,
		Cluster: &server.ClusterConfig{NodeID: "n1", Advertise: "127.0.0.1:1", Tuning: func(c *cluster.Config) {
			c.Tick = 20 * time.Millisecond
		}}})
	require.NoError(t, err)
	require.NoError(t, examples.Host(s))
	require.NoError(t, s.Start(context.Background()))
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); require.NoError(t, s.Close()) })
	ts := &testServer{Server: hs}

	require.Eventually(t, func() bool {
		r := ts.get(t, "/v1/cluster")
		owned, _ := r.body["owned"].([]any)
		return r.status == http.StatusOK && len(owned) == 4
	}, 10*time.Second, 10*time.Millisecond)
	r := ts.get(t, "/readyz")
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Equal(t, "ok", r.body["checks"].(map[string]any)["cluster"])

	require.Equal(t, http.StatusOK, ts.post(t, "/v1/bank.Account/erin/open", `{"owner":"Erin"}`).status)
	st := ts.get(t, "/v1/bank.Account/erin")
	require.Equal(t, http.StatusOK, st.status, st.body)
	head := func() uint64 {
		var total uint64
		for p := range 4 {
			h, err := s.Journal().Head(context.Background(), p)
			require.NoError(t, err)
			total += h
		}
		return total
	}
	before := head()
	require.Equal(t, uint64(1), before)
	for p := range 4 {
		ns, err := s.Journal().Select(context.Background(), p, 1, 10)
		require.NoError(t, err)
		for _, n := range ns {
			require.Equal(t, "n1", n.Meta.Extra[cluster.MetaWriterNode], "the event records its writer")
			require.NotEmpty(t, n.Meta.Extra[cluster.MetaWriterEpoch])
		}
	}

	// Another holder takes every lease (as after this node was cut off):
	// the node drops its partitions, and the storage refuses its appends.
	client := rs.Client()
	for p := range 4 {
		key := "factum:{p" + string(rune('0'+p)) + "}:lease"
		require.NoError(t, client.Set(context.Background(), key, "99/other", time.Minute).Err())
	}
	require.Eventually(t, func() bool {
		owned, _ := ts.get(t, "/v1/cluster").body["owned"].([]any)
		return len(owned) == 0
	}, 10*time.Second, 10*time.Millisecond, "the node drops the partitions whose leases it lost")
	dep := ts.post(t, "/v1/bank.Account/erin/deposit", `{"amount":5}`)
	require.Equal(t, http.StatusServiceUnavailable, dep.status, dep.body)
	require.Contains(t, []any{"moved", "fenced"}, dep.body["error"])
	require.Equal(t, before, head(), "nothing written without the lease")
}
