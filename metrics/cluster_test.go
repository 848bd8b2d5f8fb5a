package metrics_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/cluster"
	"github.com/factum-dev/factum/metrics"
)

// TestClusterObserver: each hook of the cluster observer moves its own
// series, and only it.
func TestClusterObserver(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	require.NoError(t, err)
	before, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range before {
		require.NotContains(t, mf.GetName(), "factum_cluster_", "cluster metrics only once Cluster is called")
	}
	o, err := m.Cluster()
	require.NoError(t, err)

	o.Owned(5)
	o.Owned(3)
	o.LeaseAcquired()
	o.LeaseAcquired()
	o.LeasesRenewed(4, 1)
	o.LeasesRenewed(2, 0)
	o.LeaseLost(cluster.LeaseTaken)
	o.LeaseLost(cluster.LeaseNotRenewed)
	o.LeaseLost(cluster.LeaseNotRenewed)
	o.HandedOver(30 * time.Millisecond)
	o.Forwarded(cluster.ForwardCommand, cluster.ForwardOK, time.Millisecond)
	o.Forwarded(cluster.ForwardCommand, cluster.ForwardOK, 2*time.Millisecond)
	o.Forwarded(cluster.ForwardCommand, cluster.ForwardMoved, time.Millisecond)
	o.Forwarded(cluster.ForwardCommand, cluster.ForwardOutcomeUnknown, time.Second)
	o.Forwarded(cluster.ForwardQuery, cluster.ForwardTransportError, time.Millisecond)

	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"factum_cluster_partitions_owned", nil, 3},
		{"factum_cluster_lease_acquisitions_total", nil, 2},
		{"factum_cluster_lease_renewals_total", nil, 6},
		{"factum_cluster_lease_renewal_failures_total", nil, 1},
		{"factum_cluster_leases_lost_total", []string{"reason", "lost"}, 1},
		{"factum_cluster_leases_lost_total", []string{"reason", "not_renewed"}, 2},
		{"factum_cluster_handover_duration_seconds", nil, 1},
		{"factum_cluster_forwards_total", []string{"kind", "command", "outcome", "ok"}, 2},
		{"factum_cluster_forwards_total", []string{"kind", "command", "outcome", "moved"}, 1},
		{"factum_cluster_forwards_total", []string{"kind", "command", "outcome", "outcome_unknown"}, 1},
		{"factum_cluster_forwards_total", []string{"kind", "command", "outcome", "transport_error"}, 0},
		{"factum_cluster_forwards_total", []string{"kind", "query", "outcome", "transport_error"}, 1},
		{"factum_cluster_forwards_total", []string{"kind", "query", "outcome", "ok"}, 0},
		{"factum_cluster_forward_duration_seconds", []string{"kind", "command"}, 4},
		{"factum_cluster_forward_duration_seconds", []string{"kind", "query"}, 1},
	} {
		require.Equal(t, c.want, sample(t, reg, c.name, c.labels...), "%s%v", c.name, c.labels)
	}

	_, err = m.Cluster()
	require.ErrorIs(t, err, metrics.ErrRegister, "the cluster metrics are registered once")
}

// sample reads the value of the series of name with the given label
// pairs (for a histogram, its count).
func sample(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, mt := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range mt.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue next
				}
			}
			switch {
			case mt.GetCounter() != nil:
				return mt.GetCounter().GetValue()
			case mt.GetGauge() != nil:
				return mt.GetGauge().GetValue()
			case mt.GetHistogram() != nil:
				return float64(mt.GetHistogram().GetSampleCount())
			}
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}
