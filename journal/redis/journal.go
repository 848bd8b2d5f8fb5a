package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"

	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/internal/storedevent"
)

// Journal is a journal.Journal on Redis or Redis Cluster.
type Journal struct {
	cfg    Config
	client goredis.UniversalClient
	// tail serves Wait's XREAD BLOCK only: a waiter holds its connection
	// for up to maxBlock, and one waiter per partition (plus long polls)
	// would otherwise take the connections that reads need.
	tail    goredis.UniversalClient
	single  *goredis.Client        // standalone, or nil
	cluster *goredis.ClusterClient // cluster, or nil
	keys    keys
	appendS script
	fencedS script
	multiS  script
	readS   script
	afterS  script
	leaseS  leaseScripts
	com     *committer
	rd      *readers

	mu     sync.RWMutex // guards closed
	closed bool
}

var _ journal.Journal = (*Journal)(nil)

// New connects to Redis, records the number of partitions on first use (or
// checks it against the recorded one), loads the scripts, and starts the
// group-commit senders.
func New(ctx context.Context, cfg Config) (*Journal, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	client, err := cfg.conn().Open()
	if err != nil {
		return nil, fmt.Errorf("redis journal: %w: %v", ErrConfig, err)
	}
	j := &Journal{cfg: cfg, keys: newKeys(cfg.KeyPrefix, cfg.Partitions),
		appendS: newScript(appendScript), fencedS: newScript(fencedAppendScript), multiS: newScript(multiAppendScript), readS: newScript(readScript),
		afterS: newScript(readAfterScript), leaseS: newLeaseScripts(), client: client}
	switch c := client.(type) {
	case *goredis.ClusterClient:
		j.cluster = c
	case *goredis.Client:
		j.single = c
	}
	if err := j.open(ctx); err != nil {
		_ = j.client.Close()
		return nil, err
	}
	if j.tail, err = cfg.conn().Open(); err != nil {
		_ = j.client.Close()
		return nil, fmt.Errorf("redis journal: %w: %v", ErrConfig, err)
	}
	j.com = newCommitter(j)
	j.rd = newReaders(j)
	return j, nil
}

// open records P in Redis, or checks it, and loads the scripts.
func (j *Journal) open(ctx context.Context) error {
	meta := j.keys.meta()
	want := strconv.Itoa(j.cfg.Partitions)
	if err := j.client.HSetNX(ctx, meta, "partitions", want).Err(); err != nil {
		return fmt.Errorf("redis journal: open: %w: %w", journal.ErrUnavailable, err)
	}
	got, err := j.client.HGet(ctx, meta, "partitions").Result()
	if err != nil {
		return fmt.Errorf("redis journal: open: %w: %w", journal.ErrUnavailable, err)
	}
	if got != want {
		return fmt.Errorf("redis journal: open with Partitions = %s, but the journal under key prefix %q was created with %s: %w",
			want, j.cfg.KeyPrefix, got, ErrPartitionsMismatch)
	}
	load := func(ctx context.Context, c *goredis.Client) error {
		for _, s := range []script{j.appendS, j.fencedS, j.multiS, j.readS, j.afterS, j.leaseS.acquire, j.leaseS.renew, j.leaseS.release} {
			if err := s.Load(ctx, c).Err(); err != nil {
				return err
			}
		}
		return nil
	}
	if j.cluster != nil {
		err = j.cluster.ForEachMaster(ctx, load)
	} else {
		err = load(ctx, j.single)
	}
	if err != nil {
		return fmt.Errorf("redis journal: load scripts: %w: %w", journal.ErrUnavailable, err)
	}
	return nil
}

func (j *Journal) checkOpen() error {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		return journal.ErrClosed
	}
	return nil
}

