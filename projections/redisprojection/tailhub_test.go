package redisprojection_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/eventlog"
	"github.com/factum-dev/factum/examples/bank"
	"github.com/factum-dev/factum/internal/redistest"
	"github.com/factum-dev/factum/journal"
	jredis "github.com/factum-dev/factum/journal/redis"
	"github.com/factum-dev/factum/projections"
)

// blockedReads counts the clients blocked in XREAD on the server.
func blockedReads(t *testing.T, c *goredis.Client) int {
	t.Helper()
	list, err := c.ClientList(context.Background()).Result()
	require.NoError(t, err)
	n := 0
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, " flags=b ") && strings.Contains(line, " cmd=xread") {
			n++
		}
	}
	return n
}

// A runner over a Redis journal tails all the partitions it follows with
// one blocking read (not one per partition), and every event of every
// partition reaches the projection in order, in a runner that starts
// everything and in a placed runner whose partitions come and go.
func TestRunnerTailsPartitionsTogether(t *testing.T) {
	const parts = 8
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := redistest.StartServer(t, redistest.Options{})
	j, err := jredis.New(ctx, jredis.Config{URL: srv.URL(), Partitions: parts})
	require.NoError(t, err)
	t.Cleanup(func() { _ = j.Close() })
	reg := domain.NewRegistry()
	require.NoError(t, bank.RegisterTypes(reg))
	es := journal.NewEventStore(j, reg)

	// Two aggregates in each partition.
	var ids []uuid.UUID
	for p := range parts {
		for range 2 {
			id := uuid.New()
			for journal.PartitionOf(id, parts) != p {
				id = uuid.New()
			}
			ids = append(ids, id)
		}
	}
	versions := map[uuid.UUID]uint64{}
	deposit := func(id uuid.UUID) {
		v := versions[id]
		_, err := es.Append(ctx, "", id, v, []domain.Envelope{{AggregateID: id, Version: v + 1, Time: time.Now(), Data: bank.Deposited{Amount: 1}}})
		require.NoError(t, err)
		versions[id] = v + 1
	}

	type seen struct {
		mu   sync.Mutex
		last map[uuid.UUID]uint64
		bad  []string
	}
	newRunner := func(placed bool) (*projections.Runner, *seen) {
		s := &seen{last: map[uuid.UUID]uint64{}}
		p := projections.NewProjection("deposits", projections.Start(projections.FromLatest))
		projections.On(p, func(ctx context.Context, e bank.Deposited, n projections.Notification) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			if n.Version != s.last[n.AggregateID]+1 && s.last[n.AggregateID] != 0 {
				s.bad = append(s.bad, n.AggregateID.String())
			}
			s.last[n.AggregateID] = n.Version
			return nil
		})
		r, err := projections.NewRunner(projections.RunnerConfig{Logs: map[string]eventlog.Log{"": eventlog.Local(es)}, Registry: reg, Placed: placed})
		require.NoError(t, err)
		require.NoError(t, r.Add(p))
		require.NoError(t, r.Start(ctx))
		return r, s
	}
	upTo := func(s *seen, id uuid.UUID) uint64 {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.last[id]
	}
	caughtUp := func(s *seen, which []uuid.UUID) {
		t.Helper()
		require.Eventually(t, func() bool {
			for _, id := range which {
				if upTo(s, id) != versions[id] {
					return false
				}
			}
			return true
		}, 30*time.Second, 5*time.Millisecond)
	}

	// Everything started: one blocked read for the eight partitions.
	r, s := newRunner(false)
	require.Eventually(t, func() bool { return blockedReads(t, srv.Client()) == 1 }, 10*time.Second, 5*time.Millisecond)
	for round := range 3 {
		for _, id := range ids {
			for range round + 1 {
				deposit(id)
			}
		}
		caughtUp(s, ids)
	}
	require.Eventually(t, func() bool { return blockedReads(t, srv.Client()) == 1 }, 10*time.Second, 5*time.Millisecond)
	require.Never(t, func() bool { return blockedReads(t, srv.Client()) > 1 }, 300*time.Millisecond, 10*time.Millisecond,
		"each partition blocks on a read of its own")
	require.NoError(t, r.Stop(ctx))
	require.Eventually(t, func() bool { return blockedReads(t, srv.Client()) == 0 }, 10*time.Second, 5*time.Millisecond,
		"Stop ends the read")
	require.Empty(t, s.bad, "versions out of order")

	// Placed: partitions come and go while the others run.
	r, s = newRunner(true)
	t.Cleanup(func() { require.NoError(t, r.Stop(context.Background())) })
	inPart := func(ps ...int) []uuid.UUID {
		var out []uuid.UUID
		for _, id := range ids {
			for _, p := range ps {
				if journal.PartitionOf(id, parts) == p {
					out = append(out, id)
				}
			}
		}
		return out
	}
	for _, p := range []int{0, 1, 2, 3} {
		require.NoError(t, r.StartPartition(ctx, p))
	}
	for _, id := range ids {
		deposit(id)
	}
	caughtUp(s, inPart(0, 1, 2, 3))
	for _, id := range inPart(4, 5, 6, 7) {
		require.Zero(t, upTo(s, id), "partition %d is not run", journal.PartitionOf(id, parts))
	}
	// A partition started while the others' read is blocked is read at
	// once (FromLatest: from the head when it starts).
	for _, p := range []int{4, 5} {
		require.NoError(t, r.StartPartition(ctx, p))
	}
	for _, id := range ids {
		deposit(id)
	}
	caughtUp(s, inPart(0, 1, 2, 3, 4, 5))
	require.NoError(t, r.StopPartition(ctx, 0, false))
	before := upTo(s, inPart(0)[0])
	for _, id := range ids {
		deposit(id)
	}
	caughtUp(s, inPart(1, 2, 3, 4, 5))
	require.Equal(t, before, upTo(s, inPart(0)[0]), "a stopped partition is not read")
	require.Empty(t, s.bad, "versions out of order")
}
