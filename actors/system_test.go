package actors_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/examples/dogschool/school"
	"github.com/factum-dev/factum/internal/countertest"
	"github.com/factum-dev/factum/journal"
)

func TestCommands(t *testing.T) {
	e := newEnv(t)
	id := uuid.New()

	_, err := e.add(id, 1)
	require.ErrorIs(t, err, actors.ErrAggregateNotFound)
	assert.Contains(t, err.Error(), id.String())
	assert.Contains(t, err.Error(), "Add")

	rep := e.open(id, 10)
	assert.Equal(t, actors.Reply{Version: 1, Position: 1}, rep)

	_, err = actors.Send(ctx(t), e.sys, counterType, id, Open{Start: 1})
	require.ErrorIs(t, err, actors.ErrAlreadyExists)
	assert.Contains(t, err.Error(), counterType)

	rep, err = e.add(id, 5)
	require.NoError(t, err)
	assert.Equal(t, actors.Reply{Version: 2, Position: 2}, rep)

	rep, err = actors.Send(ctx(t), e.sys, counterType, id, Double{})
	require.NoError(t, err)
	assert.Equal(t, actors.Reply{Version: 4, Position: 4}, rep)

	rep, err = actors.Send(ctx(t), e.sys, counterType, id, Noop{})
	require.NoError(t, err)
	assert.Equal(t, actors.Reply{Version: 4}, rep)

	_, err = e.add(id, -100)
	require.ErrorIs(t, err, actors.ErrRejected)
	require.ErrorIs(t, err, countertest.ErrNegative)

	_, err = actors.Send(ctx(t), e.sys, counterType, id, Reject{Why: "no reason"})
	require.ErrorIs(t, err, actors.ErrRejected)
	assert.Contains(t, err.Error(), "no reason")

	c := e.get(id)
	assert.Equal(t, 17, c.Value)
	assert.Equal(t, uint64(4), c.Version())
	fromJournal, _ := e.fromJournal(id)
	assert.Equal(t, fromJournal.Value, c.Value)

	st, err := e.sys.State(ctx(t), counterType, id, 0)
	require.NoError(t, err)
	assert.Equal(t, counterType, st.Type)
	assert.Equal(t, uint64(4), st.Version)
	assert.JSONEq(t, `{"value":17}`, string(st.Data))

	st, err = e.sys.State(ctx(t), counterType, id, 2)
	require.NoError(t, err, "an earlier version comes from the repository")
	assert.Equal(t, uint64(2), st.Version)
	assert.JSONEq(t, `{"value":15}`, string(st.Data))

	_, err = e.sys.State(ctx(t), counterType, uuid.New(), 0)
	require.ErrorIs(t, err, actors.ErrAggregateNotFound)
}

func TestDispatch(t *testing.T) {
	e := newEnv(t)
	id := uuid.New()
	rep, err := e.sys.Dispatch(ctx(t), actors.Command{AggregateType: counterType, AggregateID: id, Name: "Open",
		Payload: []byte(`{"Start": 3}`), CommandID: "c1", CorrelationID: "corr"})
	require.NoError(t, err)
	assert.Equal(t, uint64(1), rep.Version)
	rep, err = e.sys.Dispatch(ctx(t), actors.Command{AggregateType: counterType, AggregateID: id, Name: "Add", Value: Add{By: 2}})
	require.NoError(t, err)
	assert.Equal(t, uint64(2), rep.Version)
	assert.Equal(t, 5, e.get(id).Value)

	for name, tc := range map[string]struct {
		cmd  actors.Command
		want error
	}{
		"unknown type":    {actors.Command{AggregateType: "nope", AggregateID: id, Name: "Add"}, actors.ErrUnknownType},
		"unknown command": {actors.Command{AggregateType: counterType, AggregateID: id, Name: "Sub"}, actors.ErrUnknownCommand},
		"bad payload":     {actors.Command{AggregateType: counterType, AggregateID: id, Name: "Add", Payload: []byte(`{"By":"x"}`)}, actors.ErrBadCommand},
		"wrong value":     {actors.Command{AggregateType: counterType, AggregateID: id, Name: "Add", Value: Open{}}, actors.ErrBadCommand},
		"nil id":          {actors.Command{AggregateType: counterType, Name: "Add"}, actors.ErrBadCommand},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.sys.Dispatch(ctx(t), tc.cmd)
			require.ErrorIs(t, err, tc.want)
			t.Log(err)
		})
	}
	_, err = actors.Send(ctx(t), e.sys, counterType, id, struct{}{})
	require.ErrorIs(t, err, actors.ErrUnknownCommand)

	// Causation and correlation ids on the events.
	_, events := e.fromJournal(id)
	assert.Equal(t, "c1", events[0].Meta.CausationID)
	assert.Equal(t, "corr", events[0].Meta.CorrelationID)

	types := e.sys.Types()
	require.Len(t, types, 1)
	assert.Equal(t, actors.TypeInfo{Name: counterType, Commands: []string{"Add", "Boom", "Double", "Noop", "Open", "Reject"},
		CreateCommands: []string{"Open"}}, types[0])
	_, err = json.Marshal(types)
	require.NoError(t, err)
}

