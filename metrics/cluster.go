package metrics

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/factum-dev/factum/cluster"
)

// Cluster makes the metrics of a cluster node, registers them with the
// Metrics' Registerer and returns the cluster.Observer that feeds them:
// give it to cluster.Config.Observer. Call it once per Metrics (a second
// call cannot register the same metrics again: ErrRegister).
//
// There is no partition label: the node's partitions owned are one
// gauge, and its leases, handovers and forwards are counted over all of
// them.
func (m *Metrics) Cluster() (cluster.Observer, error) {
	o := &clusterObserver{
		owned: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "factum_cluster_partitions_owned",
			Help: "Log partitions this node owns and serves.",
		}),
		acquired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "factum_cluster_lease_acquisitions_total",
			Help: "Partition leases this node acquired.",
		}),
		renewed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "factum_cluster_lease_renewals_total",
			Help: "Partition leases renewed.",
		}),
		renewFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "factum_cluster_lease_renewal_failures_total",
			Help: "Lease renewals that failed (Redis did not answer in time); the lease is kept until it is not renewed in time.",
		}),
		handover: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "factum_cluster_handover_duration_seconds",
			Help:    "Time to hand a partition over in order (drain, stop its actors and workers, release the lease); its count is the number of handovers.",
			Buckets: newDurationBuckets(),
		}),
	}
	lost := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "factum_cluster_leases_lost_total",
		Help: "Partitions this node stopped serving without a handover, by reason: lost (a renewal found the lease taken) or not_renewed (not renewed in time).",
	}, []string{"reason"})
	forwards := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "factum_cluster_forwards_total",
		Help: "Commands and queries sent to the owner of their partition, by kind (command, query) and outcome: ok (the owner answered), moved (not run there; sent again), transport_error (not delivered), outcome_unknown (may have arrived; sent again with its command id).",
	}, []string{"kind", "outcome"})
	forwardDuration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "factum_cluster_forward_duration_seconds",
		Help:    "Time of one forward to a partition's owner, by kind (command, query).",
		Buckets: newDurationBuckets(),
	}, []string{"kind"})
	o.lost[cluster.LeaseTaken] = lost.WithLabelValues("lost")
	o.lost[cluster.LeaseNotRenewed] = lost.WithLabelValues("not_renewed")
	for k, kind := range []string{cluster.ForwardCommand: "command", cluster.ForwardQuery: "query"} {
		for oc, outcome := range []string{cluster.ForwardOK: "ok", cluster.ForwardMoved: "moved",
			cluster.ForwardTransportError: "transport_error", cluster.ForwardOutcomeUnknown: "outcome_unknown"} {
			o.forwards[k][oc] = forwards.WithLabelValues(kind, outcome)
		}
		o.forwardDuration[k] = forwardDuration.WithLabelValues(kind)
	}
	for _, c := range []prometheus.Collector{o.owned, o.acquired, o.renewed, o.renewFailed, o.handover, lost, forwards, forwardDuration} {
		if err := m.reg.Register(c); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRegister, err)
		}
	}
	return o, nil
}

// clusterObserver holds every series it updates resolved in advance: no
// label lookup per forward.
type clusterObserver struct {
	owned                          prometheus.Gauge
	acquired, renewed, renewFailed prometheus.Counter
	handover                       prometheus.Histogram
	lost                           [2]prometheus.Counter
	forwards                       [2][4]prometheus.Counter
	forwardDuration                [2]prometheus.Observer
}

var _ cluster.Observer = (*clusterObserver)(nil)

func (o *clusterObserver) Owned(partitions int) { o.owned.Set(float64(partitions)) }

func (o *clusterObserver) LeaseAcquired() { o.acquired.Inc() }

func (o *clusterObserver) LeasesRenewed(renewed, failed int) {
	o.renewed.Add(float64(renewed))
	o.renewFailed.Add(float64(failed))
}

func (o *clusterObserver) LeaseLost(why cluster.LossReason) {
	if int(why) >= 0 && int(why) < len(o.lost) {
		o.lost[why].Inc()
	}
}

func (o *clusterObserver) HandedOver(d time.Duration) { o.handover.Observe(d.Seconds()) }

func (o *clusterObserver) Forwarded(kind cluster.ForwardKind, outcome cluster.ForwardOutcome, d time.Duration) {
	if int(kind) < 0 || int(kind) >= len(o.forwards) || int(outcome) < 0 || int(outcome) >= len(o.forwards[kind]) {
		return
	}
	o.forwards[kind][outcome].Inc()
	o.forwardDuration[kind].Observe(d.Seconds())
}
