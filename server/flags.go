package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// ErrUsage is returned by ParseFlags and the flag checks for a flag or
// FACTUM_* variable that is wrong; the error names it.
var ErrUsage = errors.New("usage")

// Flags are the command-line flags of a server, each with its FACTUM_*
// variable: what `node run` and a user's own binary (examples/cart) take.
type Flags struct {
	Config   Config
	LogLevel string
	// LogFormat is "text" (the default) or "json".
	LogFormat string
	// snapshotEvery is the flag's value: 0 means never on the command line.
	snapshotEvery int
	http          bool // Register (not only RegisterStore) was called
	cluster       bool
	nodeID        string
	advertise     string
}

// Register adds the flags to fs, with the defaults of Config.
func (f *Flags) Register(fs *flag.FlagSet) {
	c := &f.Config
	f.http = true
	f.RegisterStore(fs)
	fs.StringVar(&c.Addr, "addr", DefaultAddr, "HTTP listen address [FACTUM_ADDR]")
	fs.Int64Var(&c.MaxBody, "max-body", DefaultMaxBody, "largest command body in bytes [FACTUM_MAX_BODY]")
	fs.StringVar(&c.AdminToken, "admin-token", "", "turns the admin endpoints on; requests carry it as Authorization: Bearer TOKEN (empty: off) [FACTUM_ADMIN_TOKEN]")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", DefaultRequestTimeout, "how long a request may wait for its aggregate [FACTUM_REQUEST_TIMEOUT]")
	fs.DurationVar(&c.ReadHeaderTimeout, "read-header-timeout", DefaultReadHeaderTimeout, "how long a client may take to send a request's headers [FACTUM_READ_HEADER_TIMEOUT]")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", DefaultReadTimeout, "how long a client may take to send a whole request [FACTUM_READ_TIMEOUT]")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", DefaultWriteTimeout, "how long an answer may take to be written, from the end of the request's headers [FACTUM_WRITE_TIMEOUT]")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", DefaultIdleTimeout, "how long a kept-alive connection may sit idle [FACTUM_IDLE_TIMEOUT]")
	fs.IntVar(&c.MaxHeaderBytes, "max-header-bytes", DefaultMaxHeaderBytes, "largest request headers in bytes [FACTUM_MAX_HEADER_BYTES]")
	fs.BoolVar(&f.cluster, "cluster", false, "join the cluster on the Redis of --redis: own partitions under leases, forward the rest [FACTUM_CLUSTER]")
	fs.StringVar(&f.nodeID, "node-id", "", "the node's id in the cluster (default: --advertise) [FACTUM_NODE_ID]")
	fs.StringVar(&f.advertise, "advertise", "", "host:port the other nodes reach this node at (default: --addr) [FACTUM_ADVERTISE]")
}

// RegisterStore adds only the flags that choose and shape the stores and
// the actors (for a command that serves no HTTP, such as `node bench`).
func (f *Flags) RegisterStore(fs *flag.FlagSet) {
	c := &f.Config
	fs.StringVar(&c.RedisURL, "redis", "", "Redis URL of the journal and snapshot store (redis://, rediss://, unix://); empty: in memory [FACTUM_REDIS_URL]")
	fs.BoolVar(&c.RedisCluster, "redis-cluster", false, "the Redis URL names a Redis Cluster node [FACTUM_REDIS_CLUSTER]")
	fs.IntVar(&c.Partitions, "partitions", 1, "partitions of the global log, fixed when the journal is created [FACTUM_PARTITIONS]")
	fs.IntVar(&f.snapshotEvery, "snapshot-every", DefaultSnapshotEvery, "snapshot an aggregate every N events (0: never) [FACTUM_SNAPSHOT_EVERY]")
	fs.DurationVar(&c.PassivateAfter, "passivate-after", DefaultPassivateAfter, "stop an aggregate's actor after this long idle [FACTUM_PASSIVATE_AFTER]")
	fs.StringVar(&f.LogLevel, "log-level", "info", "debug, info, warn or error; debug logs every HTTP request [FACTUM_LOG_LEVEL]")
	fs.StringVar(&f.LogFormat, "log-format", "text", "text or json [FACTUM_LOG_FORMAT]")
}

// SnapshotEvery is the --snapshot-every flag's value (0: never).
func (f *Flags) SnapshotEvery() int { return f.snapshotEvery }

// Check checks the flags and completes Config from them (its logger
// writes to w at --log-level). The errors wrap ErrUsage and name the flag.
func (f *Flags) Check(w io.Writer) error {
	c := &f.Config
	switch {
	case c.Partitions < 1:
		return fmt.Errorf("--partitions %d: want at least 1: %w", c.Partitions, ErrUsage)
	case f.snapshotEvery < 0:
		return fmt.Errorf("--snapshot-every %d: want 0 (never) or more: %w", f.snapshotEvery, ErrUsage)
	case c.PassivateAfter <= 0:
		return fmt.Errorf("--passivate-after %v: want a positive duration: %w", c.PassivateAfter, ErrUsage)
	case c.RedisURL != "" && !strings.Contains(c.RedisURL, "://"):
		return fmt.Errorf("--redis %q: want a URL such as redis://localhost:6379/0: %w", c.RedisURL, ErrUsage)
	case f.http && c.MaxBody < 1:
		return fmt.Errorf("--max-body %d: want at least 1: %w", c.MaxBody, ErrUsage)
	case f.http && c.RequestTimeout <= 0:
		return fmt.Errorf("--request-timeout %v: want a positive duration: %w", c.RequestTimeout, ErrUsage)
	case f.cluster && c.RedisURL == "":
		return fmt.Errorf("--cluster needs --redis: the cluster's leases and members live in the journal's Redis: %w", ErrUsage)
	case !f.cluster && (f.nodeID != "" || f.advertise != ""):
		return fmt.Errorf("--node-id and --advertise need --cluster: %w", ErrUsage)
	case strings.ContainsAny(f.nodeID, "/ "):
		return fmt.Errorf("--node-id %q: want a name without '/' or spaces: %w", f.nodeID, ErrUsage)
	}
	if f.cluster {
		c.Cluster = &ClusterConfig{NodeID: f.nodeID, Advertise: f.advertise}
	}
	level, err := ParseLevel(f.LogLevel)
	if err != nil {
		return err
	}
	c.SnapshotEvery = f.snapshotEvery
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = -1 // never
	}
	switch f.LogFormat {
	case "", "text":
		c.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
	case "json":
		c.Logger = slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
	default:
		return fmt.Errorf("--log-format %q: want text or json: %w", f.LogFormat, ErrUsage)
	}
	return nil
}

// envNames maps flags whose FACTUM_ variable is not simply the flag's name.
func envName(flagName string) string {
	if flagName == "redis" {
		return "FACTUM_REDIS_URL"
	}
	return "FACTUM_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// ParseFlags parses args into fs, after setting every flag that was not
// given from its FACTUM_* variable (a flag on the command line wins).
// Errors wrap ErrUsage, except flag.ErrHelp.
func ParseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return fmt.Errorf("%v: %w", err, ErrUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: %w", fs.Arg(0), ErrUsage)
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		name := envName(f.Name)
		if v := getenv(name); v != "" {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %v: %w", name, v, e, ErrUsage)
			}
		}
	})
	return err
}

// ParseLevel parses a --log-level.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level %q: want debug, info, warn or error: %w", s, ErrUsage)
	}
	return l, nil
}
