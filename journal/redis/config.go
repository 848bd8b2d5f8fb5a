package redis

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/factum-dev/factum/internal/redisconn"
)

// Config configures a Redis journal. The zero value of a field means its
// default. Exactly one of URL and Addrs says where Redis is.
type Config struct {
	// URL is redis://[user:password@]host:port[/db], rediss://... (TLS)
	// or unix:///path/to/socket[?db=N]. With Cluster it is the URL of one
	// cluster node; more seeds can be given as ?addr=host:port.
	URL string
	// Cluster says that URL names a Redis Cluster node.
	Cluster bool
	// Addrs is a Redis Cluster seed list (host:port each). Username,
	// Password and TLS apply to every node.
	Addrs    []string
	Username string
	Password string
	// TLS, when not nil, turns TLS on (rediss:// turns it on by itself).
	TLS *tls.Config

	// Partitions is P, the number of partitions of the global log (default
	// 1). It is recorded in Redis when the journal is first opened; opening
	// it with another P fails with ErrPartitionsMismatch.
	Partitions int
	// KeyPrefix starts every key (default "factum:"). It must not contain
	// '{' or '}': the journal puts its own hash tags after it.
	KeyPrefix string

	// PoolSize is the number of connections per Redis node (default: the
	// URL's pool_size, else the go-redis default, 10 per GOMAXPROCS).
	PoolSize int
	// DialTimeout (default 5s), ReadTimeout and WriteTimeout (default 3s
	// each) bound every request. An append whose reply does not arrive in
	// ReadTimeout fails with journal.ErrOutcomeUnknown.
	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration

	// Senders is the number of group-commit senders: batches in flight at
	// once (default 4).
	Senders int
	// MaxBatchAppends and MaxBatchBytes bound one script call (defaults
	// 256 appends and 1 MiB of payload); a single larger append is sent
	// alone.
	MaxBatchAppends int
	MaxBatchBytes   int
	// OnBatch, when set, is told the number of appends of each
	// append-script call and how long the call took (the round trip of
	// the pipeline it went in), on the sender's goroutine after the call
	// (for metrics); it must be quick.
	OnBatch func(appends int, took time.Duration)

	// Replicas, when positive, makes every append wait (WAIT) until this
	// many replicas have it; an append they do not confirm within
	// ReplicaTimeout (default 1s; at least 1ms and less than ReadTimeout)
	// fails with journal.ErrOutcomeUnknown.
	Replicas       int
	ReplicaTimeout time.Duration

	// Fence, when set, fences every append: it is sent with the token of
	// the lease its writer holds on the aggregate's partition (Fence.Token),
	// and the append script writes nothing and the append fails with
	// journal.ErrFenced unless the partition's lease (see Journal.Acquire)
	// holds that token at that moment. Nil (single node): appends are not
	// fenced.
	Fence Fence

	// Logger receives the journal's logs (nil: discard).
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Partitions == 0 {
		c.Partitions = 1
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = "factum:"
	}
	redisconn.DefaultTimeouts(&c.DialTimeout, &c.ReadTimeout, &c.WriteTimeout)
	if c.Senders == 0 {
		c.Senders = 4
	}
	if c.MaxBatchAppends == 0 {
		c.MaxBatchAppends = 256
	}
	if c.MaxBatchBytes == 0 {
		c.MaxBatchBytes = 1 << 20
	}
	if c.ReplicaTimeout == 0 {
		c.ReplicaTimeout = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports the first setting that cannot work. It applies the
// defaults first, so a zero Config with only URL set is valid.
func (c *Config) Validate() error {
	c.setDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("redis journal: "+format+": %w", append(args, ErrConfig)...)
	}
	switch {
	case c.Partitions < 0:
		return bad("Partitions = %d, want at least 1", c.Partitions)
	case strings.ContainsAny(c.KeyPrefix, "{}"):
		return bad("KeyPrefix %q contains a brace; the journal adds its own hash tags", c.KeyPrefix)
	case c.Senders < 0:
		return bad("Senders = %d, want at least 1", c.Senders)
	case c.MaxBatchAppends < 0:
		return bad("MaxBatchAppends = %d, want at least 1", c.MaxBatchAppends)
	case c.MaxBatchBytes < 0:
		return bad("MaxBatchBytes = %d, want at least 1", c.MaxBatchBytes)
	case c.Replicas < 0:
		return bad("Replicas = %d, want 0 (no wait) or more", c.Replicas)
	case c.ReplicaTimeout < 0:
		return bad("ReplicaTimeout = %v, want positive", c.ReplicaTimeout)
	case c.Replicas > 0 && c.ReplicaTimeout < time.Millisecond:
		// WAIT takes milliseconds, and WAIT n 0 waits for ever.
		return bad("ReplicaTimeout = %v, want at least 1ms", c.ReplicaTimeout)
	case c.Replicas > 0 && c.ReplicaTimeout >= c.ReadTimeout:
		// WAIT's reply would come after the client stopped reading: every
		// append that a replica is slow to confirm would time out instead.
		return bad("ReplicaTimeout = %v, want less than ReadTimeout = %v", c.ReplicaTimeout, c.ReadTimeout)
	}
	if err := c.conn().Check(); err != nil {
		return bad("%v", err)
	}
	return nil
}

// conn is the connection part of the settings. Commands are never
// retried by go-redis: an append retried after its reply was lost would
// report a conflict with itself; the journal decides what to retry.
func (c *Config) conn() redisconn.Config {
	return redisconn.Config{URL: c.URL, Cluster: c.Cluster, Addrs: c.Addrs, Username: c.Username, Password: c.Password,
		TLS: c.TLS, PoolSize: c.PoolSize, DialTimeout: c.DialTimeout, ReadTimeout: c.ReadTimeout,
		WriteTimeout: c.WriteTimeout, NoRetry: true}
}
