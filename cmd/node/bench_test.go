package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/internal/redistest"
)

func noEnv(string) string { return "" }

// runBenchArgs runs `node bench args...` and returns its exit code, its
// output and the JSON result it wrote.
func runBenchArgs(t *testing.T, args ...string) (int, string, string, benchResult) {
	t.Helper()
	out := t.TempDir() + "/r.json"
	var stdout, stderr strings.Builder
	code := run(context.Background(), append(append([]string{"bench"}, args...), "--out", out), noEnv, &stdout, &stderr)
	var res benchResult
	if b, err := os.ReadFile(out); err == nil {
		require.NoError(t, json.Unmarshal(b, &res))
	}
	return code, stdout.String(), stderr.String(), res
}

// TestBenchResultRecordsConfig checks the JSON result: the configuration
// it ran with, the percentiles, and no progress bar on a stderr that is
// not a terminal.
func TestBenchResultRecordsConfig(t *testing.T) {
	code, stdout, stderr, res := runBenchArgs(t, "--aggregates", "40", "--concurrency", "4", "--commands", "400", "--partitions", "2")
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, stderr, "\r", "a progress bar on a stderr that is not a terminal")
	assert.Contains(t, stdout, "p99.9")
	c := res.Config
	assert.Equal(t, "in-process", c.Mode)
	assert.Equal(t, "memory", c.Journal)
	assert.Equal(t, 2, c.Partitions)
	assert.Equal(t, "plain", c.Pipeline)
	assert.Equal(t, "closed", c.Loop)
	assert.NotEmpty(t, c.GoVersion)
	assert.NotEmpty(t, c.Commit)
	assert.Positive(t, c.GOMAXPROCS)
	assert.EqualValues(t, 400, res.Commands)
	assert.True(t, res.Verified)
	l := res.LatencyMS
	assert.True(t, l.P50 <= l.P90 && l.P90 <= l.P95 && l.P95 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max, "%+v", l)
	assert.Positive(t, l.Mean)
	require.NotNil(t, res.GC)
	assert.Positive(t, res.GC.AllocsPerCommand)
}

// TestBenchOutOffByDefault: without --out, no file is written.
func TestBenchOutOffByDefault(t *testing.T) {
	dir := t.TempDir()
	wd, err := os.Getwd()
	require.NoError(t, err)
	require.NoError(t, os.Chdir(dir))
	defer func() { require.NoError(t, os.Chdir(wd)) }()
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"bench", "--aggregates", "10", "--concurrency", "2", "--commands", "20"}, noEnv, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

// TestBenchOpenLoop offers commands at a fixed rate: the run takes about
// commands/rate, and latencies count from when each command was due.
func TestBenchOpenLoop(t *testing.T) {
	start := time.Now()
	code, _, stderr, res := runBenchArgs(t, "--aggregates", "20", "--concurrency", "4", "--commands", "200", "--rate", "1000")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "open", res.Config.Loop)
	assert.EqualValues(t, 1000, res.Config.Rate)
	assert.EqualValues(t, 200, res.Commands)
	// 200 commands at 1000/s cannot take less than the schedule, 0.2 s.
	assert.GreaterOrEqual(t, time.Since(start), 190*time.Millisecond)
	assert.GreaterOrEqual(t, res.Seconds, 0.19)
	assert.True(t, res.Verified)
}

// TestBenchOverHTTP drives this process's node over loopback HTTP, with
// JSON, protobuf and batches, and the baseline handler.
func TestBenchOverHTTP(t *testing.T) {
	for name, args := range map[string][]string{
		"json":     {"--http"},
		"baseline": {"--baseline"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr, res := runBenchArgs(t, append([]string{"--aggregates", "60", "--concurrency", "4", "--commands", "300"}, args...)...)
			require.Equal(t, 0, code, stdout+stderr)
			assert.EqualValues(t, 300, res.Commands, stdout)
			assert.Zero(t, res.Errors, stdout)
			if name == "baseline" {
				assert.Equal(t, "baseline", res.Config.Mode)
				return
			}
			assert.Equal(t, "http", res.Config.Mode)
			assert.True(t, res.Verified, res.VerifyError)
		})
	}
}