func TestRegisterErrors(t *testing.T) {
	e := newEnv(t)
	require.Error(t, actors.Register(e.sys, counterAggregate()), "registered twice")

	bad := actors.NewAggregateType("test.Bad", func() *Counter { return &Counter{} })
	actors.Handle(bad, "A", func(*Counter, Add) error { return nil })
	actors.Handle(bad, "A", func(*Counter, Open) error { return nil })
	actors.Handle(bad, "B", func(*Counter, Add) error { return nil })
	err := actors.Register(e.sys, bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `command "A" is added twice`)
	assert.Contains(t, err.Error(), `give each command its own type`)
}

// 1,000 concurrent callers on one counter: the final value is the number
// of successful commands and the versions run 1..n without a gap.
func TestOneCounterManyCallers(t *testing.T) {
	e := newEnv(t)
	id := uuid.New()
	e.open(id, 0)
	const callers = 1000
	var ok atomic.Int64
	var wg sync.WaitGroup
	c := ctx(t)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := actors.Send(c, e.sys, counterType, id, Add{By: 1}); err == nil {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(callers), ok.Load())
	assert.Equal(t, int(ok.Load()), e.get(id).Value)
	_, events := e.fromJournal(id)
	require.Len(t, events, callers+1)
	for i, ev := range events {
		require.Equal(t, uint64(i+1), ev.Version)
	}
}

// TestConcurrentActivation sends the first commands of many passivated
// aggregates from several callers at once, so that callers race to
// activate the same aggregate: each has one live actor, every command is
// applied once, and the system closes (every actor spawned, the losers of
// a race too, has stopped).
func TestConcurrentActivation(t *testing.T) {
	e := newEnv(t)
	const aggregates, callers = 200, 16
	ids := make([]uuid.UUID, aggregates)
	for i := range ids {
		ids[i] = uuid.New()
		e.open(ids[i], 0)
	}
	e.restart() // the aggregates have no live actor
	c := ctx(t)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, id := range ids {
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := actors.Send(c, e.sys, counterType, id, Add{By: 1})
				assert.NoError(t, err)
			}()
		}
	}
	close(start)
	wg.Wait()
	assert.Equal(t, aggregates, e.sys.Live(counterType))
	for _, id := range ids {
		assert.Equal(t, callers, e.get(id).Value)
	}
	require.NoError(t, e.sys.Close())
}

