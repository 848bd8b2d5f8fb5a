package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"

	"github.com/factum-dev/factum/internal/redisconn"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/server"
	"github.com/factum-dev/factum/storage/pipeline"
)

// benchConfig is what `node bench` was asked to do.
type benchConfig struct {
	store       server.Flags
	aggregates  int
	concurrency int
	duration    time.Duration
	commands    int64
	payload     int
	rate        float64
	yield       int
	warmup      time.Duration
	out         string
	quiet       bool
	targets     string
	spread      bool
	http        bool
	baseline    bool
	noop        bool
	protobuf    bool
	batch       int
	keep        bool
	keyPrefix   string
	timeout     time.Duration
	cpuProfile  string
	memProfile  string
	mutexProf   string
	blockProf   string
	trace       string
}

func (c *benchConfig) register(fs *flag.FlagSet) {
	c.store.RegisterStore(fs)
	fs.IntVar(&c.aggregates, "aggregates", 10000, "number of aggregates [FACTUM_AGGREGATES]")
	fs.IntVar(&c.concurrency, "concurrency", 1000, "requests in flight at once (workers, each with its own aggregates and, over HTTP, its own kept connection) [FACTUM_CONCURRENCY]")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long to run, unless --commands is set [FACTUM_DURATION]")
	fs.Int64Var(&c.commands, "commands", 0, "run this many commands instead of for --duration [FACTUM_COMMANDS]")
	fs.IntVar(&c.payload, "payload", 100, "payload bytes per event [FACTUM_PAYLOAD]")
	fs.Float64Var(&c.rate, "rate", 0, "open loop: offer this many commands/s, latency counted from when each was due (0: closed loop) [FACTUM_RATE]")
	fs.DurationVar(&c.warmup, "warmup", 0, "leave the commands started (open loop: due) in this first part of the run out of the latencies and commands/s, which then describe the steady state after the activations and the heap's growth; the first commands are reported whenever they ran [FACTUM_WARMUP]")
	fs.IntVar(&c.yield, "yield", 16, "in process, closed loop: a worker yields the processor after this many commands, as a client on a network waits for its socket (1: the fairest tail, each command's wait for a processor bounded by one round of the workers; more: more commands/s; 0: never) [FACTUM_YIELD]")
	fs.StringVar(&c.out, "out", "", "write the JSON result to this file (default: none) [FACTUM_OUT]")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress bar (there is none unless stderr is a terminal) [FACTUM_QUIET]")
	fs.StringVar(&c.targets, "target", "", "drive running nodes over HTTP: URL[,URL...] (http://host:port), requests spread over them [FACTUM_TARGET]")
	fs.BoolVar(&c.spread, "spread", false, "with --target on a cluster: spread the requests over the targets instead of sending each command to its partition's owner (GET /v1/cluster) [FACTUM_SPREAD]")
	fs.BoolVar(&c.http, "http", false, "serve this process's node on loopback and drive it over HTTP [FACTUM_HTTP]")
	fs.BoolVar(&c.baseline, "baseline", false, "drive a bare net/http JSON handler on loopback instead of a node: the yardstick [FACTUM_BASELINE]")
	fs.BoolVar(&c.noop, "noop", false, "drive no node at all: each command is answered at once, so the run measures the load generator's own latency and CPU (its floor) [FACTUM_NOOP]")
	fs.BoolVar(&c.protobuf, "protobuf", false, "over HTTP, send protobuf bodies (CommandEnvelope) instead of JSON [FACTUM_PROTOBUF]")
	fs.IntVar(&c.batch, "batch", 0, "over HTTP, send this many commands per request on the batch route POST /v1/commands [FACTUM_BATCH]")
	fs.BoolVar(&c.keep, "keep", false, "keep the Redis keys the run wrote (default: delete them) [FACTUM_KEEP]")
	fs.StringVar(&c.keyPrefix, "key-prefix", "", "Redis key prefix of the run (default: factum:bench:<random>:) [FACTUM_KEY_PREFIX]")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the run (this process: the node, unless --target) to this file [FACTUM_CPUPROFILE]")
	fs.StringVar(&c.memProfile, "memprofile", "", "write an allocation profile of the run to this file [FACTUM_MEMPROFILE]")
	fs.StringVar(&c.mutexProf, "mutexprofile", "", "write a mutex contention profile of the run to this file [FACTUM_MUTEXPROFILE]")
	fs.StringVar(&c.blockProf, "blockprofile", "", "write a blocking profile of the run (waits over 10 µs) to this file [FACTUM_BLOCKPROFILE]")
	fs.StringVar(&c.trace, "trace", "", "write an execution trace of the run (go tool trace) to this file [FACTUM_TRACE]")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "over HTTP, how long a request may take [FACTUM_TIMEOUT]")
}

