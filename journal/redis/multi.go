package redis

import (
	"context"
	"errors"
	"fmt"
	"slices"

	goredis "github.com/redis/go-redis/v9"

	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/internal/storedevent"
)

// multiAppendScript appends to several aggregates, of one or several
// partitions, all or nothing: every check comes before any write.
//
//	ARGV[1] np (partitions), ARGV[2] fenced (1) or not (0), ARGV[3] m (appends)
//	then, when fenced, np lease tokens (one per partition)
//	then for each append: its partition (1..np), expected, n, n payloads
//	KEYS: per partition (1..np): head, log, and lease when fenced;
//	then the aggregate of each append
//
// It returns {1, last_1, ..., last_m} (the position of each append's last
// event), or {0, i, actual} when append i's aggregate was not at its
// expected version (nothing is written, no position used), or a FENCED
// error when a partition's lease does not hold its token.
const multiAppendScript = `
local np, fenced, m = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local kp = 2 + fenced
local a = 4
-- checks: the leases, then every aggregate's version
if fenced == 1 then
  for p = 1, np do
    local lease = redis.call('GET', KEYS[(p - 1) * kp + 3])
    if lease ~= ARGV[a] then
      return redis.error_reply('FENCED partition lease is ' .. tostring(lease) .. ', not ' .. ARGV[a])
    end
    a = a + 1
  end
end
local first = a
for i = 1, m do
  local key = KEYS[np * kp + i]
  local expected, n = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local v = redis.call('LLEN', key)
  if v ~= expected then
    return {0, i, v}
  end
  a = a + 3 + n
end
-- writes
local heads = {}
for p = 1, np do
  heads[p] = tonumber(redis.call('GET', KEYS[(p - 1) * kp + 1]) or '0')
end
local out = {1}
a = first
for i = 1, m do
  local key = KEYS[np * kp + i]
  local p, n = tonumber(ARGV[a]), tonumber(ARGV[a + 2])
  local log = KEYS[(p - 1) * kp + 2]
  a = a + 3
  local pos = {}
  for k = 1, n do
    heads[p] = heads[p] + 1
    redis.call('XADD', log, string.format('%d-0', heads[p]), 'e', ARGV[a + k - 1])
    pos[#pos + 1] = heads[p]
    if #pos == 1000 then
      redis.call('RPUSH', key, unpack(pos))
      pos = {}
    end
  end
  if #pos > 0 then
    redis.call('RPUSH', key, unpack(pos))
  end
  out[i + 1] = heads[p]
  a = a + n
end
for p = 1, np do
  redis.call('SET', KEYS[(p - 1) * kp + 1], string.format('%d', heads[p]))
end
return out
`

var _ journal.MultiAppender = (*Journal)(nil)