// 10,000 aggregates x 10 commands, concurrently: every aggregate's state
// matches its events.
func TestManyAggregates(t *testing.T) {
	const aggregates, commands = 10_000, 10
	e := newEnv(t)
	ids := make([]uuid.UUID, aggregates)
	for i := range ids {
		ids[i] = uuid.New()
	}
	// A correctness test, not a speed test: under -race on a loaded
	// machine 100,000 commands may take minutes.
	c, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Value
	fail := func(err error) {
		failed.Add(1)
		firstErr.CompareAndSwap(nil, err.Error())
	}
	for w := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < aggregates; i += 100 {
				if _, err := actors.Send(c, e.sys, counterType, ids[i], Open{Start: i}); err != nil {
					fail(err)
				}
			}
			for k := 1; k < commands; k++ {
				for i := w; i < aggregates; i += 100 {
					if _, err := actors.Send(c, e.sys, counterType, ids[i], Add{By: k}); err != nil {
						failed.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	require.Zero(t, failed.Load(), "first error: %v", firstErr.Load())
	for i, id := range ids {
		got := e.get(id)
		want, events := e.fromJournal(id)
		require.Len(t, events, commands)
		require.Equal(t, want.Value, got.Value)
		require.Equal(t, i+45, got.Value)
		require.Equal(t, uint64(commands), got.Version())
	}
	head, err := e.journal.Head(c, 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(aggregates*commands), head)
}

func TestJournalFailures(t *testing.T) {
	e := newEnv(t)
	id := uuid.New()
	e.open(id, 0)

	// Unavailable: nothing written, the error passes through.
	e.journal.inject(failUnavailable)
	_, err := e.add(id, 1)
	require.ErrorIs(t, err, journal.ErrUnavailable)
	rep, err := e.add(id, 1)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), rep.Version)

	// Outcome unknown: written after all; the actor reloads and carries on.
	e.journal.inject(failUnknown)
	_, err = e.add(id, 10, actors.WithCommandID("unknown-1"))
	require.ErrorIs(t, err, journal.ErrOutcomeUnknown)
	rep, err = e.add(id, 10, actors.WithCommandID("unknown-1"))
	require.NoError(t, err)
	assert.Equal(t, actors.Reply{Version: 3, Duplicate: true}, rep, "the retry finds the command in the journal")
	rep, err = e.add(id, 100)
	require.NoError(t, err)
	assert.Equal(t, uint64(4), rep.Version)
	assert.Equal(t, 111, e.get(id).Value)

	// One conflict: reload and retry.
	e.journal.inject(failConflict)
	rep, err = e.add(id, 1000)
	require.NoError(t, err)
	assert.Equal(t, uint64(5), rep.Version)

	// Two conflicts: the caller gets the conflict.
	e.journal.inject(failConflict, failConflict)
	_, err = e.add(id, 1)
	require.ErrorIs(t, err, journal.ErrVersionConflict)
	require.ErrorIs(t, err, actors.ErrVersionConflict, "re-exported by actors")

	// Nothing acknowledged is lost.
	want, events := e.fromJournal(id)
	assert.Len(t, events, 5)
	assert.Equal(t, 1111, want.Value)
	assert.Equal(t, want.Value, e.get(id).Value)
}

// Another writer (a stale activation elsewhere) appends first: the actor
// catches up and runs the command on the new state.
func TestConflictWithAnotherWriter(t *testing.T) {
	e := newEnv(t)
	id := uuid.New()
	e.open(id, 0)
	c, _ := e.fromJournal(id)
	require.NoError(t, domain.Raise(c, Added{By: 7}))
	_, err := e.sys.App().Save(ctx(t), c)
	require.NoError(t, err)

	rep, err := e.add(id, 1)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), rep.Version)
	assert.Equal(t, 8, e.get(id).Value)
}

func TestHandlerPanic(t *testing.T) {
	e := newEnv(t)
	id, bystander := uuid.New(), uuid.New()
	e.open(id, 1)
	e.open(bystander, 2)

	_, err := actors.Send(ctx(t), e.sys, counterType, id, Boom{})
	require.ErrorIs(t, err, actors.ErrHandlerPanic)
	assert.Equal(t, 1, e.get(id).Value, "the state is rebuilt without the panicking command's event")
	rep, err := e.add(id, 1)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), rep.Version)

	rep, err = e.add(bystander, 1)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), rep.Version)
	assert.Equal(t, 3, e.get(bystander).Value)
}

