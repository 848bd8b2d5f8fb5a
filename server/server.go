package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/cluster"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/metrics"
	"github.com/factum-dev/factum/projections"
	"github.com/factum-dev/factum/storage/pipeline"
)

// ErrStarted is returned by Host and Run after the server started, and by
// a second Start.
var ErrStarted = errors.New("server already started")

// Server hosts aggregate types as persistent actors behind factum's
// HTTP/JSON API, and runs projections and process managers over their
// log.
type Server struct {
	cfg  Config
	log  *slog.Logger
	st   *Stores
	pipe *pipeline.Pipeline
	j    journal.Journal // the journal as the application sees it (pipe.Journal)
	app  *app.Application
	sys  *actors.System
	api  *api
	mux  *routeMux
	// handler is mux, instrumented (metrics, tracing, access log).
	handler  http.Handler
	registry *prometheus.Registry
	metrics  *metrics.Metrics
	tracing  tracing

	readyMu sync.Mutex
	ready   map[string]ReadinessCheck

	mu      sync.Mutex
	started bool
	runs    []projections.Runnable
	runner  *projections.Runner

	// In a cluster: what the node holds, the node, and its Redis client.
	own        *cluster.Ownership
	node       *cluster.Node
	nodeClient interface{ Close() error }

	closeOnce sync.Once
	closeErr  error
}

// New opens the stores cfg names, builds the storage pipeline and starts an
// actor system on them. Host the aggregate types, Run the projections,
// then Serve.
func New(ctx context.Context, cfg Config) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	reg := cfg.Registry
	if reg == nil {
		reg = newRegistry()
	}
	m, err := metrics.New(reg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, registry: reg, metrics: m, tracing: newTracing(cfg.TracerProvider)}
	if cfg.Cluster != nil {
		s.own = cluster.NewOwnership(cfg.Cluster.NodeID, cfg.Partitions)
	}
	st, err := openStores(ctx, &cfg, cfg.Logger, s.fence(), m)
	if err != nil {
		return nil, err
	}
	s.st = st
	metered := m.Journal(st.Journal)
	s.pipe, err = cfg.Storage.Build(pipeline.Deps{Journal: metered, KeyStore: st.Keys})
	if err != nil {
		return nil, errors.Join(err, s.Close())
	}
	s.j = s.pipe.Journal
	var history app.HistoryReader
	if s.j == metered {
		history = st.History // no journal wrapper reads the records itself
	}
	s.app, err = app.New(app.Config{Registry: domain.NewRegistry(), Journal: s.j, Snapshots: st.Snapshots,
		Transforms: s.pipe.Transforms, SnapshotTransforms: s.pipe.SnapshotTransforms, Logger: cfg.Logger, History: history})
	if err != nil {
		return nil, errors.Join(err, s.Close())
	}
	defaults := []actors.AggregateOption{actors.SnapshotEvery(cfg.SnapshotEvery), actors.PassivateAfter(cfg.PassivateAfter)}
	sysCfg := actors.SystemConfig{App: s.app, Logger: cfg.Logger, Defaults: defaults,
		Observer: m.Observer(), Tracer: s.tracing.actorTracer()}
	if s.own != nil {
		sysCfg.Stamp = s.own.Stamp
	}
	s.sys, err = actors.NewSystem(sysCfg)
	if err != nil {
		return nil, errors.Join(err, s.Close())
	}
	m.Watch(s.sys)
	s.AddReadinessCheck("journal", s.journalReady)
	s.api = newAPI(s)
	s.mux = s.api.routes()
	s.handler = s.instrument(s.mux)
	if cfg.Cluster != nil {
		if err := s.newNode(); err != nil {
			return nil, errors.Join(err, s.Close())
		}
	}
	return s, nil
}

// Registry is the domain registry: register the hosted types' events in
// it before Host.
func (s *Server) Registry() *domain.Registry { return s.app.Registry() }

// System is the actor system the server hosts its aggregates on.
func (s *Server) System() *actors.System { return s.sys }

// App is the application under the actor system.
func (s *Server) App() *app.Application { return s.app }

// Journal is the journal as the application sees it (through the storage
// pipeline).
func (s *Server) Journal() journal.Journal { return s.j }

// Checkpoints is the projections' checkpoint store (a
// *redisprojection.Store when the server runs on Redis; nil: in memory,
// per runner).
func (s *Server) Checkpoints() projections.CheckpointStore { return s.st.Checkpoints }

// Pipeline is the storage pipeline (its Cipher and Chain are nil when
// encryption or hash chaining is off).
func (s *Server) Pipeline() *pipeline.Pipeline { return s.pipe }

