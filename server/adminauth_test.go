package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/examples"
	"github.com/factum-dev/factum/examples/bank"
	jmemory "github.com/factum-dev/factum/journal/memory"
	"github.com/factum-dev/factum/projections"
	"github.com/factum-dev/factum/server"
	smemory "github.com/factum-dev/factum/snapshots/memory"
)

func TestAdminToken(t *testing.T) {
	off := &testServer{Server: startServer(t, server.Config{}, nil)}
	r := off.do(t, http.MethodGet, "/v1/admin/verify?partition=0", "", "Authorization", "Bearer anything")
	assert.Equal(t, http.StatusNotFound, r.status, "off without a token")
	assert.Equal(t, "admin_off", r.body["error"])

	s := startAPI(t)
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/v1/admin/verify?partition=0"},
		{http.MethodPost, "/v1/admin/shred/x"},
		{http.MethodPost, "/v1/admin/projections/bank.transfers/reset"},
	} {
		r := s.do(t, c.method, c.path, "")
		assert.Equal(t, http.StatusUnauthorized, r.status, "%s %s without the token", c.method, c.path)
		assert.Equal(t, "unauthorized", r.body["error"])
		assert.NotEmpty(t, r.header.Get("WWW-Authenticate"))
		r = s.do(t, c.method, c.path, "", "Authorization", "Bearer wrong")
		assert.Equal(t, http.StatusUnauthorized, r.status, "%s %s with a wrong token", c.method, c.path)
	}
}

// A reset projection handles the whole log again.
func TestAdminResetProjection(t *testing.T) {
	mem, err := jmemory.New(jmemory.Config{})
	require.NoError(t, err)
	srv, err := server.New(context.Background(), server.Config{AdminToken: testAdminToken,
		Stores: &server.Stores{Journal: mem, Snapshots: smemory.New()}})
	require.NoError(t, err)
	require.NoError(t, examples.Host(srv))
	var deposits atomic.Int64
	count := projections.NewProjection("deposits")
	projections.On(count, func(ctx context.Context, e bank.Deposited, n projections.Notification) error {
		deposits.Add(e.Amount)
		return nil
	})
	require.NoError(t, srv.Run(count))
	require.NoError(t, srv.Start(context.Background()))
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); require.NoError(t, srv.Close()) })
	s := &testServer{Server: hs}

	require.Equal(t, http.StatusOK, s.post(t, "/v1/bank.Account/ivy/open", `{"owner":"Ivy"}`).status)
	require.Equal(t, http.StatusOK, s.post(t, "/v1/bank.Account/ivy/deposit", `{"amount":10}`).status)
	require.Equal(t, http.StatusOK, s.post(t, "/v1/bank.Account/ivy/deposit", `{"amount":5}`).status)
	require.Eventually(t, func() bool { return deposits.Load() == 15 }, 10*time.Second, 5*time.Millisecond)

	r := s.adminPost(t, "/v1/admin/projections/deposits/reset")
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Eventually(t, func() bool { return deposits.Load() == 30 }, 10*time.Second, 5*time.Millisecond,
		"the projection handles every deposit again")
	require.Equal(t, http.StatusOK, s.post(t, "/v1/bank.Account/ivy/deposit", `{"amount":1}`).status)
	require.Eventually(t, func() bool { return deposits.Load() == 31 }, 10*time.Second, 5*time.Millisecond,
		"and then follows the log live")

	r = s.adminPost(t, "/v1/admin/projections/nope/reset")
	assert.Equal(t, http.StatusNotFound, r.status, r.body)
}
