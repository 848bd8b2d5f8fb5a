package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/examples/bank"
	"github.com/factum-dev/factum/examples/dogschool/school"
	"github.com/factum-dev/factum/journal"
	jmemory "github.com/factum-dev/factum/journal/memory"
	jredis "github.com/factum-dev/factum/journal/redis"
	"github.com/factum-dev/factum/snapshots"
	smemory "github.com/factum-dev/factum/snapshots/memory"
	sredis "github.com/factum-dev/factum/snapshots/redis"
)

// stores opens the journal and snapshot store the flags name.
func (s *storeFlags) stores(ctx context.Context, log *slog.Logger) (journal.Journal, snapshots.Store, error) {
	if s.redisURL == "" {
		j, err := jmemory.New(jmemory.Config{Partitions: s.partitions})
		return j, smemory.New(), err
	}
	j, err := jredis.New(ctx, jredis.Config{URL: s.redisURL, Cluster: s.redisCluster, Partitions: s.partitions, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("redis journal: %w", err)
	}
	st, err := sredis.New(sredis.Config{URL: s.redisURL, Cluster: s.redisCluster, Partitions: s.partitions, Logger: log})
	if err != nil {
		_ = j.Close()
		return nil, nil, fmt.Errorf("redis snapshot store: %w", err)
	}
	return j, st, nil
}

// host is an application and its actor system, with the stores under them.
type host struct {
	app  *actors.Application
	sys  *actors.System
	j    journal.Journal
	snap snapshots.Store
}

// newHost opens the stores and starts an actor system; register adds the
// aggregate types it hosts.
func newHost(ctx context.Context, s *storeFlags, log *slog.Logger, register func(*domain.Registry, *actors.System, []actors.AggregateOption) error) (*host, error) {
	j, st, err := s.stores(ctx, log)
	if err != nil {
		return nil, err
	}
	opts := []actors.AggregateOption{actors.SnapshotEvery(s.snapshotEvery), actors.PassivateAfter(s.passivate)}
	return newHostOn(j, st, log, opts, register)
}

// newHostOn starts an actor system on the given stores, which the host
// then owns.
func newHostOn(j journal.Journal, st snapshots.Store, log *slog.Logger, opts []actors.AggregateOption, register func(*domain.Registry, *actors.System, []actors.AggregateOption) error) (*host, error) {
	h := &host{j: j, snap: st}
	var err error
	h.app, err = actors.NewApplication(actors.Config{Registry: domain.NewRegistry(), Journal: j, Snapshots: st, Logger: log})
	if err == nil {
		h.sys, err = actors.NewSystem(actors.SystemConfig{App: h.app, Logger: log})
	}
	if err == nil {
		err = register(h.app.Registry(), h.sys, opts)
	}
	if err != nil {
		return nil, errors.Join(err, h.Close())
	}
	return h, nil
}

// Close stops the actors (draining in-flight commands) and closes the
// stores. It is safe to call more than once.
func (h *host) Close() error {
	var errs []error
	if h.sys != nil {
		errs = append(errs, h.sys.Close())
	}
	if h.app != nil {
		errs = append(errs, h.app.Close())
	}
	errs = append(errs, h.j.Close(), h.snap.Close())
	return errors.Join(errs...)
}

// registerExamples hosts the example aggregates: the dog school's Dog and
// the bank's Account.
func registerExamples(reg *domain.Registry, sys *actors.System, opts []actors.AggregateOption) error {
	return errors.Join(
		school.RegisterTypes(reg),
		bank.RegisterTypes(reg),
		actors.Register(sys, school.DogType(opts...)),
		actors.Register(sys, bank.AccountType(opts...)),
	)
}