// AppendMany implements journal.MultiAppender with one script call. On
// standalone Redis the aggregates may be in any partitions; on Redis
// Cluster they must share one (one hash slot): across partitions it
// refuses with a *journal.CrossPartitionError before sending anything.
// Unlike Append, it is sent on its own, not in a group commit.
func (j *Journal) AppendMany(ctx context.Context, streams []journal.Stream) ([]uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := journal.CheckAppendMany(streams); err != nil {
		return nil, err
	}
	if err := j.checkOpen(); err != nil {
		return nil, err
	}
	// The partitions, ascending; idx maps a partition to its place.
	var parts []int
	streamPart := make([]int, len(streams))
	for i, s := range streams {
		streamPart[i] = journal.PartitionOf(s.AggregateID, j.cfg.Partitions)
		if !slices.Contains(parts, streamPart[i]) {
			parts = append(parts, streamPart[i])
		}
	}
	slices.Sort(parts)
	if j.cluster != nil && len(parts) > 1 {
		return nil, fmt.Errorf("redis journal (cluster): %w", &journal.CrossPartitionError{Partitions: parts})
	}
	fenced := 0
	var tokens []any
	if j.cfg.Fence != nil {
		fenced = 1
		for _, p := range parts {
			token := j.cfg.Fence.Token(p)
			if token == "" {
				return nil, fmt.Errorf("redis journal: append to %d aggregates at once: this node holds no lease on partition %d: %w",
					len(streams), p, journal.ErrFenced)
			}
			tokens = append(tokens, token)
		}
	}
	keys := make([]string, 0, len(parts)*(2+fenced)+len(streams))
	for _, p := range parts {
		keys = append(keys, j.keys.parts[p].head, j.keys.parts[p].log)
		if fenced == 1 {
			keys = append(keys, j.keys.parts[p].lease)
		}
	}
	args := []any{len(parts), fenced, len(streams)}
	args = append(args, tokens...)
	for i, s := range streams {
		keys = append(keys, j.keys.aggregate(streamPart[i], s.AggregateID))
		args = append(args, slices.Index(parts, streamPart[i])+1, s.Expected, len(s.Records))
		for k := range s.Records {
			b, err := storedevent.Encode(&s.Records[k])
			if err != nil {
				return nil, fmt.Errorf("redis journal: %w", err)
			}
			args = append(args, b)
		}
	}
	vals, err := j.runMulti(ctx, parts[0], keys, args)
	what := func() string {
		return fmt.Sprintf("redis journal: append to %d aggregates at once (first %s at version %d)", len(streams), streams[0].AggregateID, streams[0].Expected)
	}
	switch {
	case isFenced(err):
		return nil, fmt.Errorf("%s: %w (%v)", what(), journal.ErrFenced, err)
	case err != nil:
		return nil, err
	case len(vals) == 3 && vals[0] == 0 && vals[1] >= 1 && int(vals[1]) <= len(streams):
		s := streams[vals[1]-1]
		return nil, &journal.ConflictError{AggregateID: s.AggregateID, Expected: s.Expected, Actual: uint64(vals[2])}
	case len(vals) != len(streams)+1 || vals[0] != 1:
		return nil, fmt.Errorf("%s: the script answered %v: %w", what(), vals, journal.ErrOutcomeUnknown)
	}
	out := make([]uint64, len(streams))
	for i := range out {
		out[i] = uint64(vals[i+1])
	}
	return out, nil
}

// runMulti runs multiAppendScript on the node of partition part (loading
// it when the node does not have it), followed by WAIT when the journal
// asks for replicas.
func (j *Journal) runMulti(ctx context.Context, part int, keys []string, args []any) ([]int64, error) {
	node := j.single
	if j.cluster != nil {
		var err error
		if node, err = j.cluster.MasterForKey(ctx, j.keys.parts[part].log); err != nil {
			return nil, fmt.Errorf("redis journal: append to several aggregates: %w: %w", journal.ErrUnavailable, err)
		}
	}
	run := func(cmd goredis.Cmder) ([]int64, error) {
		pipe := node.Pipeline()
		_ = pipe.Process(ctx, cmd)
		var wait *goredis.Cmd
		if j.cfg.Replicas > 0 {
			wait = pipe.Do(ctx, "WAIT", j.cfg.Replicas, j.cfg.ReplicaTimeout.Milliseconds())
		}
		_, _ = pipe.Exec(ctx)
		vals, err := cmd.(noRetry).Int64Slice()
		if err != nil {
			return nil, err
		}
		if wait != nil {
			if n, werr := wait.Int64(); werr != nil || int(n) < j.cfg.Replicas {
				return nil, fmt.Errorf("redis journal: append to several aggregates: written, but %w: WAIT %d %v: %d confirmed (%v): %w",
					errReplicas, j.cfg.Replicas, j.cfg.ReplicaTimeout, n, werr, journal.ErrOutcomeUnknown)
			}
		}
		return vals, nil
	}
	vals, err := run(j.multiS.cmd(ctx, keys, args))
	if isNoScript(err) {
		vals, err = run(j.multiS.evalCmd(ctx, keys, args))
	}
	if err == nil || isFenced(err) || errors.Is(err, journal.ErrOutcomeUnknown) {
		return vals, err
	}
	return nil, fmt.Errorf("redis journal: append to several aggregates: %w: %w", writeOutcome(err), err)
}