func TestCloseDrains(t *testing.T) {
	e := newEnv(t)
	ids := make([]uuid.UUID, 50)
	for i := range ids {
		ids[i] = uuid.New()
		e.open(ids[i], 0)
	}
	c := ctx(t)
	var wg sync.WaitGroup
	var ok atomic.Int64
	for i := range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := actors.Send(c, e.sys, counterType, ids[i%len(ids)], Add{By: 1})
			if err == nil {
				ok.Add(1)
				return
			}
			assert.ErrorIs(t, err, actors.ErrClosed)
		}()
	}
	require.NoError(t, e.sys.Close())
	require.NoError(t, e.sys.Close())
	wg.Wait()
	_, err := e.add(ids[0], 1)
	require.ErrorIs(t, err, actors.ErrClosed)

	var total int
	for _, id := range ids {
		ev, err := e.journal.Read(c, id, 1, 0)
		require.NoError(t, err)
		total += len(ev) - 1
	}
	assert.Equal(t, int(ok.Load()), total, "every acknowledged command is in the journal, and only those")
	e.start()
}

type moveTo struct {
	Target uuid.UUID `json:"target" aggregate:"test.Counter"`
	By     int       `json:"by"`
}

type mover struct{ Counter }

type badRef struct {
	Target string `aggregate:"test.Counter"`
}

