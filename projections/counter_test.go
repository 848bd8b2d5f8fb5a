package projections_test

import (
	"context"
	"testing"
	"time"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/internal/countertest"
)

// The counter of internal/countertest, under the names the tests use.

const counterType = countertest.Type

type (
	Counter = countertest.Counter
	Opened  = countertest.Opened
	Added   = countertest.Added
	Open    = countertest.Open
	Add     = countertest.Add
)

func counterAggregate(opts ...actors.AggregateOption) *actors.AggregateType[*Counter] {
	return countertest.Aggregate(opts...)
}

func registerCounterEvents(reg *domain.Registry) { countertest.RegisterEvents(reg) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
