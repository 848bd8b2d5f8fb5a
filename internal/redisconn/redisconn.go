// Package redisconn turns factum's Redis connection settings (a redis://,
// rediss:// or unix:// URL, or a cluster seed list, with credentials, TLS,
// pool size and timeouts) into a go-redis client. The Redis journal, the
// Redis snapshot store and the node share it, so a URL means the same
// thing to all of them.
package redisconn

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Config is how to reach Redis.
type Config struct {
	// URL is redis://[user:password@]host:port[/db], rediss://... (TLS) or
	// unix:///path/to/socket[?db=N]. With Cluster it names one cluster
	// node; more seeds can be given as ?addr=host:port.
	URL     string
	Cluster bool
	// Addrs is a Redis Cluster seed list (host:port each), instead of URL.
	Addrs    []string
	Username string
	Password string
	// TLS, when not nil, turns TLS on (rediss:// turns it on by itself).
	TLS *tls.Config

	// PoolSize is the number of connections per Redis node: when 0, the
	// URL's pool_size, else the go-redis default (10 per GOMAXPROCS).
	PoolSize     int
	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// NoRetry stops go-redis from resending a command whose reply was
	// lost: a write resent that way can land twice.
	NoRetry bool
}

// DefaultTimeouts fills in the timeouts left at zero: dial 5 s, read and
// write 3 s each. Every Redis store of factum uses these defaults.
func DefaultTimeouts(dial, read, write *time.Duration) {
	for _, d := range []struct {
		t   *time.Duration
		def time.Duration
	}{{dial, 5 * time.Second}, {read, 3 * time.Second}, {write, 3 * time.Second}} {
		if *d.t == 0 {
			*d.t = d.def
		}
	}
}

// Check reports the first connection setting that cannot work, in words
// that name it. It does not connect.
func (c Config) Check() error {
	switch {
	case c.URL == "" && len(c.Addrs) == 0:
		return errors.New("neither URL nor Addrs is set")
	case c.URL != "" && len(c.Addrs) > 0:
		return errors.New("both URL and Addrs are set; give one")
	case c.PoolSize < 0:
		return fmt.Errorf("PoolSize = %d, want 0 (default) or more", c.PoolSize)
	case c.DialTimeout < 0 || c.ReadTimeout < 0 || c.WriteTimeout < 0:
		return fmt.Errorf("negative timeout (DialTimeout %v, ReadTimeout %v, WriteTimeout %v)", c.DialTimeout, c.ReadTimeout, c.WriteTimeout)
	}
	for _, a := range c.Addrs {
		if !strings.Contains(a, ":") {
			return fmt.Errorf("Addrs entry %q is not host:port", a)
		}
	}
	if c.URL == "" {
		return nil
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return fmt.Errorf("URL: %v", err)
	}
	switch u.Scheme {
	case "redis", "rediss":
	case "unix":
		if c.Cluster {
			return fmt.Errorf("URL %q: a cluster is reached over TCP, not a unix socket", Redact(c.URL))
		}
	default:
		return fmt.Errorf("URL %q: scheme %q, want redis, rediss or unix", Redact(c.URL), u.Scheme)
	}
	// Building a client is the one way to have the URL parsed exactly as
	// Open will; the client runs a goroutine until closed.
	client, err := c.Open()
	if err != nil {
		return fmt.Errorf("URL %q: %v", Redact(c.URL), err)
	}
	_ = client.Close()
	return nil
}

// Open returns a client for the settings: a *goredis.ClusterClient when
// Cluster or Addrs is set, a *goredis.Client otherwise. It does not
// connect; the first command does.
func (c Config) Open() (goredis.UniversalClient, error) {
	if c.Cluster || len(c.Addrs) > 0 {
		o := &goredis.ClusterOptions{Addrs: c.Addrs}
		if c.URL != "" {
			var err error
			if o, err = goredis.ParseClusterURL(c.URL); err != nil {
				return nil, err
			}
		}
		o.Username, o.Password, o.TLSConfig = pick(o.Username, c.Username), pick(o.Password, c.Password), pickTLS(o.TLSConfig, c.TLS)
		o.PoolSize = pickInt(o.PoolSize, c.PoolSize)
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = c.DialTimeout, c.ReadTimeout, c.WriteTimeout
		o.ContextTimeoutEnabled = true
		if c.NoRetry {
			o.MaxRetries = -1
		}
		return goredis.NewClusterClient(o), nil
	}
	o, err := goredis.ParseURL(c.URL)
	if err != nil {
		return nil, err
	}
	o.Username, o.Password, o.TLSConfig = pick(o.Username, c.Username), pick(o.Password, c.Password), pickTLS(o.TLSConfig, c.TLS)
	o.PoolSize = pickInt(o.PoolSize, c.PoolSize)
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout = c.DialTimeout, c.ReadTimeout, c.WriteTimeout
	o.ContextTimeoutEnabled = true
	if c.NoRetry {
		o.MaxRetries = -1
	}
	return goredis.NewClient(o), nil
}

// pick returns the explicit setting when there is one, else the URL's.
func pick(fromURL, explicit string) string {
	if explicit != "" {
		return explicit
	}
	return fromURL
}

func pickInt(fromURL, explicit int) int {
	if explicit != 0 {
		return explicit
	}
	return fromURL
}

func pickTLS(fromURL, explicit *tls.Config) *tls.Config {
	if explicit != nil {
		return explicit
	}
	return fromURL
}

// Redact hides the password of a URL, for error messages.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
