package metrics

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/wire"
)

// Observer returns the actors.Observer that counts commands,
// activations, passivations and snapshots: give it to
// actors.SystemConfig.Observer.
func (m *Metrics) Observer() actors.Observer { return observer{m} }

type observer struct{ m *Metrics }

// Command resolves the command's ok counter and its histogram once, so
// that a command that succeeds costs two atomic updates and no lookup.
func (o observer) Command(aggregateType, command string) actors.CommandObserver {
	return &commandObserver{
		m: o.m, typ: aggregateType, cmd: command,
		ok:       o.m.commands.WithLabelValues(aggregateType, command, "ok"),
		rejected: o.m.commands.WithLabelValues(aggregateType, command, wire.CodeRejected),
		duration: o.m.commandDuration.WithLabelValues(aggregateType, command),
	}
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

type commandObserver struct {
	m            *Metrics
	typ, cmd     string
	ok, rejected prometheus.Counter
	duration     prometheus.Observer
}

func (c *commandObserver) Done(d time.Duration, err error) {
	c.duration.Observe(d.Seconds())
	switch {
	case err == nil:
		c.ok.Inc()
	case errors.Is(err, actors.ErrRejected):
		c.rejected.Inc()
	default:
		c.m.commands.WithLabelValues(c.typ, c.cmd, wire.ErrorCode(err)).Inc()
	}
}

// result is the result label of an error: "ok" or its wire code.
func result(err error) string {
	if err == nil {
		return "ok"
	}
	return wire.ErrorCode(err)
}