// Append implements journal.Journal. The append goes to Redis with others
// (group commit) but is checked and answered on its own.
func (j *Journal) Append(ctx context.Context, id uuid.UUID, expected uint64, records []journal.Record) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := journal.CheckAppend(id, expected, records); err != nil {
		return 0, err
	}
	if err := j.checkOpen(); err != nil {
		return 0, err
	}
	part := journal.PartitionOf(id, j.cfg.Partitions)
	var token string
	if j.cfg.Fence != nil {
		if token = j.cfg.Fence.Token(part); token == "" {
			return 0, fmt.Errorf("redis journal: append to aggregate %s at version %d: this node holds no lease on partition %d: %w",
				id, expected, part, journal.ErrFenced)
		}
	}
	r := &request{part: part, id: id, key: j.keys.aggregate(part, id), token: token, expected: expected,
		payloads: make([][]byte, len(records)), done: make(chan result, 1)}
	for i := range records {
		b, err := storedevent.Encode(&records[i])
		if err != nil {
			return 0, fmt.Errorf("redis journal: %w", err)
		}
		r.payloads[i] = b
		r.size += len(b)
	}
	if err := j.com.enqueue(r); err != nil {
		return 0, err
	}
	select {
	case res := <-r.done:
		switch {
		case res.err != nil:
			return 0, res.err
		case res.conflict:
			return 0, &journal.ConflictError{AggregateID: id, Expected: expected, Actual: res.actual}
		}
		return res.last, nil
	case <-ctx.Done():
		if r.state.CompareAndSwap(queued, cancelled) {
			return 0, ctx.Err() // never sent
		}
		return 0, fmt.Errorf("redis journal: append to aggregate %s at version %d: %w: %w", id, expected, journal.ErrOutcomeUnknown, ctx.Err())
	}
}

// Read implements journal.Journal, in one round trip.
func (j *Journal) Read(ctx context.Context, id uuid.UUID, from, to uint64) ([]journal.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := j.checkOpen(); err != nil {
		return nil, err
	}
	if from == 0 {
		from = 1
	}
	if to != 0 && to < from {
		return nil, nil
	}
	part := journal.PartitionOf(id, j.cfg.Partitions)
	keys := []string{j.keys.aggregate(part, id), j.keys.parts[part].log}
	vals, err := j.rd.read(ctx, j.readS, keys, from, to)
	if err != nil {
		return nil, fmt.Errorf("redis journal: read aggregate %s versions %d..%d: %w", id, from, to, j.readErr(err))
	}
	out := make([]journal.Record, len(vals))
	for i, v := range vals {
		s, _ := v.(string)
		if out[i], err = storedevent.DecodeString(s); err != nil {
			return nil, fmt.Errorf("redis journal: read aggregate %s version %d: %w", id, from+uint64(i), err)
		}
		if out[i].AggregateID != id || out[i].Version != from+uint64(i) {
			return nil, fmt.Errorf("redis journal: read aggregate %s version %d: found aggregate %s version %d: %w",
				id, from+uint64(i), out[i].AggregateID, out[i].Version, journal.ErrCorrupt)
		}
	}
	return out, nil
}

// HashTag returns the hash tag of aggregate id's keys, "{pN}" for its
// partition N: a key of another store that carries it, after the same
// key prefix, is in the same Redis Cluster slot as the aggregate's events
// (ReadAfter needs one).
func (j *Journal) HashTag(id uuid.UUID) string {
	return "{p" + strconv.Itoa(journal.PartitionOf(id, j.cfg.Partitions)) + "}"
}

// KeyPrefix returns the prefix of the journal's keys.
func (j *Journal) KeyPrefix() string { return j.cfg.KeyPrefix }

// ReadAfter reads, in one round trip (one script), the member of the
// sorted set zkey with the highest score at most maxVersion (0: any), and
// aggregate id's records after that score up to maxVersion (0: all), or
// all its records up to maxVersion when the set has no such member (found
// is then false). The scores of zkey are versions of the aggregate (a
// snapshot store beside the journal keeps such a set) and zkey must carry
// the aggregate's hash tag (HashTag), so that the script runs on one slot.
func (j *Journal) ReadAfter(ctx context.Context, id uuid.UUID, zkey string, maxVersion uint64) (member []byte, found bool, records []journal.Record, err error) {
	if err := ctx.Err(); err != nil {
		return nil, false, nil, err
	}
	if err := j.checkOpen(); err != nil {
		return nil, false, nil, err
	}
	if !strings.Contains(zkey, j.HashTag(id)) {
		return nil, false, nil, fmt.Errorf("redis journal: read aggregate %s after the versions in %q: the key lacks the aggregate's hash tag %s: %w",
			id, zkey, j.HashTag(id), ErrConfig)
	}
	max := "+inf"
	if maxVersion > 0 {
		max = strconv.FormatUint(maxVersion, 10)
	}
	part := journal.PartitionOf(id, j.cfg.Partitions)
	keys := []string{j.keys.aggregate(part, id), j.keys.parts[part].log, zkey}
	vals, err := j.rd.read(ctx, j.afterS, keys, max, maxVersion)
	if err != nil {
		return nil, false, nil, fmt.Errorf("redis journal: read aggregate %s after the versions in %q up to %d: %w", id, zkey, maxVersion, j.readErr(err))
	}
	if len(vals) < 2 {
		return nil, false, nil, fmt.Errorf("redis journal: read aggregate %s after the versions in %q: short reply: %w", id, zkey, journal.ErrCorrupt)
	}
	if m, _ := vals[0].(string); m != "" {
		member, found = []byte(m), true
	}
	score, _ := vals[1].(string)
	after, perr := strconv.ParseUint(score, 10, 64)
	if perr != nil {
		return nil, false, nil, fmt.Errorf("redis journal: read aggregate %s after the versions in %q: score %q is not a version: %w", id, zkey, score, journal.ErrCorrupt)
	}
	from := after + 1
	vals = vals[2:]
	records = make([]journal.Record, len(vals))
	for i, v := range vals {
		s, _ := v.(string)
		if records[i], err = storedevent.DecodeString(s); err != nil {
			return nil, false, nil, fmt.Errorf("redis journal: read aggregate %s version %d: %w", id, from+uint64(i), err)
		}
		if records[i].AggregateID != id || records[i].Version != from+uint64(i) {
			return nil, false, nil, fmt.Errorf("redis journal: read aggregate %s version %d: found aggregate %s version %d: %w",
				id, from+uint64(i), records[i].AggregateID, records[i].Version, journal.ErrCorrupt)
		}
	}
	return member, found, records, nil
}