func (c *benchConfig) check() error {
	modes := 0
	for _, on := range []bool{c.targets != "", c.http, c.baseline} {
		if on {
			modes++
		}
	}
	overHTTP := modes == 1
	if c.noop {
		modes++
	}
	switch {
	case c.aggregates < 1:
		return fmt.Errorf("--aggregates %d: want at least 1: %w", c.aggregates, server.ErrUsage)
	case c.concurrency < 1 || c.concurrency > c.aggregates:
		return fmt.Errorf("--concurrency %d: want 1 to --aggregates (%d): %w", c.concurrency, c.aggregates, server.ErrUsage)
	case c.commands < 0, c.commands == 0 && c.duration <= 0:
		return fmt.Errorf("want --commands > 0 or a positive --duration: %w", server.ErrUsage)
	case c.payload < 0:
		return fmt.Errorf("--payload %d: want 0 or more: %w", c.payload, server.ErrUsage)
	case c.rate < 0:
		return fmt.Errorf("--rate %v: want 0 (closed loop) or more: %w", c.rate, server.ErrUsage)
	case c.warmup < 0:
		return fmt.Errorf("--warmup %v: want 0 or more: %w", c.warmup, server.ErrUsage)
	case c.warmup > 0 && c.commands == 0 && c.warmup >= c.duration:
		return fmt.Errorf("--warmup %v: want less than --duration (%v): %w", c.warmup, c.duration, server.ErrUsage)
	case c.yield < 0:
		return fmt.Errorf("--yield %d: want 0 (never) or more: %w", c.yield, server.ErrUsage)
	case modes > 1:
		return fmt.Errorf("--target, --http, --baseline and --noop: choose one: %w", server.ErrUsage)
	case (c.protobuf || c.batch != 0) && !overHTTP:
		return fmt.Errorf("--protobuf and --batch need HTTP: add --http or --target: %w", server.ErrUsage)
	case (c.protobuf || c.batch != 0) && c.baseline:
		return fmt.Errorf("--baseline serves single JSON commands only: drop --protobuf and --batch: %w", server.ErrUsage)
	case c.batch < 0:
		return fmt.Errorf("--batch %d: want 0 (one command per request) or more: %w", c.batch, server.ErrUsage)
	case c.batch > 0 && c.aggregates/c.concurrency < c.batch:
		return fmt.Errorf("--batch %d: each of the %d workers needs at least that many aggregates of its own (it has %d): raise --aggregates: %w",
			c.batch, c.concurrency, c.aggregates/c.concurrency, server.ErrUsage)
	case c.timeout <= 0:
		return fmt.Errorf("--timeout %v: want a positive duration: %w", c.timeout, server.ErrUsage)
	case strings.ContainsAny(c.keyPrefix, "{}"):
		return fmt.Errorf("--key-prefix %q: no braces: %w", c.keyPrefix, server.ErrUsage)
	}
	return nil
}

