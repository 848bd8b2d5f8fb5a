package server_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/eventlog"
	"github.com/factum-dev/factum/eventlog/httplog"
	"github.com/factum-dev/factum/examples"
	"github.com/factum-dev/factum/examples/bank"
	"github.com/factum-dev/factum/journal"
	jmemory "github.com/factum-dev/factum/journal/memory"
	"github.com/factum-dev/factum/projections"
	"github.com/factum-dev/factum/server"
)

// startNode is startAPI with the example projections running, as node run
// has them, on a log of two partitions.
func startNode(t *testing.T) *testServer {
	return &testServer{Server: startServer(t, server.Config{Partitions: 2, SnapshotEvery: -1}, nil)}
}

func TestAPITransfersAndProjections(t *testing.T) {
	s := startNode(t)
	alice := s.post(t, "/v1/bank.Account/alice/open", `{"owner":"alice"}`)
	require.Equal(t, http.StatusOK, alice.status, alice.body)
	bob := s.post(t, "/v1/bank.Account/bob/open", `{"owner":"bob"}`)
	require.Equal(t, http.StatusOK, bob.status, bob.body)
	r := s.post(t, "/v1/bank.Account/alice/deposit", `{"amount":100}`)
	require.Equal(t, http.StatusOK, r.status, r.body)

	r = s.post(t, "/v1/bank.Transfer/t1/start", fmt.Sprintf(`{"from":%q,"to":%q,"amount":60}`, alice.body["id"], bob.body["id"]))
	require.Equal(t, http.StatusOK, r.status, r.body)
	r = s.post(t, "/v1/bank.Transfer/t2/start", fmt.Sprintf(`{"from":%q,"to":%q,"amount":60}`, alice.body["id"], bob.body["id"]))
	require.Equal(t, http.StatusOK, r.status, r.body)
	r = s.post(t, "/v1/bank.Transfer/t3/start", fmt.Sprintf(`{"from":%q,"to":%q,"amount":0}`, alice.body["id"], bob.body["id"]))
	require.Equal(t, http.StatusConflict, r.status, r.body)

	status := func(id string) string {
		r := s.get(t, "/v1/bank.Transfer/"+id)
		require.Equal(t, http.StatusOK, r.status, r.body)
		return r.body["data"].(map[string]any)["status"].(string)
	}
	require.Eventually(t, func() bool { return status("t1") != bank.StatusStarted && status("t2") != bank.StatusStarted },
		10*time.Second, 5*time.Millisecond)
	require.ElementsMatch(t, []string{bank.StatusCompleted, bank.StatusFailed}, []string{status("t1"), status("t2")})
	balance := func(name string) float64 {
		r := s.get(t, "/v1/bank.Account/"+name)
		return r.body["data"].(map[string]any)["balance"].(float64)
	}
	require.Equal(t, 40.0, balance("alice"))
	require.Equal(t, 60.0, balance("bob"))

	require.Eventually(t, func() bool {
		r := s.get(t, "/v1/projections")
		ps := r.body["projections"].([]any)
		if len(ps) != 4 { // two partitions each
			return false
		}
		for _, p := range ps {
			p := p.(map[string]any)
			if name := p["projection"]; name != bank.TransferProcessName && name != bank.BalancesName {
				return false
			}
			if p["position_lag"].(float64) != 0 || p["time_lag_ms"].(float64) != 0 {
				return false
			}
		}
		return true
	}, 10*time.Second, 5*time.Millisecond)
	// The balances read model, caught up, equals the accounts.
	r = s.get(t, examples.BalancesPath)
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Equal(t, map[string]any{alice.body["id"].(string): 40.0, bob.body["id"].(string): 60.0}, r.body["balances"])

	r = s.get(t, "/v1/log?partition=0&start=1&limit=1")
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.EqualValues(t, 2, r.body["partitions"])
	require.Positive(t, r.body["head"].(float64))
	r = s.get(t, "/v1/log?partition=0&start=1&wait=forever")
	require.Equal(t, http.StatusBadRequest, r.status, r.body)
}

