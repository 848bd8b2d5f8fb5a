package actors_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	smemory "github.com/factum-dev/factum/snapshots/memory"
)

// recordingRouter runs everything here, and records what it was given.
type recordingRouter struct {
	mu       sync.Mutex
	commands []actors.Command
	states   []uuid.UUID
}

func (r *recordingRouter) Route(ctx context.Context, c actors.Command, local func(context.Context, actors.Command) (actors.Reply, error)) (actors.Reply, error) {
	r.mu.Lock()
	r.commands = append(r.commands, c)
	r.mu.Unlock()
	return local(ctx, c)
}

func (r *recordingRouter) RouteState(ctx context.Context, typ string, id uuid.UUID, version uint64, local func(context.Context) (actors.State, error)) (actors.State, error) {
	r.mu.Lock()
	r.states = append(r.states, id)
	r.mu.Unlock()
	return local(ctx)
}

func TestRouterSeesEveryCommandAndQuery(t *testing.T) {
	e := newEnv(t)
	r := &recordingRouter{}
	e.sys.SetRouter(r)
	id := uuid.New()
	e.open(id, 1)
	_, err := e.sys.Dispatch(ctx(t), actors.Command{AggregateType: counterType, AggregateID: id, Name: "Add", Payload: []byte(`{"By":2}`), CommandID: "c2"})
	require.NoError(t, err)
	st, err := e.sys.State(ctx(t), counterType, id, 0)
	require.NoError(t, err)
	require.Equal(t, uint64(2), st.Version)

	require.Len(t, r.commands, 2)
	require.Equal(t, "Open", r.commands[0].Name)
	var open Open
	require.NoError(t, json.Unmarshal(r.commands[0].Payload, &open), "a command sent as a value travels as JSON")
	require.Equal(t, 1, open.Start)
	require.Equal(t, "c2", r.commands[1].CommandID)
	require.Equal(t, []uuid.UUID{id}, r.states)

	// Without a router, nothing goes through it.
	e.sys.SetRouter(nil)
	_, err = e.add(id, 1)
	require.NoError(t, err)
	require.Len(t, r.commands, 2)

	// DispatchLocal never asks the router.
	e.sys.SetRouter(r)
	_, err = e.sys.DispatchLocal(ctx(t), actors.Command{AggregateType: counterType, AggregateID: id, Name: "Add", Payload: []byte(`{"By":1}`)})
	require.NoError(t, err)
	require.Len(t, r.commands, 2)
}

func TestStopActorsAndStamp(t *testing.T) {
	j := newFaultyJournal(t)
	reg := domain.NewRegistry()
	registerCounterEvents(reg)
	a, err := app.New(app.Config{Registry: reg, Journal: j, Snapshots: smemory.New()})
	require.NoError(t, err)
	sys, err := actors.NewSystem(actors.SystemConfig{App: a, Stamp: func(id uuid.UUID, m *domain.Metadata) {
		m.Extra = map[string]string{"writer": "w-" + id.String()[:4]}
	}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sys.Close()) })
	require.NoError(t, actors.Register(sys, counterAggregate()))

	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	for _, id := range ids {
		_, err := actors.Send(ctx(t), sys, counterType, id, Open{Start: 1})
		require.NoError(t, err)
	}
	require.Equal(t, 3, sys.Live(counterType))
	stopped := sys.StopActors(func(id uuid.UUID) bool { return id == ids[0] || id == ids[1] })
	require.Equal(t, 2, stopped)
	require.Equal(t, 1, sys.Live(counterType))

	// A stopped aggregate comes back from the journal.
	rep, err := actors.Send(ctx(t), sys, counterType, ids[0], Add{By: 1})
	require.NoError(t, err)
	require.Equal(t, uint64(2), rep.Version)

	events, err := a.Events().Load(ctx(t), ids[0], 1, 0)
	require.NoError(t, err)
	require.Len(t, events, 2)
	for _, ev := range events {
		require.Equal(t, "w-"+ids[0].String()[:4], ev.Meta.Extra["writer"])
	}
}