// A command field tagged with an aggregate type takes a name in a JSON
// payload, as a URL does (domain.AggregateID); a tag on a field that is
// no uuid.UUID is refused when the type is registered.
func TestNamesInPayloads(t *testing.T) {
	e := newEnv(t)
	mt := actors.NewAggregateType("test.Mover", func() *mover { return &mover{} })
	var got []uuid.UUID
	actors.Create(mt, "move", func(c *mover, m moveTo) error {
		got = append(got, m.Target)
		return domain.Raise(c, Opened{Start: m.By})
	})
	require.NoError(t, actors.Register(e.sys, mt))
	named := domain.NameID(domain.TypeNamespace(counterType), "alice")
	literal := uuid.New()
	for i, payload := range []string{`{"target":"alice","by":1}`, `{"TARGET":"alice"}`, `{"target":"` + literal.String() + `"}`} {
		_, err := e.sys.Dispatch(ctx(t), actors.Command{AggregateType: "test.Mover", AggregateID: uuid.New(), Name: "move", Payload: []byte(payload)})
		require.NoError(t, err, payload)
		require.Len(t, got, i+1)
	}
	assert.Equal(t, []uuid.UUID{named, named, literal}, got)
	_, err := e.sys.Dispatch(ctx(t), actors.Command{AggregateType: "test.Mover", AggregateID: uuid.New(), Name: "move", Payload: []byte(`{"target":"alice","oops":1}`)})
	require.ErrorIs(t, err, actors.ErrBadCommand)
	assert.Contains(t, err.Error(), `"oops"`)

	bad := actors.NewAggregateType("test.BadRef", func() *Counter { return &Counter{} })
	actors.Handle(bad, "bad", func(*Counter, badRef) error { return nil })
	err = actors.Register(e.sys, bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Target")
}

type ctxKey struct{}

type addAndGet struct{ By int }

type badResult struct{}

type counted struct {
	Value int    `json:"value"`
	From  string `json:"from"`
}

// A handler added with HandleResult gets the caller's context and returns
// a result that reaches the caller as JSON; Create and Handle work as
// before. A result that does not encode fails the command, writing
// nothing.
func TestHandlerContextAndResult(t *testing.T) {
	e := newEnv(t)
	rt := actors.NewAggregateType("test.Resulting", func() *mover { return &mover{} })
	actors.Create(rt, "open", func(c *mover, o Open) error { return domain.Raise(c, Opened(o)) })
	actors.HandleResult(rt, "add", func(ctx context.Context, c *mover, a addAndGet) (counted, error) {
		if err := domain.Raise(c, Added{By: a.By}); err != nil {
			return counted{}, err
		}
		from, _ := ctx.Value(ctxKey{}).(string)
		return counted{Value: c.Value, From: from}, nil
	})
	actors.HandleResult(rt, "bad", func(_ context.Context, c *mover, _ badResult) (func(), error) {
		return func() {}, domain.Raise(c, Added{By: 1000})
	})
	require.NoError(t, actors.Register(e.sys, rt))
	id := uuid.New()
	rep, err := actors.Send(ctx(t), e.sys, "test.Resulting", id, Open{Start: 1})
	require.NoError(t, err)
	assert.Nil(t, rep.Result)

	c := context.WithValue(ctx(t), ctxKey{}, "the caller")
	rep, err = actors.Send(c, e.sys, "test.Resulting", id, addAndGet{By: 2}, actors.WithCommandID("a1"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"value":3,"from":"the caller"}`, string(rep.Result))
	rep, err = e.sys.Dispatch(c, actors.Command{AggregateType: "test.Resulting", AggregateID: id, Name: "add", Payload: []byte(`{"By":4}`)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"value":7,"from":"the caller"}`, string(rep.Result))
	rep, err = actors.Send(c, e.sys, "test.Resulting", id, addAndGet{By: 2}, actors.WithCommandID("a1"))
	require.NoError(t, err)
	assert.True(t, rep.Duplicate)
	assert.Nil(t, rep.Result, "a duplicate's result is not kept")

	_, err = actors.Send(ctx(t), e.sys, "test.Resulting", id, badResult{})
	require.ErrorIs(t, err, actors.ErrResult)
	require.NotErrorIs(t, err, actors.ErrRejected)
	st, err := e.sys.State(ctx(t), "test.Resulting", id, 0)
	require.NoError(t, err)
	assert.EqualValues(t, 3, st.Version, "nothing written")
}

type unregistered struct{ N int }

// An event type nobody registered is caught when the aggregate type
// declares it (Raises) at Register, and otherwise on the command that
// raises it, with ErrUnregisteredEvent naming the Go type; nothing is
// written either way.
func TestUnregisteredEvent(t *testing.T) {
	e := newEnv(t)
	declared := actors.NewAggregateType("test.Declared", func() *mover { return &mover{} },
		actors.Raises(Opened{}, unregistered{}))
	actors.Create(declared, "open", func(c *mover, o Open) error { return domain.Raise(c, Opened(o)) })
	err := actors.Register(e.sys, declared)
	require.ErrorIs(t, err, actors.ErrUnregisteredEvent)
	assert.Contains(t, err.Error(), "actors_test.unregistered")
	assert.NotContains(t, err.Error(), "Opened", "Opened is registered")

	// The dog's events, not registered this time.
	reg := domain.NewRegistry()
	a, err := app.New(app.Config{Registry: reg, Journal: e.journal, Snapshots: e.snaps})
	require.NoError(t, err)
	sys, err := actors.NewSystem(actors.SystemConfig{App: a})
	require.NoError(t, err)
	defer sys.Close()
	require.NoError(t, actors.Register(sys, dogType()), "a type that does not declare its events")
	id := uuid.New()
	_, err = actors.Send(ctx(t), sys, school.AggregateType, id, RegisterDog{Name: "Rex"})
	require.ErrorIs(t, err, actors.ErrUnregisteredEvent)
	assert.Contains(t, err.Error(), "school.Registered")
	assert.Contains(t, err.Error(), "Register")
	_, err = sys.State(ctx(t), school.AggregateType, id, 0)
	require.ErrorIs(t, err, actors.ErrAggregateNotFound, "nothing written")

	// The school's own DogType declares its events: caught at Register.
	sys2, err := actors.NewSystem(actors.SystemConfig{App: a})
	require.NoError(t, err)
	defer sys2.Close()
	err = actors.Register(sys2, school.DogType())
	require.ErrorIs(t, err, actors.ErrUnregisteredEvent)
	assert.Contains(t, err.Error(), "school.Registered")
	assert.Contains(t, err.Error(), "school.TrickAdded")
}