// TestRemoteLog runs a projection in this process on the node's log over
// HTTP (actors/httplog): the catch-up, then live events through the long
// poll.
func TestRemoteLog(t *testing.T) {
	s := startNode(t)
	for i := range 30 {
		r := s.post(t, fmt.Sprintf("/v1/bank.Account/a%d/open", i), `{"owner":"o"}`)
		require.Equal(t, http.StatusOK, r.status, r.body)
		r = s.post(t, fmt.Sprintf("/v1/bank.Account/a%d/deposit", i), `{"amount":5}`)
		require.Equal(t, http.StatusOK, r.status, r.body)
	}
	reg := domain.NewRegistry()
	require.NoError(t, bank.RegisterTypes(reg))
	ctx := context.Background()
	remote, err := httplog.New(ctx, httplog.Config{URL: s.URL, Registry: reg, WaitTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, 2, remote.Partitions())

	var sum atomic.Int64
	p := projections.NewProjection("remote-deposits", projections.BatchSize(7))
	projections.On(p, func(ctx context.Context, e bank.Deposited, n projections.Notification) error {
		sum.Add(e.Amount)
		return nil
	})
	r, err := projections.NewRunner(projections.RunnerConfig{Logs: map[string]eventlog.Log{"": remote}, Registry: reg})
	require.NoError(t, err)
	require.NoError(t, r.Add(p))
	require.NoError(t, r.Start(ctx))
	defer func() { require.NoError(t, r.Stop(ctx)) }()
	require.Eventually(t, func() bool { return sum.Load() == 150 }, 10*time.Second, 5*time.Millisecond)
	resp := s.post(t, "/v1/bank.Account/a0/deposit", `{"amount":1000}`)
	require.Equal(t, http.StatusOK, resp.status, resp.body)
	require.Eventually(t, func() bool { return sum.Load() == 1150 }, 10*time.Second, 5*time.Millisecond)
}

// Names stand for ids in bodies as in URLs: a transfer between accounts
// named by their owners' addresses moves the money between the accounts
// those names open.
func TestAPINamesInBodies(t *testing.T) {
	s := startNode(t)
	for _, name := range []string{"alice@example.com", "bob@example.com"} {
		r := s.post(t, "/v1/bank.Account/"+name+"/open", `{"owner":"`+name+`"}`)
		require.Equal(t, http.StatusOK, r.status, r.body)
	}
	require.Equal(t, http.StatusOK, s.post(t, "/v1/bank.Account/alice@example.com/deposit", `{"amount":100}`).status)
	r := s.post(t, "/v1/bank.Transfer/t-names/start", `{"from":"alice@example.com","to":"bob@example.com","amount":30}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	balance := func(name string) float64 {
		r := s.get(t, "/v1/bank.Account/"+name)
		return r.body["data"].(map[string]any)["balance"].(float64)
	}
	require.Eventually(t, func() bool { return balance("bob@example.com") == 30 }, 10*time.Second, 5*time.Millisecond)
	require.Equal(t, 70.0, balance("alice@example.com"))
	tr := s.get(t, "/v1/bank.Transfer/t-names")
	alice := s.get(t, "/v1/bank.Account/alice@example.com")
	require.Equal(t, alice.body["id"], tr.body["data"].(map[string]any)["from"], "the name is the id its URL names")
}

// A notification a projection refuses is parked, and /v1/projections shows
// it: the count, and the recent one with its aggregate, type, kind and
// reason; the partition goes on past it.
func TestAPIProjectionsShowParked(t *testing.T) {
	var handled atomic.Int64
	p := projections.NewProjection("picky")
	projections.On(p, func(ctx context.Context, e bank.Deposited, n projections.Notification) error {
		if e.Amount == 13 {
			return fmt.Errorf("picky: 13 is unlucky: %w", actors.ErrRejected)
		}
		handled.Add(1)
		return nil
	})
	ts := &testServer{Server: startServer(t, server.Config{SnapshotEvery: -1}, nil, p)}

	acct := ts.post(t, "/v1/bank.Account/carol/open", `{"owner":"carol"}`)
	require.Equal(t, http.StatusOK, acct.status, acct.body)
	for _, amount := range []int{5, 13, 7} {
		r := ts.post(t, "/v1/bank.Account/carol/deposit", fmt.Sprintf(`{"amount":%d}`, amount))
		require.Equal(t, http.StatusOK, r.status, r.body)
	}
	var picky map[string]any
	require.Eventually(t, func() bool {
		picky = ts.projection(t, "picky")
		return picky != nil && picky["position_lag"].(float64) == 0 && handled.Load() == 2
	}, 10*time.Second, 5*time.Millisecond, "the partition goes on past the parked one")
	require.EqualValues(t, 1, picky["parked"], picky)
	recent := picky["parked_recent"].([]any)
	require.Len(t, recent, 1)
	got := recent[0].(map[string]any)
	require.Equal(t, acct.body["id"], got["aggregate_id"])
	require.Equal(t, "bank.Deposited", got["type"])
	require.Equal(t, "refused", got["kind"])
	require.Contains(t, got["reason"], "13 is unlucky")
	require.EqualValues(t, 3, got["version"])
	require.Equal(t, false, picky["retrying"])
	require.Empty(t, picky["stopped"])
}

// A projection that stops at an unreadable event (OnUnreadable
// (StopAtUnreadable)) says so in /v1/projections: stopped, and why,
// with its position right before the event, and later events unhandled.
func TestAPIProjectionsShowStopped(t *testing.T) {
	var handled atomic.Int64
	p := projections.NewProjection("strict", projections.OnUnreadable(projections.StopAtUnreadable))
	projections.On(p, func(ctx context.Context, e bank.Deposited, n projections.Notification) error {
		handled.Add(1)
		return nil
	})
	j, err := jmemory.New(jmemory.Config{})
	require.NoError(t, err)
	ts := &testServer{Server: startServer(t, server.Config{SnapshotEvery: -1}, j, p)}

	acct := ts.post(t, "/v1/bank.Account/dave/open", `{"owner":"dave"}`)
	require.Equal(t, http.StatusOK, acct.status, acct.body)
	r := ts.post(t, "/v1/bank.Account/dave/deposit", `{"amount":5}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	// A deposit whose bytes are not its type's: corrupt.
	bad := uuid.New()
	pos, err := j.Append(context.Background(), bad, 0, []journal.Record{{AggregateID: bad, Version: 1,
		Type: "bank.Deposited", Time: time.Now(), Data: []byte("not json")}})
	require.NoError(t, err)
	r = ts.post(t, "/v1/bank.Account/dave/deposit", `{"amount":7}`)
	require.Equal(t, http.StatusOK, r.status, r.body)

	var strict map[string]any
	require.Eventually(t, func() bool {
		strict = ts.projection(t, "strict")
		return strict != nil && strict["stopped"] != nil && strict["stopped"] != ""
	}, 10*time.Second, 5*time.Millisecond, "the projection stops at the corrupt deposit")
	require.Contains(t, strict["stopped"], fmt.Sprintf("position %d", pos))
	require.Contains(t, strict["stopped"], "corrupt")
	require.EqualValues(t, pos-1, strict["position"], "the checkpoint stays right before it")
	require.EqualValues(t, 0, strict["parked"])
	require.EqualValues(t, 1, handled.Load(), "the deposit after it is not handled")
}

// projection returns the /v1/projections entry of the projection named
// name (its last, with several partitions), or nil.
func (s *testServer) projection(t *testing.T, name string) map[string]any {
	t.Helper()
	var found map[string]any
	for _, e := range s.get(t, "/v1/projections").body["projections"].([]any) {
		if e := e.(map[string]any); e["projection"] == name {
			found = e
		}
	}
	return found
}