func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("node bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c benchConfig
	c.register(fs)
	if err := server.ParseFlags(fs, args, getenv); err != nil {
		return err
	}
	if err := c.store.Check(stderr); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return err
	}
	storage, err := pipeline.FromEnv(getenv)
	if err != nil {
		return fmt.Errorf("%v: %w", err, server.ErrUsage)
	}
	version, commit := buildInfo()
	rec := benchRecord{Mode: "in-process", Journal: "memory", Partitions: c.store.Config.Partitions, Pipeline: storage.String(),
		Aggregates: c.aggregates, Concurrency: c.concurrency, Rate: c.rate, Loop: "closed", Payload: c.payload,
		Yield: c.yield, WarmupSeconds: c.warmup.Seconds(),
		Batch: c.batch, Protobuf: c.protobuf, SnapshotEvery: c.store.SnapshotEvery(), Factum: version, Commit: commit,
		GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(),
		Started: time.Now().UTC().Format(time.RFC3339)}
	if c.rate > 0 {
		rec.Loop = "open"
	}
	if c.store.Config.RedisURL != "" {
		rec.Journal = "redis"
	}
	var res *benchResult
	switch {
	case c.targets != "":
		rec.Mode, rec.Journal, rec.Partitions, rec.Pipeline, rec.SnapshotEvery = "target", "the target's", 0, "the target's", 0
		res, err = benchTargets(ctx, &c, rec, stderr)
	case c.baseline:
		rec.Mode, rec.Journal, rec.Partitions, rec.Pipeline, rec.SnapshotEvery = "baseline", "none", 0, "none", 0
		res, err = benchBaseline(ctx, &c, rec, stderr)
	case c.noop:
		rec.Mode, rec.Journal, rec.Partitions, rec.Pipeline, rec.SnapshotEvery = "noop", "none", 0, "none", 0
		res, err = benchNoop(ctx, &c, rec, stderr)
	default:
		if c.http {
			rec.Mode = "http"
		}
		res, err = benchNode(ctx, &c, rec, storage, stderr)
	}
	if err != nil {
		return err
	}
	printResult(stdout, res)
	if c.out != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(c.out, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write result: %w", err)
		}
		fmt.Fprintf(stdout, "result written to %s\n", c.out)
	}
	if !res.Verified && res.Config.Mode != "baseline" && res.Config.Mode != "noop" {
		return fmt.Errorf("verification failed: %s", res.VerifyError)
	}
	return nil
}

// newResult fills the result from what the load measured.
func newResult(rec benchRecord, l *load) *benchResult {
	res := &benchResult{Config: rec, Seconds: l.elapsed.Seconds(), Commands: l.hist.TotalCount(),
		LatencyMS: latencies(l.hist), FirstLatencyMS: latencies(l.first), FirstError: l.firstErr, Host: l.host}
	for code, n := range l.errors {
		res.Errors += n
		if res.ErrorsByCode == nil {
			res.ErrorsByCode = map[string]int64{}
		}
		res.ErrorsByCode[code] = n
	}
	res.CommandsPerS = float64(res.Commands) / l.elapsed.Seconds()
	res.ran = res.Commands
	if rec.WarmupSeconds > 0 {
		res.ran = l.ran
	}
	if res.Host != nil && res.ran > 0 {
		res.Host.CPUMicrosPerCommand = res.Host.CPUSeconds * 1e6 / float64(res.ran)
	}
	res.EventsPerS = res.CommandsPerS // one event per command
	return res
}

// httpSenders makes one sender with its own connection per worker,
// spread over the targets.
func httpSenders(c *benchConfig, addrs []string) []sender {
	payload, _ := json.Marshal(PutFirst{Data: strings.Repeat("x", c.payload)})
	out := make([]sender, c.concurrency)
	for w := range out {
		out[w] = &httpSender{conn: newHTTPConn(addrs[w%len(addrs)], c.timeout), protobuf: c.protobuf, batch: c.batch > 0, payload: payload}
	}
	return out
}

// ownerSenders makes one owner-aware sender per worker, with a kept
// connection to each node it sends to.
func ownerSenders(c *benchConfig, o *owners) []sender {
	payload, _ := json.Marshal(PutFirst{Data: strings.Repeat("x", c.payload)})
	mk := func(addr string) *httpSender {
		return &httpSender{conn: newHTTPConn(addr, c.timeout), protobuf: c.protobuf, batch: c.batch > 0, payload: payload}
	}
	out := make([]sender, c.concurrency)
	for w := range out {
		out[w] = &ownerSender{o: o, mk: mk, conns: map[string]*httpSender{}, rr: w, batch: c.batch > 0, group: map[string][]int{}}
	}
	return out
}

