package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/examples"
	jmemory "github.com/factum-dev/factum/journal/memory"
	"github.com/factum-dev/factum/server"
	smemory "github.com/factum-dev/factum/snapshots/memory"
)

// serveReal runs the server's own http.Server (Serve) on a loopback port.
func serveReal(t *testing.T, cfg server.Config) string {
	j, err := jmemory.New(jmemory.Config{})
	require.NoError(t, err)
	cfg.Stores = &server.Stores{Journal: j, Snapshots: smemory.New()}
	s, err := server.New(context.Background(), cfg)
	require.NoError(t, err)
	require.NoError(t, examples.Host(s))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-served)
	})
	return ln.Addr().String()
}

// trickle opens a connection, sends head at once, then one byte of more
// every 50 ms; the returned channel is closed when the server has closed
// the connection (what it answered first, if anything, is read and
// dropped).
func trickle(t *testing.T, addr, head, more string) <-chan struct{} {
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_, err = io.WriteString(c, head)
	require.NoError(t, err)
	closed := make(chan struct{})
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		defer close(closed)
		_, _ = io.Copy(io.Discard, c) // ends when the server closes
	}()
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i = (i + 1) % len(more) {
			select {
			case <-stop:
				return
			case <-closed:
				return
			case <-tick.C:
			}
			if _, err := c.Write([]byte{more[i]}); err != nil {
				return
			}
		}
	}()
	return closed
}

// Slow clients (a header a byte at a time; a body a byte at a time) are
// cut off by the read timeouts while other clients are served meanwhile.
func TestSlowClientsAreCutOff(t *testing.T) {
	addr := serveReal(t, server.Config{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: time.Second})
	slowHeader := trickle(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n", "X-Slow: aaaaaaaaaaaaaaaaaaaa")
	slowBody := trickle(t, addr, "POST /v1/bank.Account/slow/open HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", `{"owner":"`)

	client := &http.Client{Timeout: 5 * time.Second}
	for i := range 20 {
		res, err := client.Post(fmt.Sprintf("http://%s/v1/bank.Account/fast-%d/open", addr, i), "application/json", strings.NewReader(`{"owner":"F"}`))
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
	}
	for name, closed := range map[string]<-chan struct{}{"slow header": slowHeader, "slow body": slowBody} {
		select {
		case <-closed:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: still connected after 20 s", name)
		}
	}
}

// Headers over MaxHeaderBytes are refused by net/http before any handler
// runs (431, plain text: one of the answers the README lists).
func TestHeadersTooLarge(t *testing.T) {
	addr := serveReal(t, server.Config{MaxHeaderBytes: 1 << 10})
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 8<<10))
	require.NoError(t, err)
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if errors.Is(err, io.EOF) {
		t.Fatal("the server closed the connection without an answer")
	}
	require.NoError(t, err)
	require.Equal(t, http.StatusRequestHeaderFieldsTooLarge, res.StatusCode)
}

// An idle kept-alive connection is closed after IdleTimeout, not after
// ReadTimeout (which net/http uses for idle connections when IdleTimeout
// is not set): here a minute, which would keep it open past the test.
func TestIdleConnectionsAreClosed(t *testing.T) {
	addr := serveReal(t, server.Config{IdleTimeout: 300 * time.Millisecond, ReadTimeout: time.Minute})
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.False(t, res.Close, "the server did not keep the connection alive")
	// Idle from here: the server closes it.
	require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Second)))
	_, err = br.ReadByte()
	require.ErrorIs(t, err, io.EOF, "want the server to close the idle connection")
}
