package actors_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/examples/dogschool/school"
	"github.com/factum-dev/factum/internal/countertest"
)

// An id of one aggregate type used as another's, with and without a
// snapshot: every read and command answers ErrWrongType (which is also
// ErrAggregateNotFound), naming both types, and never the other type's
// data; a create command appends nothing.
func TestIDOfAnotherType(t *testing.T) {
	for _, snapEvery := range []int{0, 1} {
		s, err := school.New(app.Config{})
		require.NoError(t, err)
		countertest.RegisterEvents(s.Registry())
		sys, err := actors.NewSystem(actors.SystemConfig{App: s.Application})
		require.NoError(t, err)
		t.Cleanup(func() { _ = sys.Close() })
		require.NoError(t, actors.Register(sys, dogType()))
		opts := []actors.AggregateOption{}
		if snapEvery > 0 {
			opts = append(opts, actors.SnapshotEvery(snapEvery))
		}
		require.NoError(t, actors.Register(sys, countertest.Aggregate(opts...)))
		ctx := ctx(t)
		id := uuid.New()
		_, err = actors.Send(ctx, sys, countertest.Type, id, countertest.Open{Start: 7})
		require.NoError(t, err)
		_, err = actors.Send(ctx, sys, countertest.Type, id, countertest.Add{By: 1})
		require.NoError(t, err)
		if snapEvery > 0 {
			require.Eventually(t, func() bool {
				_, err := s.Snapshots().Latest(ctx, id, 0)
				return err == nil
			}, 10*time.Second, 5*time.Millisecond, "a snapshot of the counter")
		}
		check := func(what string, err error) {
			t.Helper()
			require.Error(t, err, what)
			require.ErrorIs(t, err, actors.ErrWrongType, what)
			require.ErrorIs(t, err, actors.ErrAggregateNotFound, what)
			require.Contains(t, err.Error(), countertest.Type, what)
			require.Contains(t, err.Error(), school.AggregateType, what)
		}
		st, err := sys.State(ctx, school.AggregateType, id, 0)
		check("State", err)
		require.Empty(t, st.Data, "no data of the other type")
		_, err = actors.Get[*school.Dog](ctx, sys, school.AggregateType, id)
		check("Get", err)
		_, err = actors.Send(ctx, sys, school.AggregateType, id, AddTrick{Trick: "sit"})
		check("command", err)
		_, err = actors.Send(ctx, sys, school.AggregateType, id, RegisterDog{Name: "Rex"})
		check("create command", err)
		_, err = s.Dogs.Get(ctx, id)
		check("repository", err)
		recs, err := s.Events().Journal().Read(ctx, id, 1, 0)
		require.NoError(t, err)
		require.Len(t, recs, 2, "nothing appended to the counter")
		var wt *app.WrongTypeError
		require.True(t, errors.As(err2(sys.State(ctx, school.AggregateType, id, 0)), &wt))
		require.Equal(t, countertest.Type, wt.Stored)
		require.Equal(t, school.AggregateType, wt.Want)
	}
}

func err2[T any](_ T, err error) error { return err }
