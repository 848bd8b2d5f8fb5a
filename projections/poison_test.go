package projections_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/eventlog"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/projections"
)

// counterEvents writes a counter with five Added events (positions 2-6).
func counterEvents(t *testing.T, sys *actors.System) uuid.UUID {
	id := uuid.New()
	_, err := actors.Send(ctx(t), sys, counterType, id, Open{})
	require.NoError(t, err)
	for range 5 {
		_, err := actors.Send(ctx(t), sys, counterType, id, Add{By: 1})
		require.NoError(t, err)
	}
	return id
}

// A handler that fails at position 4 with an error of each kind: a
// refusal is parked at once, a fault (an error, a panic) after
// MaxAttempts, and the partition goes on; on a TxStore what the failed
// handler wrote is rolled back. A transient failure is never parked.
func TestProjectionParksPoison(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fail     func() error
		attempts int
		kind     string
	}{
		{"refused", func() error { return fmt.Errorf("no such account: %w", actors.ErrAggregateNotFound) }, 1, "refused"},
		{"fault", func() error { return fmt.Errorf("a bug") }, 3, "fault"},
		{"panic", func() error { panic("a bug") }, 3, "fault"},
	} {
		for _, tx := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s tx=%v", tc.name, tx), func(t *testing.T) {
				sys := newPartitionedSystem(t, 1)
				id := counterEvents(t, sys)
				rm := projections.NewMemoryReadModel[uuid.UUID, int]()
				var cps projections.CheckpointStore = projections.NewMemoryCheckpoints()
				if tx {
					cps = rm
				}
				p := projections.NewProjection("poisoned", projections.Checkpoints(cps), projections.MaxAttempts(3),
					projections.Backoff(time.Millisecond, 2*time.Millisecond))
				var mu sync.Mutex
				var seen []uint64
				projections.On(p, func(ctx context.Context, e Added, n projections.Notification) error {
					if tx {
						t := rm.Tx(ctx)
						v, _ := t.Get(n.AggregateID)
						t.Put(n.AggregateID, v+e.By)
					}
					if n.Position == 4 {
						return tc.fail()
					}
					mu.Lock()
					seen = append(seen, n.Position)
					mu.Unlock()
					return nil
				})
				r := startRunner(t, projections.RunnerConfig{System: sys}, p)
				caughtUp(t, sys, r)
				mu.Lock()
				if !tx { // (a TxStore runs the handlers of a batch's part before a failure again)
					require.Equal(t, []uint64{2, 3, 5, 6}, seen, "the partition went on past the poison event")
				} else {
					require.Subset(t, seen, []uint64{2, 3, 5, 6}, "the partition went on past the poison event")
				}
				mu.Unlock()
				st := r.Status()[0]
				require.Equal(t, uint64(1), st.Parked)
				require.Len(t, st.ParkedRecent, 1)
				pk := st.ParkedRecent[0]
				require.Equal(t, uint64(4), pk.Position)
				require.Equal(t, id, pk.AggregateID)
				require.Equal(t, tc.kind, pk.Kind)
				require.Equal(t, tc.attempts, pk.Attempts)
				require.Contains(t, pk.Reason, "position 4")
				require.Equal(t, uint64(tc.attempts-1), st.Failures, "failed attempts before the one that parked it")
				if tx {
					v, _ := rm.Get(id)
					require.Equal(t, 4, v, "what the failed handler wrote is rolled back")
				}
			})
		}
	}
}

// A transient failure (the journal unavailable, an unknown outcome) is
// retried for as long as it lasts, never parked, whatever MaxAttempts.
func TestProjectionRetriesTransientForever(t *testing.T) {
	sys := newPartitionedSystem(t, 1)
	counterEvents(t, sys)
	left := 20
	p := projections.NewProjection("patient", projections.MaxAttempts(2), projections.Backoff(time.Millisecond, time.Millisecond))
	var mu sync.Mutex
	projections.On(p, func(ctx context.Context, e Added, n projections.Notification) error {
		mu.Lock()
		defer mu.Unlock()
		if n.Position == 4 && left > 0 {
			left--
			if left%2 == 0 {
				return fmt.Errorf("deposit: %w", actors.ErrOutcomeUnknown)
			}
			return fmt.Errorf("deposit: %w", actors.ErrUnavailable)
		}
		return nil
	})
	r := startRunner(t, projections.RunnerConfig{System: sys}, p)
	caughtUp(t, sys, r)
	st := r.Status()[0]
	require.Equal(t, uint64(0), st.Parked)
	require.Equal(t, uint64(20), st.Failures)
	require.Equal(t, uint64(5), st.Handled)
}

// corruptLog is the local log with the event of one aggregate version
// unreadable, as a flipped byte or a shredded key makes it.
type corruptLog struct {
	eventlog.Log
	id      uuid.UUID
	version uint64
	err     error
}

func (l corruptLog) Decode(ctx context.Context, r journal.Record) (domain.Envelope, error) {
	if r.AggregateID == l.id && r.Version == l.version {
		return domain.Envelope{}, fmt.Errorf("aggregate %s version %d: %w", r.AggregateID, r.Version, l.err)
	}
	return l.Log.Decode(ctx, r)
}

// An unreadable event (corrupt, shredded) is skipped and recorded by
// default, and stops the partition right before it with
// OnUnreadable(StopAtUnreadable).
func TestProjectionUnreadable(t *testing.T) {
	for _, stop := range []bool{false, true} {
		for _, bad := range []error{journal.ErrCorrupt, journal.ErrShredded} {
			t.Run(fmt.Sprintf("%v stop=%v", bad, stop), func(t *testing.T) {
				sys := newPartitionedSystem(t, 1)
				id := counterEvents(t, sys)
				opts := []projections.ProjectionOption{projections.Follow("tampered")}
				if stop {
					opts = append(opts, projections.OnUnreadable(projections.StopAtUnreadable))
				}
				p := projections.NewProjection("reader", opts...)
				sum := 0
				projections.On(p, func(ctx context.Context, e Added, n projections.Notification) error {
					sum += e.By
					return nil
				})
				log := corruptLog{Log: sys.App().Log(), id: id, version: 4, err: bad}
				r := startRunner(t, projections.RunnerConfig{System: sys, Logs: map[string]eventlog.Log{"tampered": log}}, p)
				if stop {
					require.Eventually(t, func() bool { return r.Status()[0].Stopped != "" }, 10*time.Second, time.Millisecond)
					st := r.Status()[0]
					require.Equal(t, uint64(3), st.Position, "stopped right before the unreadable event")
					require.Contains(t, st.Stopped, "position 4")
					require.Contains(t, st.Stopped, bad.Error())
					require.Equal(t, uint64(0), st.Parked)
					return
				}
				caughtUp(t, sys, r)
				st := r.Status()[0]
				require.Equal(t, uint64(1), st.Parked)
				require.Equal(t, eventlog.Mark(bad), st.ParkedRecent[0].Kind)
				require.Equal(t, uint64(4), st.ParkedRecent[0].Position)
				require.Equal(t, 4, sum, "the other four events are handled")
			})
		}
	}
}
