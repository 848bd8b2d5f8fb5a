package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// storeFlags are the flags that choose and shape the journal, shared by
// run and bench.
type storeFlags struct {
	redisURL      string
	redisCluster  bool
	partitions    int
	snapshotEvery int
	passivate     time.Duration
	logLevel      string
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.redisURL, "redis", "", "Redis URL of the journal and snapshot store (redis://, rediss://, unix://); empty: in memory [FACTUM_REDIS_URL]")
	fs.BoolVar(&s.redisCluster, "redis-cluster", false, "the Redis URL names a Redis Cluster node [FACTUM_REDIS_CLUSTER]")
	fs.IntVar(&s.partitions, "partitions", 1, "partitions of the global log, fixed when the journal is created [FACTUM_PARTITIONS]")
	fs.IntVar(&s.snapshotEvery, "snapshot-every", 100, "snapshot an aggregate every N events (0: never) [FACTUM_SNAPSHOT_EVERY]")
	fs.DurationVar(&s.passivate, "passivate-after", 2*time.Minute, "stop an aggregate's actor after this long idle [FACTUM_PASSIVATE_AFTER]")
	fs.StringVar(&s.logLevel, "log-level", "info", "debug, info, warn or error [FACTUM_LOG_LEVEL]")
}

func (s *storeFlags) validate() error {
	if s.partitions < 1 {
		return fmt.Errorf("--partitions %d: want at least 1: %w", s.partitions, errUsage)
	}
	if s.snapshotEvery < 0 {
		return fmt.Errorf("--snapshot-every %d: want 0 (never) or more: %w", s.snapshotEvery, errUsage)
	}
	if s.passivate <= 0 {
		return fmt.Errorf("--passivate-after %v: want a positive duration: %w", s.passivate, errUsage)
	}
	if s.redisURL != "" && !strings.Contains(s.redisURL, "://") {
		return fmt.Errorf("--redis %q: want a URL such as redis://localhost:6379/0: %w", s.redisURL, errUsage)
	}
	if _, err := parseLevel(s.logLevel); err != nil {
		return err
	}
	return nil
}

// envNames maps flags whose FACTUM_ variable is not simply the flag's name.
var envNames = map[string]string{"redis": "FACTUM_REDIS_URL"}

// parseFlags parses args into fs, after setting every flag that was not
// given from its FACTUM_* variable.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return fmt.Errorf("%v: %w", err, errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: %w", fs.Arg(0), errUsage)
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		name, ok := envNames[f.Name]
		if !ok {
			name = "FACTUM_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		}
		if v := getenv(name); v != "" {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %v: %w", name, v, e, errUsage)
			}
		}
	})
	return err
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level %q: want debug, info, warn or error: %w", s, errUsage)
	}
	return l, nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	l, _ := parseLevel(level)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
