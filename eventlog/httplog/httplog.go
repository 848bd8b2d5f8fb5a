package httplog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/eventlog"
	"github.com/factum-dev/factum/journal"
)

// ErrRemote is returned when the node answers with an error or with a
// body that is not a log section.
var ErrRemote = errors.New("remote notification log failed")

// Config configures a Log.
type Config struct {
	// URL is the node's base URL, such as http://127.0.0.1:8080. Required.
	URL string
	// Registry decodes the events. Required.
	Registry *domain.Registry
	// Client makes the requests (default: a client without a timeout;
	// every request is bounded by its context and WaitTimeout).
	Client *http.Client
	// WaitTimeout is the longest long poll of one Wait request (default
	// 5 s).
	WaitTimeout time.Duration
}

// Log is another node's notification log.
type Log struct {
	cfg        Config
	base       string
	partitions int
}

// New returns the log at cfg.URL; it asks the node for its partitions.
func New(ctx context.Context, cfg Config) (*Log, error) {
	switch {
	case cfg.URL == "":
		return nil, errors.New("httplog: Config.URL is empty")
	case cfg.Registry == nil:
		return nil, errors.New("httplog: Config.Registry is nil")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.WaitTimeout <= 0 {
		cfg.WaitTimeout = 5 * time.Second
	}
	l := &Log{cfg: cfg, base: strings.TrimRight(cfg.URL, "/")}
	sec, err := l.get(ctx, 0, 1, 1, 0)
	if err != nil {
		return nil, err
	}
	l.partitions = sec.Partitions
	if l.partitions < 1 {
		return nil, fmt.Errorf("httplog: %s: the node says the log has %d partitions: %w", l.base, l.partitions, ErrRemote)
	}
	return l, nil
}

func (l *Log) get(ctx context.Context, partition int, start uint64, limit int, wait time.Duration) (*eventlog.Page, error) {
	q := url.Values{}
	q.Set("partition", strconv.Itoa(partition))
	q.Set("start", strconv.FormatUint(max(start, 1), 10))
	q.Set("limit", strconv.Itoa(limit))
	if wait > 0 {
		q.Set("wait", wait.String())
	}
	u := l.base + "/v1/log?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("httplog: %s: %w", u, err)
	}
	resp, err := l.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("httplog: GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("httplog: GET %s: reading the body: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("httplog: GET %s: %s: %s: %w", u, resp.Status, strings.TrimSpace(string(body)), ErrRemote)
	}
	var s eventlog.Page
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, fmt.Errorf("httplog: GET %s: %v: %w", u, err, ErrRemote)
	}
	return &s, nil
}

// Partitions implements eventlog.Log.
func (l *Log) Partitions() int { return l.partitions }

// Select implements eventlog.Log.
func (l *Log) Select(ctx context.Context, partition int, start uint64, limit int) ([]journal.Notification, error) {
	s, err := l.get(ctx, partition, start, min(limit, 1000), 0)
	if err != nil {
		return nil, err
	}
	out := make([]journal.Notification, len(s.Notifications))
	for i, n := range s.Notifications {
		out[i] = n.Notification()
	}
	return out, nil
}

// Head implements eventlog.Log.
func (l *Log) Head(ctx context.Context, partition int) (uint64, error) {
	s, err := l.get(ctx, partition, 1, 1, 0)
	if err != nil {
		return 0, err
	}
	return s.Head, nil
}

// Wait implements eventlog.Log: one long poll of at most WaitTimeout.
func (l *Log) Wait(ctx context.Context, partition int, after uint64) (uint64, error) {
	s, err := l.get(ctx, partition, after+1, 1, l.cfg.WaitTimeout)
	if err != nil {
		return 0, err
	}
	return s.Head, nil
}

// Decode implements eventlog.Log with the local registry.
// A notification the page marked unreadable gives journal.ErrShredded or
// journal.ErrCorrupt (see eventlog.Unreadable).
func (l *Log) Decode(ctx context.Context, r journal.Record) (domain.Envelope, error) {
	if err := eventlog.Unreadable(r); err != nil {
		return domain.Envelope{}, fmt.Errorf("httplog: %w", err)
	}
	v, err := l.cfg.Registry.Decode(domain.Encoded{Type: r.Type, SchemaVersion: r.SchemaVersion, Data: r.Data})
	if err != nil {
		return domain.Envelope{}, fmt.Errorf("httplog: aggregate %s version %d: %w", r.AggregateID, r.Version, err)
	}
	return domain.Envelope{AggregateID: r.AggregateID, Version: r.Version, Time: r.Time, Type: r.Type, Data: v, Meta: r.Meta}, nil
}
