package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/examples"
	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/server"
)

// scrape reads /metrics.
func (s *testServer) scrape(t *testing.T) string {
	t.Helper()
	res, err := s.Client().Get(s.URL + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return string(b)
}

// metricValue finds the sample of name whose labels include every
// label="value" pair given, in Prometheus's text format; ok is false when
// there is none.
func metricValue(text, name string, labels ...string) (v float64, ok bool) {
	for line := range strings.SplitSeq(text, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			if !strings.Contains(line, labels[i]+`="`+labels[i+1]+`"`) {
				match = false
			}
		}
		if !match {
			continue
		}
		f, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err == nil {
			return f, true
		}
	}
	return 0, false
}

func TestMetricsMoveWithCommands(t *testing.T) {
	s := startAPI(t)
	before := s.scrape(t)
	opened, _ := metricValue(before, "factum_commands_total", "type", "bank.Account", "command", "open", "result", "ok")
	require.Zero(t, opened, "no command has run yet")
	build, ok := metricValue(before, "factum_build_info")
	require.True(t, ok, "factum_build_info is missing:\n%s", before)
	require.Equal(t, 1.0, build)

	require.Equal(t, http.StatusOK, s.post(t, "/v1/bank.Account/dave/open", `{"owner":"Dave"}`).status)
	for range 3 {
		require.Equal(t, http.StatusOK, s.post(t, "/v1/bank.Account/dave/deposit", `{"amount":10}`).status)
	}
	require.Equal(t, http.StatusConflict, s.post(t, "/v1/bank.Account/dave/withdraw", `{"amount":1000}`).status)
	require.Equal(t, http.StatusNotFound, s.post(t, "/v1/bank.Account/nobody/deposit", `{"amount":1}`).status)

	after := s.scrape(t)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"factum_commands_total", []string{"type", "bank.Account", "command", "open", "result", "ok"}, 1},
		{"factum_commands_total", []string{"type", "bank.Account", "command", "deposit", "result", "ok"}, 3},
		{"factum_commands_total", []string{"type", "bank.Account", "command", "withdraw", "result", "rejected"}, 1},
		{"factum_commands_total", []string{"type", "bank.Account", "command", "deposit", "result", "not_found"}, 1},
		{"factum_command_duration_seconds_count", []string{"type", "bank.Account", "command", "deposit"}, 4},
		{"factum_journal_appends_total", []string{"result", "ok"}, 4},
		{"factum_journal_appended_events_total", nil, 4},
		{"factum_journal_append_duration_seconds_count", nil, 0}, // the memory journal's appends are not timed
		{"factum_activations_total", []string{"type", "bank.Account", "result", "ok"}, 2},
		{"factum_aggregates_live", []string{"type", "bank.Account"}, 2},
		{"factum_http_requests_total", []string{"route", "POST /v1/{type}/{id}/{command}", "status", "200"}, 4},
		{"factum_http_requests_total", []string{"route", "GET /metrics", "status", "200"}, 1},
	} {
		got, ok := metricValue(after, c.name, c.labels...)
		if assert.True(t, ok, "%s %v is missing", c.name, c.labels) {
			assert.Equal(t, c.want, got, "%s %v", c.name, c.labels)
		}
	}
	// An aggregate id is never a label.
	assert.NotContains(t, after, "dave")
}

// TestMetricsRedisJournalBatches: on the Redis journal, every
// append-script call of the group commit is counted with its appends and
// timed.
func TestMetricsRedisJournalBatches(t *testing.T) {
	rs := redistest.StartServer(t, redistest.Options{})
	s, err := server.New(context.Background(), server.Config{RedisURL: rs.URL(), RequestTimeout: 5 * time.Second})
	require.NoError(t, err)
	require.NoError(t, examples.Host(s))
	require.NoError(t, s.Start(context.Background()))
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		require.NoError(t, s.Close())
	})
	ts := &testServer{Server: hs}
	require.Equal(t, http.StatusOK, ts.post(t, "/v1/bank.Account/fay/open", `{"owner":"Fay"}`).status)
	for range 3 {
		require.Equal(t, http.StatusOK, ts.post(t, "/v1/bank.Account/fay/deposit", `{"amount":10}`).status)
	}
	text := ts.scrape(t)
	appends, _ := metricValue(text, "factum_journal_appends_total", "result", "ok")
	require.Equal(t, 4.0, appends)
	calls, _ := metricValue(text, "factum_journal_batch_appends_count")
	batched, _ := metricValue(text, "factum_journal_batch_appends_sum")
	timed, _ := metricValue(text, "factum_journal_append_duration_seconds_count")
	took, _ := metricValue(text, "factum_journal_append_duration_seconds_sum")
	require.GreaterOrEqual(t, calls, 1.0, text)
	require.Equal(t, 4.0, batched, "every append went in a counted script call")
	require.Equal(t, calls, timed, "every script call is timed")
	require.Positive(t, took)
}
