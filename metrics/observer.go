package metrics

import (
	"errors"
	"time"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/wire"
)

// Observer returns the actors.Observer that counts commands,
// activations, passivations and snapshots: give it to
// actors.SystemConfig.Observer.
func (m *Metrics) Observer() actors.Observer { return observer{m} }

type observer struct{ m *Metrics }

// Command returns the command's own stats (commands.go), so that a
// command costs no lookup.
func (o observer) Command(aggregateType, command string) actors.CommandObserver {
	return o.m.commands.of(aggregateType, command)
}

func (o observer) Activated(aggregateType string, d time.Duration, err error) {
	o.m.activations.WithLabelValues(aggregateType, result(err)).Inc()
	o.m.activationDuration.WithLabelValues(aggregateType).Observe(d.Seconds())
}

func (o observer) Passivated(aggregateType string, n int) {
	o.m.passivations.WithLabelValues(aggregateType).Add(float64(n))
}

func (o observer) SnapshotStored(aggregateType string, err error) {
	r := "ok"
	switch {
	case errors.Is(err, actors.ErrSnapshotDropped):
		r = "dropped"
	case err != nil:
		r = "failed"
	}
	o.m.snapshots.WithLabelValues(aggregateType, r).Inc()
}

// Done implements actors.CommandObserver.
func (s *commandStats) Done(d time.Duration, err error) {
	s.observe(d)
	switch {
	case err == nil:
		s.ok.Add(1)
	case errors.Is(err, actors.ErrRejected):
		s.rejected.Add(1)
	default:
		s.failed(wire.ErrorCode(err))
	}
}

// result is the result label of an error: "ok" or its wire code.
func result(err error) string {
	if err == nil {
		return "ok"
	}
	return wire.ErrorCode(err)
}