// readErr is ErrClosed after Close, else the error of a failed read.
func (j *Journal) readErr(err error) error {
	if j.checkOpen() != nil {
		return journal.ErrClosed
	}
	return readErr(err)
}

// Partitions implements journal.Journal.
func (j *Journal) Partitions() int { return j.cfg.Partitions }

// Select implements journal.Journal: XRANGE on the partition's log.
func (j *Journal) Select(ctx context.Context, part int, start uint64, limit int) ([]journal.Notification, error) {
	if err := journal.CheckPartition(part, j.cfg.Partitions); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, fmt.Errorf("redis journal: select partition %d: limit %d, want at least 1", part, limit)
	}
	if err := j.checkOpen(); err != nil {
		return nil, err
	}
	if start == 0 {
		start = 1
	}
	msgs, err := j.client.XRangeN(ctx, j.keys.parts[part].log, streamID(start), "+", int64(limit)).Result()
	if err != nil {
		return nil, fmt.Errorf("redis journal: select partition %d from %d: %w", part, start, j.readErr(err))
	}
	return notifications(part, msgs)
}

// notifications decodes a partition's log entries.
func notifications(part int, msgs []goredis.XMessage) ([]journal.Notification, error) {
	out := make([]journal.Notification, len(msgs))
	for i, m := range msgs {
		pos, err := parseID(m.ID)
		if err != nil {
			return nil, fmt.Errorf("redis journal: partition %d: %w", part, err)
		}
		s, _ := m.Values["e"].(string)
		rec, err := storedevent.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("redis journal: partition %d position %d: %w", part, pos, err)
		}
		out[i] = journal.Notification{Partition: part, Position: pos, Record: rec}
	}
	return out, nil
}

func parseID(id string) (uint64, error) {
	ms, seq, ok := strings.Cut(id, "-")
	pos, err := strconv.ParseUint(ms, 10, 64)
	if !ok || seq != "0" || err != nil {
		return 0, fmt.Errorf("log entry id %q is not <position>-0: %w", id, journal.ErrCorrupt)
	}
	return pos, nil
}

// Head implements journal.Journal.
func (j *Journal) Head(ctx context.Context, part int) (uint64, error) {
	if err := journal.CheckPartition(part, j.cfg.Partitions); err != nil {
		return 0, err
	}
	if err := j.checkOpen(); err != nil {
		return 0, err
	}
	s, err := j.client.Get(ctx, j.keys.parts[part].head).Result()
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redis journal: head of partition %d: %w", part, j.readErr(err))
	}
	head, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("redis journal: head of partition %d is %q: %w", part, s, journal.ErrCorrupt)
	}
	return head, nil
}

// maxBlock bounds one XREAD BLOCK of Wait, so that a cancelled context
// without a deadline is noticed within it.
const maxBlock = 500 * time.Millisecond

// Wait implements journal.Journal: it tails the log with XREAD BLOCK.
func (j *Journal) Wait(ctx context.Context, part int, after uint64) (uint64, error) {
	if err := journal.CheckPartition(part, j.cfg.Partitions); err != nil {
		return 0, err
	}
	for {
		head, err := j.Head(ctx, part)
		if err != nil && deadlineHit(ctx, err) {
			<-ctx.Done()
			return head, ctx.Err()
		}
		if err != nil || head > after {
			return head, err
		}
		if _, err := j.xreadBlock(ctx, []string{j.keys.parts[part].log, streamID(after)}, 1); err != nil {
			if ctx.Err() != nil {
				return head, ctx.Err()
			}
			return head, fmt.Errorf("redis journal: wait on partition %d after %d: %w", part, after, err)
		}
	}
}

