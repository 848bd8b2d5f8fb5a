package server_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/server"
)

// syncBuffer is a buffer the server's goroutines write its log to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAccessLogJSON: with --log-format json at debug, each request has a
// JSON log line with its method, route, status, duration and correlation
// id.
func TestAccessLogJSON(t *testing.T) {
	var f server.Flags
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	f.Register(fs)
	require.NoError(t, server.ParseFlags(fs, []string{"--log-format", "json", "--log-level", "debug"}, func(string) string { return "" }))
	var out syncBuffer
	require.NoError(t, f.Check(&out))
	ts := &testServer{Server: startServer(t, server.Config{Logger: f.Config.Logger}, nil)}

	require.Equal(t, http.StatusOK, ts.post(t, "/v1/bank.Account/fay/open", `{"owner":"Fay"}`, "X-Correlation-ID", "corr-fay").status)
	var line map[string]any
	for l := range strings.SplitSeq(out.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "http request" && m["correlation_id"] == "corr-fay" {
			line = m
		}
	}
	require.NotNil(t, line, "no access log line for the request in:\n%s", out.String())
	require.Equal(t, "DEBUG", line["level"])
	require.Equal(t, "POST", line["method"])
	require.Equal(t, "POST /v1/{type}/{id}/{command}", line["route"])
	require.Equal(t, float64(200), line["status"])
	require.Contains(t, line, "duration")

	f = server.Flags{}
	fs = flag.NewFlagSet("t", flag.ContinueOnError)
	f.Register(fs)
	require.NoError(t, server.ParseFlags(fs, nil, func(k string) string {
		if k == "FACTUM_LOG_FORMAT" {
			return "yaml"
		}
		return ""
	}))
	require.ErrorIs(t, f.Check(&out), server.ErrUsage)
	require.ErrorContains(t, f.Check(&out), "--log-format")
}
