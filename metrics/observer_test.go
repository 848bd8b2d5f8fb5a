package metrics_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/metrics"
	"github.com/factum-dev/factum/wire"
)

// TestCommandObserver: a command's outcomes are counted by result and its
// durations fall in the right buckets of its histogram; a second observer
// asked for the same command shares its series.
func TestCommandObserver(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	require.NoError(t, err)
	o := m.Observer().Command("bank.Account", "deposit")
	o.Done(50*time.Microsecond, nil)
	o.Done(time.Millisecond, nil)
	o.Done(10*time.Second, fmt.Errorf("no: %w", actors.ErrRejected))
	m.Observer().Command("bank.Account", "deposit").Done(2*time.Millisecond, wire.Error(wire.CodeConflict, "again"))

	require.Equal(t, 2.0, sample(t, reg, "factum_commands_total", "type", "bank.Account", "command", "deposit", "result", "ok"))
	require.Equal(t, 1.0, sample(t, reg, "factum_commands_total", "result", "rejected"))
	require.Equal(t, 1.0, sample(t, reg, "factum_commands_total", "result", wire.CodeConflict))

	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "factum_command_duration_seconds" {
			continue
		}
		require.Len(t, mf.GetMetric(), 1)
		hist := mf.GetMetric()[0].GetHistogram()
		require.Equal(t, uint64(4), hist.GetSampleCount())
		require.InDelta(t, 10.00305, hist.GetSampleSum(), 1e-9)
		below := func(le float64) uint64 {
			for _, b := range hist.GetBucket() {
				if b.GetUpperBound() >= le {
					return b.GetCumulativeCount()
				}
			}
			return hist.GetSampleCount()
		}
		require.Equal(t, uint64(1), below(0.0001), "50 µs is in the first bucket")
		require.Equal(t, uint64(1), hist.GetBucket()[0].GetCumulativeCount())
		require.Equal(t, uint64(3), below(0.003), "1 ms and 2 ms are below 3 ms")
		require.Equal(t, uint64(3), hist.GetBucket()[len(hist.GetBucket())-1].GetCumulativeCount(), "10 s is above the last bound (5 s)")
		return
	}
	t.Fatal("no factum_command_duration_seconds")
}

// TestHTTPRequest: requests are counted by route, method and status, and
// timed by route, the same series each time; no route is "unmatched".
func TestHTTPRequest(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	require.NoError(t, err)
	route := "POST /v1/{type}/{id}/{command}"
	m.HTTPRequest(route, "POST", 200, 0.001)
	m.HTTPRequest(route, "POST", 200, 0.002)
	m.HTTPRequest(route, "POST", 409, 0.001)
	m.HTTPRequest("", "GET", 404, 0.001)
	m.HTTPRequest("", "GET", 404, 0.001)
	require.Equal(t, 2.0, sample(t, reg, "factum_http_requests_total", "route", route, "method", "POST", "status", "200"))
	require.Equal(t, 1.0, sample(t, reg, "factum_http_requests_total", "route", route, "status", "409"))
	require.Equal(t, 2.0, sample(t, reg, "factum_http_requests_total", "route", "unmatched", "method", "GET", "status", "404"))
	require.Equal(t, 3.0, sample(t, reg, "factum_http_request_duration_seconds", "route", route))
	require.Equal(t, 2.0, sample(t, reg, "factum_http_request_duration_seconds", "route", "unmatched"))
}
