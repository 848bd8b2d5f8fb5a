package redis

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
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
	// go-redis default, 10 per GOMAXPROCS).
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

	// Replicas, when positive, makes every append wait (WAIT) until this
	// many replicas have it; an append they do not confirm within
	// ReplicaTimeout (default 1s) fails with journal.ErrOutcomeUnknown.
	Replicas       int
	ReplicaTimeout time.Duration

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
	if c.DialTimeout == 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 3 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 3 * time.Second
	}
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
	case c.URL == "" && len(c.Addrs) == 0:
		return bad("neither URL nor Addrs is set")
	case c.URL != "" && len(c.Addrs) > 0:
		return bad("both URL and Addrs are set; give one")
	case c.Partitions < 0:
		return bad("Partitions = %d, want at least 1", c.Partitions)
	case strings.ContainsAny(c.KeyPrefix, "{}"):
		return bad("KeyPrefix %q contains a brace; the journal adds its own hash tags", c.KeyPrefix)
	case c.PoolSize < 0:
		return bad("PoolSize = %d, want 0 (default) or more", c.PoolSize)
	case c.DialTimeout < 0 || c.ReadTimeout < 0 || c.WriteTimeout < 0:
		return bad("negative timeout (DialTimeout %v, ReadTimeout %v, WriteTimeout %v)", c.DialTimeout, c.ReadTimeout, c.WriteTimeout)
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
	}
	for _, a := range c.Addrs {
		if !strings.Contains(a, ":") {
			return bad("Addrs entry %q is not host:port", a)
		}
	}
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil {
			return bad("URL: %v", err)
		}
		switch u.Scheme {
		case "redis", "rediss":
		case "unix":
			if c.Cluster {
				return bad("URL %q: a cluster is reached over TCP, not a unix socket", redact(c.URL))
			}
		default:
			return bad("URL %q: scheme %q, want redis, rediss or unix", redact(c.URL), u.Scheme)
		}
		if _, _, err := c.options(); err != nil {
			return bad("URL %q: %v", redact(c.URL), err)
		}
	}
	return nil
}

// redact hides the password of a URL for error messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// options builds the go-redis options: one of the two results is set.
// Commands are never retried by go-redis: an append retried after its reply
// was lost would report a conflict with itself; the journal decides what to
// retry.
func (c *Config) options() (*goredis.Options, *goredis.ClusterOptions, error) {
	if c.Cluster || len(c.Addrs) > 0 {
		o := &goredis.ClusterOptions{Addrs: c.Addrs}
		if c.URL != "" {
			var err error
			if o, err = goredis.ParseClusterURL(c.URL); err != nil {
				return nil, nil, err
			}
		}
		if c.Username != "" {
			o.Username = c.Username
		}
		if c.Password != "" {
			o.Password = c.Password
		}
		if c.TLS != nil {
			o.TLSConfig = c.TLS
		}
		o.PoolSize = c.PoolSize
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = c.DialTimeout, c.ReadTimeout, c.WriteTimeout
		o.MaxRetries = -1
		o.ContextTimeoutEnabled = true
		return nil, o, nil
	}
	o, err := goredis.ParseURL(c.URL)
	if err != nil {
		return nil, nil, err
	}
	if c.Username != "" {
		o.Username = c.Username
	}
	if c.Password != "" {
		o.Password = c.Password
	}
	if c.TLS != nil {
		o.TLSConfig = c.TLS
	}
	o.PoolSize = c.PoolSize
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout = c.DialTimeout, c.ReadTimeout, c.WriteTimeout
	o.MaxRetries = -1
	o.ContextTimeoutEnabled = true
	return o, nil, nil
}
