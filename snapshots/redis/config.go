package redis

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/factum-dev/factum/internal/redisconn"
)

// Config configures a Redis snapshot store. Exactly one of Client, URL and
// Addrs says where Redis is.
type Config struct {
	// Client is a go-redis client to share (the store does not close it).
	Client goredis.UniversalClient
	// URL is redis://[user:password@]host:port[/db], rediss://... (TLS) or
	// unix:///path; with Cluster it names one cluster node.
	URL     string
	Cluster bool
	// Addrs is a Redis Cluster seed list (host:port each).
	Addrs    []string
	Username string
	Password string
	TLS      *tls.Config

	// KeyPrefix starts every key (default "factum:"); no braces.
	KeyPrefix string
	// Partitions, when set to the journal's P, puts an aggregate's
	// snapshots under its journal partition's hash tag. 0: the
	// aggregate's own tag.
	Partitions int
	// Keep is how many snapshots to keep per aggregate, the highest
	// versions (0: all).
	Keep int

	PoolSize     int
	DialTimeout  time.Duration // default 5s
	ReadTimeout  time.Duration // default 3s
	WriteTimeout time.Duration // default 3s

	// Logger receives the store's logs (nil: discard).
	Logger *slog.Logger
}

// ErrConfig is returned by New for a Config that cannot work.
var ErrConfig = errors.New("invalid redis snapshot store config")

// Validate applies the defaults and reports the first setting that cannot
// work.
func (c *Config) Validate() error {
	if c.KeyPrefix == "" {
		c.KeyPrefix = "factum:"
	}
	redisconn.DefaultTimeouts(&c.DialTimeout, &c.ReadTimeout, &c.WriteTimeout)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("redis snapshot store: "+format+": %w", append(args, ErrConfig)...)
	}
	n := 0
	for _, set := range []bool{c.Client != nil, c.URL != "", len(c.Addrs) > 0} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
		return bad("set exactly one of Client, URL and Addrs (%d set)", n)
	case strings.ContainsAny(c.KeyPrefix, "{}"):
		return bad("KeyPrefix %q contains a brace; the store adds its own hash tags", c.KeyPrefix)
	case c.Partitions < 0:
		return bad("Partitions = %d, want 0 or the journal's P", c.Partitions)
	case c.Keep < 0:
		return bad("Keep = %d, want 0 (all) or more", c.Keep)
	}
	if c.Client == nil {
		if err := c.conn().Check(); err != nil {
			return bad("%v", err)
		}
	}
	return nil
}

// conn is the connection part of the settings.
func (c *Config) conn() redisconn.Config {
	return redisconn.Config{URL: c.URL, Cluster: c.Cluster, Addrs: c.Addrs, Username: c.Username, Password: c.Password,
		TLS: c.TLS, PoolSize: c.PoolSize, DialTimeout: c.DialTimeout, ReadTimeout: c.ReadTimeout, WriteTimeout: c.WriteTimeout}
}