// TestBenchNoop runs the load generator alone, closed and open loop: every
// command counted, nothing verified, the mode recorded.
func TestBenchNoop(t *testing.T) {
	for _, loop := range [][]string{nil, {"--rate", "20000"}} {
		code, stdout, stderr, res := runBenchArgs(t, append([]string{"--noop", "--aggregates", "60", "--concurrency", "4", "--commands", "400"}, loop...)...)
		require.Equal(t, 0, code, stdout+stderr)
		assert.EqualValues(t, 400, res.Commands, stdout)
		assert.Zero(t, res.Errors, stdout)
		assert.Equal(t, "noop", res.Config.Mode)
		assert.Equal(t, "none", res.Config.Journal)
		assert.False(t, res.Verified)
		assert.Contains(t, stdout, "not verified: --noop drives no node")
	}
}

// TestBenchWarmup leaves the warm-up's commands out of the latencies and
// the commands/s, and reports the first commands whenever they ran.
func TestBenchWarmup(t *testing.T) {
	code, stdout, stderr, res := runBenchArgs(t, "--aggregates", "200", "--concurrency", "4", "--duration", "1500ms",
		"--warmup", "1s", "--rate", "400")
	require.Equal(t, 0, code, stdout+stderr)
	assert.Equal(t, 1.0, res.Config.WarmupSeconds)
	// 400/s for half a second after a second of warm-up: about 200, not 600.
	assert.InDelta(t, 200, res.Commands, 40, stdout)
	assert.InDelta(t, 0.5, res.Seconds, 0.1, stdout)
	// Every aggregate's first command ran in the warm-up (400 due in the
	// first second, 200 aggregates), and is reported.
	assert.Positive(t, res.FirstLatencyMS.Max, stdout)
	assert.True(t, res.Verified, res.VerifyError)
	assert.Contains(t, stdout, "after a warm-up of 1s")
}

// TestBenchTarget drives a node that `node run` started, over kept
// connections spread over two URLs of it, and verifies over the API.
func TestBenchTarget(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	env := map[string]string{"FACTUM_ADDR": "127.0.0.1:0", "FACTUM_LOG_LEVEL": "error"}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"run"}, func(k string) string { return env[k] }, w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	addr := regexp.MustCompile(`http://[0-9.:]+`).FindString(line)
	require.NotEmpty(t, addr, line)
	go func() { _, _ = io.Copy(io.Discard, out) }()

	code, stdout, stderr, res := runBenchArgs(t, "--target", addr+","+addr+"/", "--aggregates", "30", "--concurrency", "3", "--commands", "150")
	require.Equal(t, 0, code, stdout+stderr)
	assert.Equal(t, "target", res.Config.Mode)
	assert.Len(t, res.Config.Targets, 2)
	assert.EqualValues(t, 150, res.Commands)
	assert.True(t, res.Verified, res.VerifyError)

	cancel()
	require.Equal(t, 0, <-done)
}

// TestBenchErrorsByCode counts failures by their code: a target whose
// node does not host the bench item answers every command with an error.
func TestBenchErrorsByCode(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":"unknown_type","message":"no such type"}`)
	}))
	defer srv.Close()
	code, stdout, _, res := runBenchArgs(t, "--target", srv.URL, "--aggregates", "4", "--concurrency", "2", "--commands", "10")
	assert.Equal(t, 0, code, stdout) // nothing acknowledged: nothing to lose
	assert.EqualValues(t, 10, res.Errors)
	assert.Equal(t, map[string]int64{"unknown_type": 10}, res.ErrorsByCode)
	assert.Contains(t, stdout, "unknown_type 10")
}

// TestHTTPConnChunked reads a chunked response and reconnects after the
// server closed the connection.
func TestHTTPConnChunked(t *testing.T) {
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		if n == 2 {
			w.Header().Set("Connection", "close")
		}
		fmt.Fprint(w, `{"version":`)
		w.(http.Flusher).Flush() // chunked from here
		fmt.Fprintf(w, `%d}`, n)
	}))
	defer srv.Close()
	c := newHTTPConn(strings.TrimPrefix(srv.URL, "http://"), 5*time.Second)
	defer c.close()
	for i := 1; i <= 3; i++ {
		status, body, err := c.post("/x", "application/json", []byte("{}"))
		require.NoError(t, err)
		assert.Equal(t, 200, status)
		v, ok := jsonUint(body, "version")
		require.True(t, ok, "%s", body)
		assert.EqualValues(t, i, v)
	}
}

