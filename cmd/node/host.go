package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/examples/bank"
	"github.com/factum-dev/factum/examples/dogschool/school"
	"github.com/factum-dev/factum/inmem"
	"github.com/factum-dev/factum/internal/redisconn"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/encryption"
	"github.com/factum-dev/factum/journal/encryption/rediskeys"
	jmemory "github.com/factum-dev/factum/journal/memory"
	"github.com/factum-dev/factum/journal/pipeline"
	jredis "github.com/factum-dev/factum/journal/redis"
	"github.com/factum-dev/factum/projections"
	"github.com/factum-dev/factum/projections/redisprojection"
	"github.com/factum-dev/factum/snapshots"
	smemory "github.com/factum-dev/factum/snapshots/memory"
	sredis "github.com/factum-dev/factum/snapshots/redis"
)

// stores are the journal, snapshot store and data-key store a node runs on.
type stores struct {
	j      journal.Journal
	snap   snapshots.Store
	keys   encryption.KeyStore
	closer func() error // closes what keys needs
	// checkpoints keeps the projections' checkpoints (nil: in memory).
	checkpoints projections.CheckpointStore
}

// open opens the stores the flags name.
func (s *storeFlags) open(ctx context.Context, log *slog.Logger) (*stores, error) {
	if s.redisURL == "" {
		j, err := jmemory.New(jmemory.Config{Partitions: s.partitions})
		if err != nil {
			return nil, err
		}
		return &stores{j: j, snap: smemory.New(), keys: encryption.NewMemoryKeyStore(), closer: func() error { return nil }}, nil
	}
	j, err := jredis.New(ctx, jredis.Config{URL: s.redisURL, Cluster: s.redisCluster, Partitions: s.partitions, Logger: log})
	if err != nil {
		return nil, err
	}
	st, err := sredis.New(sredis.Config{URL: s.redisURL, Cluster: s.redisCluster, Partitions: s.partitions, Logger: log})
	if err != nil {
		return nil, errors.Join(err, j.Close())
	}
	client, err := redisClient(s.redisURL, s.redisCluster)
	if err != nil {
		return nil, errors.Join(err, j.Close(), st.Close())
	}
	keys, err := rediskeys.New(rediskeys.Config{Client: client})
	if err != nil {
		return nil, errors.Join(err, client.Close(), j.Close(), st.Close())
	}
	cps, err := redisprojection.New(redisprojection.Config{Client: client})
	if err != nil {
		return nil, errors.Join(err, client.Close(), j.Close(), st.Close())
	}
	return &stores{j: j, snap: st, keys: keys, closer: client.Close, checkpoints: cps}, nil
}

// redisClient returns a client for the key store on the journal's Redis.
func redisClient(url string, cluster bool) (goredis.UniversalClient, error) {
	c, err := redisconn.Config{URL: url, Cluster: cluster}.Open()
	if err != nil {
		return nil, fmt.Errorf("--redis %q: %w", redisconn.Redact(url), err)
	}
	return c, nil
}

// host is an application and its actor system, with the stores and the
// storage pipeline (compression, encryption, hash chain) under them.
type host struct {
	app  *app.Application
	sys  *actors.System
	st   *stores
	pipe *pipeline.Pipeline
	j    journal.Journal // the journal as the application sees it (pipe.Journal)
	// runner runs the projections and process managers (nil until
	// startProjections).
	runner *projections.Runner
	close  sync.Once
	err    error
}

// newHost opens the stores and starts an actor system; register adds the
// aggregate types it hosts.
func newHost(ctx context.Context, s *storeFlags, storage pipeline.Config, log *slog.Logger, register func(*domain.Registry, *actors.System, []actors.AggregateOption) error) (*host, error) {
	st, err := s.open(ctx, log)
	if err != nil {
		return nil, err
	}
	opts := []actors.AggregateOption{actors.SnapshotEvery(s.snapshotEvery), actors.PassivateAfter(s.passivate)}
	return newHostOn(st, storage, log, opts, register)
}

// newHostOn starts an actor system on the given stores, which the host
// then owns, with the storage pipeline that storage configures.
func newHostOn(st *stores, storage pipeline.Config, log *slog.Logger, opts []actors.AggregateOption, register func(*domain.Registry, *actors.System, []actors.AggregateOption) error) (*host, error) {
	h := &host{st: st}
	var err error
	h.pipe, err = storage.Build(pipeline.Deps{Journal: st.j, KeyStore: st.keys})
	if err != nil {
		return nil, errors.Join(err, h.Close())
	}
	h.j = h.pipe.Journal
	h.app, err = inmem.NewApplication(app.Config{Registry: domain.NewRegistry(), Journal: h.j, Snapshots: st.snap,
		Transforms: h.pipe.Transforms, SnapshotTransforms: h.pipe.SnapshotTransforms, Logger: log})
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
	h.close.Do(func() {
		var errs []error
		if h.runner != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			errs = append(errs, h.runner.Stop(ctx))
			cancel()
		}
		if h.sys != nil {
			errs = append(errs, h.sys.Close())
		}
		if h.app != nil {
			errs = append(errs, h.app.Close())
		}
		if h.pipe != nil {
			errs = append(errs, h.pipe.Close())
		}
		errs = append(errs, h.st.j.Close(), h.st.snap.Close(), h.st.closer())
		h.err = errors.Join(errs...)
	})
	return h.err
}

// registerExamples hosts the example aggregates: the dog school's Dog and
// the bank's Account and Transfer.
func registerExamples(reg *domain.Registry, sys *actors.System, opts []actors.AggregateOption) error {
	return errors.Join(
		school.RegisterTypes(reg),
		bank.RegisterTypes(reg),
		actors.Register(sys, school.DogType(opts...)),
		actors.Register(sys, bank.AccountType(opts...)),
		actors.Register(sys, bank.TransferType(opts...)),
	)
}

// exampleProjections are the projections and process managers the node
// runs over the examples: the bank's transfer process manager.
func exampleProjections(sys *actors.System) []projections.Runnable {
	return []projections.Runnable{bank.TransferProcess(sys)}
}

// startProjections starts a runner of ps on the host's log, with the
// stores' checkpoint store; Close stops it before the actors.
func (h *host) startProjections(ctx context.Context, log *slog.Logger, ps ...projections.Runnable) error {
	r, err := projections.NewRunner(projections.RunnerConfig{System: h.sys, Checkpoints: h.st.checkpoints, Logger: log})
	if err != nil {
		return err
	}
	if err := r.Add(ps...); err != nil {
		return err
	}
	if err := r.Start(ctx); err != nil {
		return err
	}
	h.runner = r
	return nil
}
