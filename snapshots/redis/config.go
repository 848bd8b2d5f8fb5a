package redis

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
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
	if c.DialTimeout == 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 3 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 3 * time.Second
	}
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
	case c.PoolSize < 0:
		return bad("PoolSize = %d, want 0 (default) or more", c.PoolSize)
	case c.DialTimeout < 0 || c.ReadTimeout < 0 || c.WriteTimeout < 0:
		return bad("negative timeout (DialTimeout %v, ReadTimeout %v, WriteTimeout %v)", c.DialTimeout, c.ReadTimeout, c.WriteTimeout)
	}
	if c.URL != "" {
		if _, err := c.newClient(); err != nil {
			return bad("URL %q: %v", redact(c.URL), err)
		}
	}
	return nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// newClient parses the settings into a client constructor; it does not
// connect.
func (c *Config) newClient() (func() goredis.UniversalClient, error) {
	if c.Cluster || len(c.Addrs) > 0 {
		o := &goredis.ClusterOptions{Addrs: c.Addrs}
		if c.URL != "" {
			var err error
			if o, err = goredis.ParseClusterURL(c.URL); err != nil {
				return nil, err
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
		o.ContextTimeoutEnabled = true
		return func() goredis.UniversalClient { return goredis.NewClusterClient(o) }, nil
	}
	o, err := goredis.ParseURL(c.URL)
	if err != nil {
		return nil, err
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
	o.ContextTimeoutEnabled = true
	return func() goredis.UniversalClient { return goredis.NewClient(o) }, nil
}
