package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunNode starts a node the way `node run` does, sends it a command,
// and stops it the way SIGTERM does (its context ends): it shuts down
// cleanly.
func TestRunNode(t *testing.T) {
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
	require.NotEmpty(t, addr, "no address in %q", line)
	assert.Contains(t, line, "journal: memory")
	go func() { _, _ = io.Copy(io.Discard, out) }()

	res, err := http.Post(addr+"/v1/dogschool.Dog/fido/register", "application/json", strings.NewReader(`{"name":"Fido"}`))
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code)
	case <-time.After(20 * time.Second):
		t.Fatal("the node did not stop after its context ended")
	}
	_, err = http.Get(addr + "/healthz")
	assert.Error(t, err, "the node still serves after stopping")
}

func TestRunUsageErrors(t *testing.T) {
	cases := map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"no command":          {nil, nil, "usage"},
		"unknown command":     {[]string{"fly"}, nil, `unknown command "fly"`},
		"bad flag":            {[]string{"run", "--partitions", "0"}, nil, "--partitions 0"},
		"bad env":             {[]string{"run"}, map[string]string{"FACTUM_PARTITIONS": "many"}, "FACTUM_PARTITIONS"},
		"bad redis URL":       {[]string{"run", "--redis", "localhost:6379"}, nil, "--redis"},
		"bad compression":     {[]string{"run"}, map[string]string{"FACTUM_COMPRESSION": "lz4"}, "FACTUM_COMPRESSION"},
		"bench concurrency":   {[]string{"bench", "--aggregates", "10", "--concurrency", "20"}, nil, "--concurrency 20"},
		"stray argument":      {[]string{"run", "extra"}, nil, `unexpected argument "extra"`},
		"bad log level":       {[]string{"run", "--log-level", "loud"}, nil, "--log-level"},
		"bench no work":       {[]string{"bench", "--duration", "0"}, nil, "--commands"},
		"negative max body":   {[]string{"run", "--max-body", "-1"}, nil, "--max-body"},
		"bench bad payload":   {[]string{"bench", "--payload", "-1"}, nil, "--payload"},
		"bench bad aggregate": {[]string{"bench", "--aggregates", "0"}, nil, "--aggregates 0"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var stderr strings.Builder
			code := run(context.Background(), tc.args, func(k string) string { return tc.env[k] }, io.Discard, &stderr)
			assert.Equal(t, 2, code, stderr.String())
			assert.Contains(t, stderr.String(), tc.want)
		})
	}
}

// TestBenchSmall runs `node bench` for a few hundred commands and checks
// that it verified the journal and wrote its result.
func TestBenchSmall(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"bench", "--aggregates", "50", "--concurrency", "10", "--commands", "500",
		"--snapshot-every", "7", "--quiet", "--out", dir + "/r.json"}, func(string) string { return "" }, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	assert.Contains(t, stdout.String(), "500 commands")
	assert.Contains(t, stdout.String(), "verified: every acknowledged event is in the journal")
	assert.FileExists(t, dir+"/r.json")
}