// Tail implements journal.Tailer with one XREAD BLOCK that returns the
// entries after after.
func (j *Journal) Tail(ctx context.Context, part int, after uint64, limit int) ([]journal.Notification, error) {
	if err := journal.CheckPartition(part, j.cfg.Partitions); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, fmt.Errorf("redis journal: tail partition %d: limit %d, want at least 1", part, limit)
	}
	streams, err := j.xreadBlock(ctx, []string{j.keys.parts[part].log, streamID(after)}, limit)
	if err != nil {
		return nil, fmt.Errorf("redis journal: tail partition %d after %d: %w", part, after, err)
	}
	if len(streams) == 0 {
		return nil, nil
	}
	return notifications(part, streams[0].Messages)
}

// TailMany implements journal.MultiTailer with one XREAD BLOCK over the
// cursors' streams. On Redis Cluster, where the partitions' streams are in
// different hash slots, it answers errors.ErrUnsupported.
func (j *Journal) TailMany(ctx context.Context, cursors []journal.Cursor, limit int) ([]journal.Notification, error) {
	if j.cluster != nil {
		return nil, fmt.Errorf("redis journal (cluster): tail several partitions at once: %w", errors.ErrUnsupported)
	}
	if limit <= 0 {
		return nil, fmt.Errorf("redis journal: tail several partitions: limit %d, want at least 1", limit)
	}
	if len(cursors) == 0 {
		return nil, j.checkOpen()
	}
	args := make([]string, 2*len(cursors))
	parts := make(map[string]int, len(cursors))
	for i, c := range cursors {
		if err := journal.CheckPartition(c.Partition, j.cfg.Partitions); err != nil {
			return nil, err
		}
		key := j.keys.parts[c.Partition].log
		if _, dup := parts[key]; dup {
			return nil, fmt.Errorf("redis journal: tail several partitions: partition %d twice", c.Partition)
		}
		parts[key] = c.Partition
		args[i], args[len(cursors)+i] = key, streamID(c.After)
	}
	streams, err := j.xreadBlock(ctx, args, limit)
	if err != nil {
		return nil, fmt.Errorf("redis journal: tail %d partitions: %w", len(cursors), err)
	}
	var out []journal.Notification
	for _, st := range streams {
		ns, err := notifications(parts[st.Stream], st.Messages)
		if err != nil {
			return nil, err
		}
		out = append(out, ns...)
	}
	return out, nil
}

// xreadBlock runs one XREAD BLOCK (streams: keys, then ids) for at most
// maxBlock and a little less than ctx allows, so the server answers before
// the client's read deadline (the context's) hits; none and no error when
// it times out, ctx.Err() when ctx ends.
func (j *Journal) xreadBlock(ctx context.Context, streams []string, limit int) ([]goredis.XStream, error) {
	if err := j.checkOpen(); err != nil {
		return nil, err
	}
	// Block a little less than the context allows, as Wait does.
	block := maxBlock
	if d, ok := ctx.Deadline(); ok {
		block = min(block, time.Until(d)-10*time.Millisecond)
	}
	if block < time.Millisecond {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	res, err := j.tail.XRead(ctx, &goredis.XReadArgs{Streams: streams, Count: int64(limit), Block: block}).Result()
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case deadlineHit(ctx, err):
		<-ctx.Done()
		return nil, ctx.Err()
	case errors.Is(err, goredis.Nil):
		return nil, nil
	case err != nil:
		return nil, j.readErr(err)
	}
	return res, nil
}

var (
	_ journal.Tailer      = (*Journal)(nil)
	_ journal.MultiTailer = (*Journal)(nil)
)

// deadlineHit says that err is the socket's read deadline, which is the
// context's: the context is about to report its own end.
func deadlineHit(ctx context.Context, err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() && deadlineNear(ctx)
}

func deadlineNear(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && time.Until(d) < 50*time.Millisecond
}

// Close implements journal.Journal: appends in flight get their answers,
// queued ones fail with journal.ErrClosed. It is safe to call twice.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	j.mu.Unlock()
	j.com.close()
	j.rd.close()
	return errors.Join(j.client.Close(), j.tail.Close())
}
