package server

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/factum-dev/factum/storage/pipeline"
)

// ErrConfig is returned by Config.Validate and New for a setting that is
// wrong; the error names it.
var ErrConfig = errors.New("bad server configuration")

// Defaults of Config.
const (
	DefaultAddr           = "127.0.0.1:8080"
	DefaultSnapshotEvery  = 100
	DefaultPassivateAfter = 2 * time.Minute
	DefaultMaxBody        = 1 << 20
	DefaultRequestTimeout = 10 * time.Second
	// The HTTP server's limits on slow and odd clients.
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 2 * time.Minute // above a log long poll (at most 1m) plus RequestTimeout
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultMaxHeaderBytes    = 64 << 10
)

// Config configures a Server. The zero value serves on DefaultAddr from an
// in-memory journal of one partition.
type Config struct {
	// Addr is the HTTP listen address (default DefaultAddr).
	Addr string
	// RedisURL names the Redis of the journal, snapshots, data keys and
	// checkpoints: redis://, rediss:// or unix://. Empty: in memory.
	RedisURL string
	// RedisCluster says RedisURL names a Redis Cluster node.
	RedisCluster bool
	// RedisKeyPrefix starts every Redis key the server writes (default
	// "factum:"; the data keys go under <prefix>keys:, the checkpoints
	// under <prefix>projection:). No braces: the stores add hash tags.
	RedisKeyPrefix string
	// Partitions of the global log (default 1), fixed when the journal is
	// created.
	Partitions int
	// SnapshotEvery snapshots an aggregate every N events (0: the default,
	// DefaultSnapshotEvery; negative: never). An aggregate type's own
	// SnapshotEvery wins.
	SnapshotEvery int
	// PassivateAfter stops an aggregate's actor after this long idle
	// (default DefaultPassivateAfter). An aggregate type's own wins.
	PassivateAfter time.Duration
	// MaxBody is the largest command body in bytes (default DefaultMaxBody).
	MaxBody int64
	// RequestTimeout is how long a request may wait for its aggregate
	// (default DefaultRequestTimeout).
	RequestTimeout time.Duration
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout bound
	// how long a client may take to send a request's headers, the whole
	// request, to read the answer (from the end of the headers), and how
	// long a kept-alive connection may sit idle; MaxHeaderBytes caps the
	// headers. A client that is too slow is cut off; the others are served
	// meanwhile. Defaults: DefaultReadHeaderTimeout and the others.
	// WriteTimeout must be above RequestTimeout plus the longest log long
	// poll (1m).
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	// Storage turns on compression, encryption and hash chaining
	// (pipeline.FromEnv reads it from FACTUM_* variables).
	Storage pipeline.Config
	// Stores, when set, are the stores to run on instead of the ones
	// RedisURL names; the server closes them. For tests and embedding.
	Stores *Stores
	// Cluster, when set, makes the server one node of a cluster on the
	// Redis of RedisURL (see ClusterConfig).
	Cluster *ClusterConfig
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// AdminToken turns the admin endpoints (/v1/admin/...) on: a request
	// must carry it as "Authorization: Bearer TOKEN". Empty: they are off.
	AdminToken string
	// Registry receives the server's Prometheus metrics, served at
	// /metrics; nil: a registry of the server's own, with the Go runtime's
	// and the process's collectors. No global registry is used.
	Registry *prometheus.Registry
	// TracerProvider, when set, traces every request and the phases of
	// its command (TracingFromEnv makes one from the OTEL_* variables);
	// nil: tracing is off.
	TracerProvider trace.TracerProvider
}

func (c *Config) setDefaults() {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Partitions == 0 {
		c.Partitions = 1
	}
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = DefaultSnapshotEvery
	}
	if c.PassivateAfter == 0 {
		c.PassivateAfter = DefaultPassivateAfter
	}
	if c.MaxBody == 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.ReadHeaderTimeout == 0 {
		c.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if c.Cluster != nil {
		c.Cluster.setDefaults(c.Addr)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports the first setting that is wrong, naming it.
func (c Config) Validate() error {
	switch {
	case c.Partitions < 0:
		return fmt.Errorf("server: Config.Partitions = %d: want at least 1: %w", c.Partitions, ErrConfig)
	case c.PassivateAfter < 0:
		return fmt.Errorf("server: Config.PassivateAfter = %v: want a positive duration: %w", c.PassivateAfter, ErrConfig)
	case c.MaxBody < 0:
		return fmt.Errorf("server: Config.MaxBody = %d: want at least 1: %w", c.MaxBody, ErrConfig)
	case c.RequestTimeout < 0:
		return fmt.Errorf("server: Config.RequestTimeout = %v: want a positive duration: %w", c.RequestTimeout, ErrConfig)
	case c.ReadHeaderTimeout < 0, c.ReadTimeout < 0, c.WriteTimeout < 0, c.IdleTimeout < 0:
		return fmt.Errorf("server: Config.ReadHeaderTimeout %v, ReadTimeout %v, WriteTimeout %v, IdleTimeout %v: want positive durations: %w",
			c.ReadHeaderTimeout, c.ReadTimeout, c.WriteTimeout, c.IdleTimeout, ErrConfig)
	case c.MaxHeaderBytes < 0:
		return fmt.Errorf("server: Config.MaxHeaderBytes = %d: want at least 1: %w", c.MaxHeaderBytes, ErrConfig)
	case c.RedisURL != "" && !strings.Contains(c.RedisURL, "://"):
		return fmt.Errorf("server: Config.RedisURL %q: want a URL such as redis://localhost:6379/0: %w", c.RedisURL, ErrConfig)
	case strings.ContainsAny(c.RedisKeyPrefix, "{}"):
		return fmt.Errorf("server: Config.RedisKeyPrefix %q contains a brace; the stores add their own hash tags: %w", c.RedisKeyPrefix, ErrConfig)
	case c.Cluster != nil && c.RedisURL == "":
		return fmt.Errorf("server: Config.Cluster needs Config.RedisURL: the cluster's leases and members live in the journal's Redis: %w", ErrConfig)
	case c.RedisURL != "" && c.Stores != nil:
		return fmt.Errorf("server: Config.RedisURL and Config.Stores are both set: choose one: %w", ErrConfig)
	}
	return c.Storage.Validate()
}
