package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/factum-dev/factum/metrics"
)

// newRegistry is the registry of a server given none: the Go runtime's
// and the process's collectors, and factum's metrics.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Metrics are the server's Prometheus metrics (see package metrics).
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// serveMetrics is GET /metrics, in Prometheus's text format.
func (a *api) serveMetrics() http.Handler {
	return promhttp.HandlerFor(a.s.registry, promhttp.HandlerOpts{ErrorLog: slogPrinter{a.log}})
}