func closeSenders(ss []sender) {
	for _, s := range ss {
		s.close()
	}
}

// benchTargets drives running nodes.
func benchTargets(ctx context.Context, c *benchConfig, rec benchRecord, stderr io.Writer) (*benchResult, error) {
	var urls, addrs []string
	for _, raw := range strings.Split(c.targets, ",") {
		addr, err := parseTarget(strings.TrimSpace(raw))
		if err != nil {
			return nil, fmt.Errorf("%v: %w", err, server.ErrUsage)
		}
		urls, addrs = append(urls, "http://"+addr), append(addrs, addr)
	}
	rec.Targets = urls
	var senders []sender
	if !c.spread {
		// On a cluster, each command goes to its partition's owner.
		o, err := readOwners(ctx, addrs, c.timeout)
		if err != nil {
			return nil, err
		}
		if o != nil {
			defer o.client.CloseIdleConnections()
			rec.Mode = "target-owners"
			senders = ownerSenders(c, o)
			fmt.Fprintf(stderr, "the targets are a cluster of %d partitions: each command goes to its partition's owner (--spread: over the targets)\n", len(*o.table.Load()))
		}
	}
	if senders == nil {
		senders = httpSenders(c, addrs)
	}
	defer closeSenders(senders)
	l, err := drive(ctx, c, senders, stderr)
	if err != nil {
		return nil, err
	}
	res := newResult(rec, l)
	fmt.Fprintf(stderr, "verifying %d aggregates over HTTP...\n", len(l.acked))
	if err := verifyHTTP(ctx, urls, l.acked); err != nil {
		res.VerifyError = err.Error()
	} else {
		res.Verified = true
	}
	return res, nil
}

// benchBaseline drives the baseline handler on loopback.
func benchBaseline(ctx context.Context, c *benchConfig, rec benchRecord, stderr io.Writer) (*benchResult, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- serveBaseline(sctx, ln) }()
	rec.Targets = []string{"http://" + ln.Addr().String()}
	senders := httpSenders(c, []string{ln.Addr().String()})
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	l, err := drive(ctx, c, senders, stderr)
	closeSenders(senders)
	stop()
	err = errors.Join(err, <-served)
	if err != nil {
		return nil, err
	}
	res := newResult(rec, l)
	res.GC = readGC(&before, res.ran)
	return res, nil
}

// benchNoop drives senders that answer every command at once: the load
// generator alone, with its workers, timers, histograms and yields.
func benchNoop(ctx context.Context, c *benchConfig, rec benchRecord, stderr io.Writer) (*benchResult, error) {
	senders := make([]sender, c.concurrency)
	for i := range senders {
		senders[i] = &noopSender{versions: map[uuid.UUID]uint64{}}
	}
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	l, err := drive(ctx, c, senders, stderr)
	if err != nil {
		return nil, err
	}
	res := newResult(rec, l)
	res.GC = readGC(&before, res.ran)
	return res, nil
}

