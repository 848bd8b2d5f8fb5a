package metrics

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are factum's metrics, registered with one Registerer.
type Metrics struct {
	commands *commandsCollector

	activations        *prometheus.CounterVec
	activationDuration *prometheus.HistogramVec
	passivations       *prometheus.CounterVec
	snapshots          *prometheus.CounterVec

	appends        *appendsCollector
	appendDuration prometheus.Histogram
	appendBatch    prometheus.Histogram

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	http         sync.Map // httpKey -> *httpSeries, resolved once

	status *statusCollector
	// reg is where New registered them, and Cluster registers its own.
	reg prometheus.Registerer
}

// newDurationBuckets are the buckets of the duration histograms: 100 µs to
// 5 s.
func newDurationBuckets() []float64 { return prometheus.ExponentialBucketsRange(0.0001, 5, 14) }

// New makes the metrics and registers them, and the build info, with reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	durationBuckets := newDurationBuckets()
	m := &Metrics{
		commands: newCommandsCollector(durationBuckets),
		activations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "factum_activations_total",
			Help: "Loads of an aggregate's state from its snapshot and events (activations and reloads), by aggregate type and result.",
		}, []string{"type", "result"}),
		activationDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "factum_activation_duration_seconds",
			Help:    "Time to load an aggregate's state (recovery), by aggregate type.",
			Buckets: durationBuckets,
		}, []string{"type"}),
		passivations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "factum_passivations_total",
			Help: "Aggregate actors stopped after being idle, by aggregate type.",
		}, []string{"type"}),
		snapshots: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "factum_snapshots_total",
			Help: "Snapshots taken, by aggregate type and result (ok, failed, dropped).",
		}, []string{"type", "result"}),
		appends: newAppendsCollector(),
		appendDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "factum_journal_append_duration_seconds",
			Help:    "Time of one append-script call of the Redis journal (a group commit: its appends all wait for it); the memory journal's appends are not timed.",
			Buckets: durationBuckets,
		}),
		appendBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "factum_journal_batch_appends",
			Help:    "Appends per append-script call of the Redis journal's group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10),
		}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "factum_http_requests_total",
			Help: "HTTP requests, by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "factum_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern.",
			Buckets: durationBuckets,
		}, []string{"route"}),
		status: newStatusCollector(),
		reg:    reg,
	}
	version, commit := buildVersion()
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "factum_build_info",
		Help: "Always 1; the labels say which build of factum runs.",
	}, []string{"version", "commit", "goversion"})
	build.WithLabelValues(version, commit, runtime.Version()).Set(1)
	for _, c := range []prometheus.Collector{m.commands, m.activations, m.activationDuration,
		m.passivations, m.snapshots, m.appends, m.appendDuration, m.appendBatch,
		m.httpRequests, m.httpDuration, m.status, build} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRegister, err)
		}
	}
	return m, nil
}

// buildVersion is the main module's version and VCS revision, as the Go
// toolchain recorded them ("unknown" when it did not).
func buildVersion() (version, commit string) {
	version, commit = "unknown", "unknown"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	if v := bi.Main.Version; v != "" {
		version = v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && s.Value != "" {
			commit = s.Value
		}
	}
	return
}

// HTTPRequest counts one HTTP request answered with status after d
// seconds; route is the mux pattern that served it ("" for none).
func (m *Metrics) HTTPRequest(route, method string, status int, seconds float64) {
	k := httpKey{route, method, status}
	v, ok := m.http.Load(k)
	if !ok {
		if route == "" {
			route = "unmatched"
		}
		v, _ = m.http.LoadOrStore(k, &httpSeries{
			requests: m.httpRequests.WithLabelValues(route, method, statusText(status)),
			duration: m.httpDuration.WithLabelValues(route),
		})
	}
	hs := v.(*httpSeries)
	hs.requests.Inc()
	hs.duration.Observe(seconds)
}

// httpKey and httpSeries keep the series of each route, method and
// status once resolved, so that a request costs no label lookup (which
// hashes the labels and takes a read lock every core shares) and no
// status text. There are as many as there are series.
type httpKey struct {
	route, method string
	status        int
}

type httpSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

func statusText(code int) string {
	if code >= 100 && code < 600 {
		return strconv.Itoa(code)
	}
	return "other"
}
