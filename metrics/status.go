package metrics

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/projections"
)

// statusCollector reads gauges when scraped: the live aggregates of an
// actor system and the projections' status.
type statusCollector struct {
	live        *prometheus.Desc
	positionLag *prometheus.Desc
	timeLag     *prometheus.Desc
	handled     *prometheus.Desc
	failures    *prometheus.Desc
	retrying    *prometheus.Desc

	mu       sync.Mutex
	sys      *actors.System
	projStat func() []projections.Status
}

func newStatusCollector() *statusCollector {
	pl := []string{"projection", "partition"}
	return &statusCollector{
		live:        prometheus.NewDesc("factum_aggregates_live", "Live aggregate actors, by aggregate type.", []string{"type"}, nil),
		positionLag: prometheus.NewDesc("factum_projection_lag_events", "Events in the log a projection has not handled yet, by projection and partition.", pl, nil),
		timeLag:     prometheus.NewDesc("factum_projection_lag_seconds", "Age of the oldest event a projection has not handled yet, by projection and partition.", pl, nil),
		handled:     prometheus.NewDesc("factum_projection_handled_total", "Events a projection has handled since the node started, by projection and partition.", pl, nil),
		failures:    prometheus.NewDesc("factum_projection_failures_total", "Failed attempts of a projection (each is retried), by projection and partition.", pl, nil),
		retrying:    prometheus.NewDesc("factum_projection_retrying", "1 while a projection's failure is being retried, by projection and partition.", pl, nil),
	}
}

// Watch has the metrics read the live aggregates of sys when scraped.
func (m *Metrics) Watch(sys *actors.System) {
	m.status.mu.Lock()
	m.status.sys = sys
	m.status.mu.Unlock()
}

// WatchProjections has the metrics read the projections' status from
// status (a projections.Runner's Status) when scraped.
func (m *Metrics) WatchProjections(status func() []projections.Status) {
	m.status.mu.Lock()
	m.status.projStat = status
	m.status.mu.Unlock()
}

func (c *statusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.live, c.positionLag, c.timeLag, c.handled, c.failures, c.retrying} {
		ch <- d
	}
}

func (c *statusCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	sys, projStat := c.sys, c.projStat
	c.mu.Unlock()
	if sys != nil {
		for _, t := range sys.Types() {
			ch <- prometheus.MustNewConstMetric(c.live, prometheus.GaugeValue, float64(sys.Live(t.Name)), t.Name)
		}
	}
	if projStat == nil {
		return
	}
	for _, s := range projStat() {
		p := []string{s.Projection, strconv.Itoa(s.Partition)}
		ch <- prometheus.MustNewConstMetric(c.positionLag, prometheus.GaugeValue, float64(s.PositionLag), p...)
		ch <- prometheus.MustNewConstMetric(c.timeLag, prometheus.GaugeValue, s.TimeLag.Seconds(), p...)
		ch <- prometheus.MustNewConstMetric(c.handled, prometheus.CounterValue, float64(s.Handled), p...)
		ch <- prometheus.MustNewConstMetric(c.failures, prometheus.CounterValue, float64(s.Failures), p...)
		retrying := 0.0
		if s.Retrying {
			retrying = 1
		}
		ch <- prometheus.MustNewConstMetric(c.retrying, prometheus.GaugeValue, retrying, p...)
	}
}