// benchNode drives a node in this process, through Dispatch or over
// loopback HTTP.
func benchNode(ctx context.Context, c *benchConfig, rec benchRecord, storage pipeline.Config, stderr io.Writer) (*benchResult, error) {
	cfg := c.store.Config
	cfg.Storage = storage
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	prefix := c.keyPrefix
	if cfg.RedisURL != "" {
		if prefix == "" {
			var b [4]byte
			_, _ = rand.Read(b[:])
			prefix = "factum:bench:" + hex.EncodeToString(b[:]) + ":"
		}
		cfg.RedisKeyPrefix = prefix
	}
	h, err := server.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	if err := registerBench(h); err != nil {
		return nil, err
	}
	var senders []sender
	serveDone := func() error { return nil }
	if c.http {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		sctx, stop := context.WithCancel(ctx)
		served := make(chan error, 1)
		go func() { served <- h.Serve(sctx, ln) }()
		serveDone = func() error { stop(); return <-served }
		rec.Targets = []string{"http://" + ln.Addr().String()}
		senders = httpSenders(c, []string{ln.Addr().String()})
	} else {
		if err := h.Start(ctx); err != nil {
			return nil, err
		}
		payload := strings.Repeat("x", c.payload)
		senders = make([]sender, c.concurrency)
		for w := range senders {
			senders[w] = &inProcess{sys: h, payload: payload}
		}
	}
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	l, err := drive(ctx, c, senders, stderr)
	closeSenders(senders)
	if err != nil {
		return nil, errors.Join(err, serveDone())
	}
	res := newResult(rec, l)
	res.GC = readGC(&before, res.ran)
	fmt.Fprintf(stderr, "verifying the journal...\n")
	if verr := verify(ctx, h.Journal(), l.acked); verr != nil {
		res.VerifyError = verr.Error()
	} else {
		res.Verified = true
	}
	if err := errors.Join(serveDone(), h.Close()); err != nil {
		return nil, err
	}
	if cfg.RedisURL != "" {
		switch {
		case c.keep:
			res.Cleanup = fmt.Sprintf("kept the run's Redis keys (prefix %s)", prefix)
		default:
			n, err := deleteKeys(ctx, cfg.RedisURL, cfg.RedisCluster, prefix)
			if err != nil {
				return nil, fmt.Errorf("delete the run's Redis keys (prefix %s): %w", prefix, err)
			}
			res.Cleanup = fmt.Sprintf("deleted the run's %d Redis keys (prefix %s; --keep keeps them)", n, prefix)
		}
	}
	return res, nil
}

// deleteKeys deletes every key that starts with prefix, on every master.
func deleteKeys(ctx context.Context, url string, cluster bool, prefix string) (int, error) {
	client, err := redisconn.Config{URL: url, Cluster: cluster}.Open()
	if err != nil {
		return 0, err
	}
	defer client.Close()
	pattern := globEscape(prefix) + "*"
	var total int
	del := func(ctx context.Context, c goredis.UniversalClient) error {
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, pattern, 1000).Result()
			if err != nil {
				return err
			}
			for _, k := range keys { // one by one: in a cluster they are in many slots
				if err := c.Unlink(ctx, k).Err(); err != nil {
					return err
				}
				total++
			}
			if cursor = next; cursor == 0 {
				return nil
			}
		}
	}
	if cc, ok := client.(*goredis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error { return del(ctx, c) })
	} else {
		err = del(ctx, client)
	}
	return total, err
}

func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// verify checks that every acknowledged event is in the journal and every
// aggregate's versions run 1, 2, 3, ... without a gap, and that the log's
// positions are contiguous.
func verify(ctx context.Context, j journal.Journal, acked map[uuid.UUID]uint64) error {
	var inStreams uint64
	for id, v := range acked {
		recs, err := j.Read(ctx, id, 1, 0)
		if err != nil {
			return fmt.Errorf("read aggregate %s: %w", id, err)
		}
		for i, r := range recs {
			if r.Version != uint64(i+1) {
				return fmt.Errorf("aggregate %s: version %d at index %d: versions are not contiguous", id, r.Version, i)
			}
		}
		if uint64(len(recs)) < v {
			return fmt.Errorf("aggregate %s: %d events acknowledged, %d in the journal", id, v, len(recs))
		}
		inStreams += uint64(len(recs))
	}
	var inLog uint64
	for p := range j.Partitions() {
		next := uint64(1)
		for {
			ns, err := j.Select(ctx, p, next, 10000)
			if err != nil {
				return fmt.Errorf("select partition %d from %d: %w", p, next, err)
			}
			if len(ns) == 0 {
				break
			}
			for _, n := range ns {
				if n.Position != next {
					return fmt.Errorf("partition %d: position %d follows %d", p, n.Position, next-1)
				}
				next++
			}
		}
		inLog += next - 1
	}
	if inLog != inStreams {
		return fmt.Errorf("the log holds %d events, the aggregates' streams %d", inLog, inStreams)
	}
	return nil
}
