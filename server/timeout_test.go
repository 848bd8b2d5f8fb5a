package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/server"
)

// TestRequestTimeoutHeader: a caller's X-Request-Timeout, shorter than the
// server's 5 s, makes the server answer a command that waits behind a
// stuck one before the caller's own deadline (2 s here), so the caller
// can tell a node that answers late from one that does not answer; a bad
// value is refused naming the header. (A command whose append is under
// way is bounded by the journal's timeout instead.)
func TestRequestTimeoutHeader(t *testing.T) {
	s := startAPI(t)
	stuck := uuid.New()
	require.Equal(t, http.StatusOK, s.post(t, "/v1/bank.Account/"+stuck.String()+"/open", `{"owner":"X"}`).status)
	s.j.failWith(stuck, errHang)
	first := make(chan int, 1)
	go func() { first <- s.post(t, "/v1/bank.Account/"+stuck.String()+"/deposit", `{"amount":1}`).status }()
	require.Eventually(t, func() bool { return s.j.hangingAppends() == 1 }, 5*time.Second, 5*time.Millisecond)
	defer func() { s.j.release(); <-first }()

	send := func(path, body, timeout string) (int, map[string]any) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set(server.TimeoutHeader, timeout)
		res, err := s.Client().Do(req)
		require.NoError(t, err, "the server answers before the caller's deadline")
		defer res.Body.Close()
		var b map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&b))
		return res.StatusCode, b
	}
	status, body := send("/v1/bank.Account/"+stuck.String()+"/deposit", `{"amount":1}`, "200ms")
	assert.Equal(t, http.StatusGatewayTimeout, status, body)
	status, body = send("/v1/commands", `{"commands":[{"type":"bank.Account","id":"`+stuck.String()+`","command":"deposit","payload":{"amount":1}}]}`, "200ms")
	assert.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, []any{"timeout", "outcome_unknown"}, body["replies"].([]any)[0].(map[string]any)["error"], body)

	for _, bad := range []string{"soon", "-1s", "0"} {
		status, body = send("/v1/bank.Account/"+stuck.String()+"/deposit", `{"amount":1}`, bad)
		assert.Equal(t, http.StatusBadRequest, status, bad)
		assert.Contains(t, body["message"], server.TimeoutHeader, bad)
	}
}