// Config is the server's configuration, with its defaults.
func (s *Server) Config() Config { return s.cfg }

// Host registers aggregate types (built with actors.NewAggregateType, their
// events registered in Registry) with the actor system: they are then
// served at /v1/{type}/{id}/{command}. The server's SnapshotEvery and
// PassivateAfter are their defaults.
func (s *Server) Host(types ...actors.Hostable) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return ErrStarted
	}
	for _, t := range types {
		if err := t.RegisterWith(s.sys); err != nil {
			return fmt.Errorf("server: host %s: %w", t.Name(), err)
		}
	}
	return nil
}

// Run adds projections and process managers that the server runs over its
// log once started, with its checkpoint store (the Redis one when it runs
// on Redis). A projection with its own Checkpoints option keeps them there.
func (s *Server) Run(ps ...projections.Runnable) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return ErrStarted
	}
	s.runs = append(s.runs, ps...)
	return nil
}

// HandleFunc adds a route of the caller's own (a read model's query, say)
// to the server's mux, in net/http's pattern syntax.
func (s *Server) HandleFunc(pattern string, h http.HandlerFunc) { s.mux.HandleFunc(pattern, h) }

// Handler is the HTTP/JSON API, for serving it on a listener of the
// caller's or in tests. Start the projections first (Start).
func (s *Server) Handler() http.Handler { return s.handler }

// Start starts the projections and process managers given to Run. Serve
// calls it; call it yourself when you serve Handler on your own.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return ErrStarted
	}
	s.started = true
	if len(s.runs) > 0 {
		// In a cluster the node starts each partition's workers when it
		// owns the partition.
		r, err := projections.NewRunner(projections.RunnerConfig{System: s.sys, Checkpoints: s.st.Checkpoints, Logger: s.log,
			Placed: s.node != nil})
		if err != nil {
			return err
		}
		if err := r.Add(s.runs...); err != nil {
			return err
		}
		if err := r.Start(ctx); err != nil {
			return err
		}
		s.runner = r
		s.metrics.WatchProjections(r.Status)
	}
	if s.node != nil {
		if err := s.node.Start(ctx); err != nil {
			return fmt.Errorf("server: join the cluster: %w", err)
		}
	}
	return nil
}

// Runner is the runner of the projections (nil before Start, or with none).
func (s *Server) Runner() *projections.Runner {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runner
}

// Listen opens the listener of Config.Addr.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("server: listen on %s: %w", s.cfg.Addr, err)
	}
	return ln, nil
}

// Serve starts the projections, serves the API on ln (nil: Listen) until
// ctx ends, then shuts down gracefully: it stops taking requests, lets the
// ones in flight finish, stops the projections and the actors and closes
// the stores.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if ln == nil {
		var err error
		if ln, err = s.Listen(); err != nil {
			return errors.Join(err, s.Close())
		}
	}
	if err := s.Start(ctx); err != nil && !errors.Is(err, ErrStarted) {
		return errors.Join(err, ln.Close(), s.Close())
	}
	// HTTP/1.1 with keep-alive, and HTTP/2 over cleartext (h2c, prior
	// knowledge) for clients that multiplex many commands on one
	// connection.
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{Handler: s.handler, Protocols: &protocols,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout, ReadTimeout: s.cfg.ReadTimeout, WriteTimeout: s.cfg.WriteTimeout,
		IdleTimeout: s.cfg.IdleTimeout, MaxHeaderBytes: s.cfg.MaxHeaderBytes,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-served:
		return errors.Join(err, s.Close())
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	if s.node != nil {
		// Leave the cluster first: the partitions are handed over while
		// this node still answers the peers' "moved".
		if err := s.node.Close(); err != nil {
			s.log.Warn("leaving the cluster", "err", err)
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return errors.Join(err, s.Close())
}

// Close stops the projections and the actors (draining in-flight
// commands) and closes the stores. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		s.mu.Lock()
		r := s.runner
		s.started = true // no Start after Close
		s.mu.Unlock()
		if s.node != nil {
			errs = append(errs, s.node.Close())
		}
		if r != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			errs = append(errs, r.Stop(ctx))
			cancel()
		}
		if s.sys != nil {
			errs = append(errs, s.sys.Close())
		}
		if s.app != nil {
			errs = append(errs, s.app.Close())
		}
		if s.pipe != nil {
			errs = append(errs, s.pipe.Close())
		}
		if s.st != nil {
			errs = append(errs, s.st.close())
		}
		if s.nodeClient != nil {
			errs = append(errs, s.nodeClient.Close())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