// TestHTTPConnTransportError: a target that is not there is an error
// with the code "transport", not a hang.
func TestHTTPConnTransportError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	s := &httpSender{conn: newHTTPConn(addr, time.Second), payload: []byte("{}")}
	out := make([]benchOut, 1)
	s.send(context.Background(), []benchCmd{{first: true}}, out)
	assert.Equal(t, "transport", out[0].code)
	assert.ErrorIs(t, out[0].err, errTransport)
}

// TestBenchRedisCleansUp runs on a real redis-server: the run's keys are
// deleted afterwards, unless --keep.
func TestBenchRedisCleansUp(t *testing.T) {
	r := redistest.StartServer(t, redistest.Options{})
	client := r.Client()
	ctx := context.Background()
	require.NoError(t, client.Set(ctx, "someone-elses", "1", 0).Err())

	code, stdout, stderr, res := runBenchArgs(t, "--redis", r.URL(), "--aggregates", "20", "--concurrency", "4", "--commands", "200", "--snapshot-every", "3")
	require.Equal(t, 0, code, stdout+stderr)
	assert.True(t, res.Verified, res.VerifyError)
	assert.Contains(t, res.Cleanup, "deleted")
	keys, err := client.Keys(ctx, "*").Result()
	require.NoError(t, err)
	assert.Equal(t, []string{"someone-elses"}, keys)

	code, stdout, stderr, res = runBenchArgs(t, "--redis", r.URL(), "--aggregates", "20", "--concurrency", "4", "--commands", "200", "--keep", "--key-prefix", "kept:")
	require.Equal(t, 0, code, stdout+stderr)
	assert.Contains(t, res.Cleanup, "kept")
	kept, err := client.Keys(ctx, "kept:*").Result()
	require.NoError(t, err)
	assert.NotEmpty(t, kept)
}

func TestBenchUsage(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"two modes":         {[]string{"--http", "--baseline"}, "choose one"},
		"noop and http":     {[]string{"--noop", "--http"}, "choose one"},
		"warmup too long":   {[]string{"--duration", "2s", "--warmup", "2s"}, "less than --duration"},
		"negative warmup":   {[]string{"--warmup", "-1s"}, "want 0 or more"},
		"noop protobuf":     {[]string{"--noop", "--protobuf"}, "need HTTP"},
		"protobuf offline":  {[]string{"--protobuf"}, "need HTTP"},
		"baseline batch":    {[]string{"--baseline", "--batch", "2"}, "single JSON"},
		"batch too big":     {[]string{"--http", "--aggregates", "10", "--concurrency", "5", "--batch", "3"}, "--batch 3"},
		"negative rate":     {[]string{"--rate", "-1"}, "--rate"},
		"negative yield":    {[]string{"--yield", "-1"}, "--yield"},
		"bad target":        {[]string{"--target", "https://x:1"}, "want http://host:port"},
		"braces in prefix":  {[]string{"--key-prefix", "a{b}"}, "--key-prefix"},
		"negative batch":    {[]string{"--http", "--batch", "-1"}, "--batch -1"},
		"non-positive wait": {[]string{"--timeout", "0s"}, "--timeout"},
	} {
		t.Run(name, func(t *testing.T) {
			var stderr strings.Builder
			code := run(context.Background(), append([]string{"bench"}, tc.args...), noEnv, io.Discard, &stderr)
			assert.Equal(t, 2, code, stderr.String())
			assert.Contains(t, stderr.String(), tc.want)
		})
	}
}

// TestBenchProfiles checks that the profile flags write profiles that
// pprof and the trace tool can read back (a pprof file is gzipped; a
// trace starts with its header).
func TestBenchProfiles(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr, _ := runBenchArgs(t, "--aggregates", "40", "--concurrency", "4", "--commands", "400",
		"--cpuprofile", dir+"/cpu", "--memprofile", dir+"/mem", "--mutexprofile", dir+"/mutex",
		"--blockprofile", dir+"/block", "--trace", dir+"/trace")
	require.Equal(t, 0, code, stderr)
	for _, name := range []string{"cpu", "mem", "mutex", "block"} {
		b, err := os.ReadFile(dir + "/" + name)
		require.NoError(t, err, name)
		require.True(t, len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b, "%s profile is not a gzipped pprof file", name)
	}
	b, err := os.ReadFile(dir + "/trace")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(b), "go 1."), "the trace has no trace header: %.20q", b)
}
