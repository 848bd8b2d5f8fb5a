package redisprojection

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/factum-dev/factum/projections"
)

// Config configures a Store.
type Config struct {
	// Client is the Redis (or Redis Cluster) client. Required. The store
	// does not close it.
	Client goredis.UniversalClient
	// KeyPrefix starts every key (default "factum:projection:"). It must
	// not contain '{' or '}'.
	KeyPrefix string
}

// Validate reports the first setting that is wrong.
func (c *Config) Validate() error {
	switch {
	case c.Client == nil:
		return errors.New("redisprojection: Config.Client is nil")
	case strings.ContainsAny(c.KeyPrefix, "{}"):
		return fmt.Errorf("redisprojection: Config.KeyPrefix %q contains a brace: the store puts its own hash tags after it", c.KeyPrefix)
	}
	return nil
}

// Store keeps checkpoints (and read models) in Redis.
type Store struct {
	c      goredis.UniversalClient
	prefix string
}

// New returns a store on cfg.Client.
func New(cfg Config) (*Store, error) {
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = "factum:projection:"
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Store{c: cfg.Client, prefix: cfg.KeyPrefix}, nil
}

// Client returns the store's client, to read the read model.
func (s *Store) Client() goredis.UniversalClient { return s.c }

var tagEscaper = strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D")

// Key returns a read-model key of the projection: the prefix, the
// projection's name as hash tag, then parts joined by ':'.
func (s *Store) Key(projection string, parts ...string) string {
	var b strings.Builder
	b.WriteString(s.prefix)
	b.WriteByte('{')
	b.WriteString(tagEscaper.Replace(projection))
	b.WriteByte('}')
	for _, p := range parts {
		b.WriteByte(':')
		b.WriteString(p)
	}
	return b.String()
}

func (s *Store) checkpointKey(projection string) string { return s.Key(projection, "checkpoints") }

// fenceKey is a key that every write of partition's checkpoint also
// writes, so that CommitIf can WATCH one partition's checkpoint: the
// checkpoints of all partitions share one hash, which the workers of the
// other partitions write all the time.
func (s *Store) fenceKey(projection string, partition int) string {
	return s.Key(projection, "checkpoint", strconv.Itoa(partition))
}

// save sets the checkpoint (and touches the partition's fence key).
const save = `redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[2])
return 1`

// Load implements projections.CheckpointStore.
func (s *Store) Load(ctx context.Context, projection string, partition int) (uint64, error) {
	v, err := s.c.HGet(ctx, s.checkpointKey(projection), strconv.Itoa(partition)).Result()
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redisprojection: load checkpoint of projection %q partition %d: %w", projection, partition, err)
	}
	pos, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("redisprojection: checkpoint of projection %q partition %d is %q: %w", projection, partition, v, err)
	}
	return pos, nil
}

// Save implements projections.CheckpointStore.
func (s *Store) Save(ctx context.Context, projection string, partition int, position uint64) error {
	keys := []string{s.checkpointKey(projection), s.fenceKey(projection, partition)}
	if err := s.c.Eval(ctx, save, keys, strconv.Itoa(partition), position).Err(); err != nil {
		return fmt.Errorf("redisprojection: save checkpoint %d of projection %q partition %d: %w", position, projection, partition, err)
	}
	return nil
}

// saveIf sets the checkpoint if it holds ARGV[2] (absent counts as 0);
// otherwise it answers the checkpoint it holds.
const saveIf = `local cur = redis.call('HGET', KEYS[1], ARGV[1]) or '0'
if cur ~= ARGV[2] then return {0, cur} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('SET', KEYS[2], ARGV[3])
return {1, cur}`

// SaveIf implements projections.FencedCheckpoints.
func (s *Store) SaveIf(ctx context.Context, projection string, partition int, expected, position uint64) error {
	res, err := s.c.Eval(ctx, saveIf, []string{s.checkpointKey(projection), s.fenceKey(projection, partition)}, strconv.Itoa(partition),
		strconv.FormatUint(expected, 10), strconv.FormatUint(position, 10)).Slice()
	if err != nil {
		return fmt.Errorf("redisprojection: save checkpoint %d of projection %q partition %d: %w", position, projection, partition, err)
	}
	if ok, _ := res[0].(int64); ok != 1 {
		return fmt.Errorf("redisprojection: save checkpoint %d of projection %q partition %d expecting %d, but it is %v: %w",
			position, projection, partition, expected, res[1], projections.ErrCheckpointMoved)
	}
	return nil
}

var globEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`)

// ResetProjection implements projections.ResettableStore: it deletes
// every key of the projection (made with Key, its checkpoints among them)
// and sets each partition's fence key, in one MULTI/EXEC under WATCH of
// the fence keys, so that a commit that lands while the keys are listed
// makes it start again, and a commit after it is refused.
func (s *Store) ResetProjection(ctx context.Context, projection string, partitions int) error {
	fences := make([]string, partitions)
	for p := range fences {
		fences[p] = s.fenceKey(projection, p)
	}
	match := globEscaper.Replace(s.Key(projection)) + "*"
	for attempt := 0; ; attempt++ {
		err := s.c.Watch(ctx, func(tx *goredis.Tx) error {
			var keys []string
			var cursor uint64
			for {
				ks, next, err := tx.Scan(ctx, cursor, match, 1000).Result()
				if err != nil {
					return err
				}
				keys = append(keys, ks...)
				if cursor = next; cursor == 0 {
					break
				}
			}
			_, err := tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
				if len(keys) > 0 {
					p.Del(ctx, keys...)
				}
				for _, f := range fences {
					p.Set(ctx, f, "0", 0)
				}
				return nil
			})
			return err
		}, fences...)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, goredis.TxFailedErr) && attempt < 100:
			continue // a commit landed meanwhile
		}
		return fmt.Errorf("redisprojection: reset projection %q: %w", projection, err)
	}
}

type txKey struct{ s *Store }

// Begin implements projections.TxStore: a MULTI/EXEC pipeline for the batch.
func (s *Store) Begin(ctx context.Context, projection string, partition int) (context.Context, projections.Tx, error) {
	tx := &Tx{s: s, projection: projection, partition: partition, pipe: s.c.TxPipeline()}
	return context.WithValue(ctx, txKey{s}, tx), tx, nil
}

// Tx returns the pipeline of the batch being handled, whose commands run
// at once with the checkpoint; outside a handler it returns nil.
func (s *Store) Tx(ctx context.Context) goredis.Pipeliner {
	if tx, ok := ctx.Value(txKey{s}).(*Tx); ok {
		return tx.pipe
	}
	return nil
}

// Tx is one batch of read-model writes and its checkpoint.
type Tx struct {
	s          *Store
	projection string
	partition  int
	pipe       goredis.Pipeliner
	done       bool
}

// setCheckpoint sets the checkpoint and returns the one it replaces ("":
// none).
const setCheckpoint = `local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[2])
return old or ''`

// restoreCheckpoint puts the replaced checkpoint back, unless the
// checkpoint has moved on since.
const restoreCheckpoint = `if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
redis.call('SET', KEYS[2], ARGV[3])
return 1`

// Commit implements projections.Tx: the queued writes and the checkpoint in one
// MULTI/EXEC. Redis runs the rest of a transaction when one of its
// commands fails at EXEC (WRONGTYPE, out of memory); the checkpoint is then
// put back, so that the batch is not skipped.
func (t *Tx) Commit(ctx context.Context, position uint64) error {
	if t.done {
		return fmt.Errorf("redisprojection: projection %q partition %d: commit at %d: %w", t.projection, t.partition, position, projections.ErrTxDone)
	}
	t.done = true
	key, field, pos := t.s.checkpointKey(t.projection), strconv.Itoa(t.partition), strconv.FormatUint(position, 10)
	keys := []string{key, t.s.fenceKey(t.projection, t.partition)}
	cp := t.pipe.Eval(ctx, setCheckpoint, keys, field, pos)
	_, err := t.pipe.Exec(ctx)
	if err == nil {
		return nil
	}
	err = fmt.Errorf("redisprojection: projection %q partition %d: commit at position %d: %w", t.projection, t.partition, position, err)
	if cp.Err() != nil {
		return err // not written (EXECABORT), or the outcome is unknown
	}
	old, _ := cp.Val().(string)
	if rerr := t.s.c.Eval(ctx, restoreCheckpoint, keys, field, pos, old).Err(); rerr != nil {
		return fmt.Errorf("%w; putting the checkpoint back to %q failed: %w", err, old, rerr)
	}
	return err
}

// CommitIf implements projections.FencedTx: under WATCH of the
// partition's fence key (which every write of its checkpoint writes too),
// it reads the checkpoint and, if it is expected, runs the queued
// writes and the new checkpoint in one MULTI/EXEC; if it is not, or if it
// changes before EXEC, nothing is written and the error wraps
// projections.ErrCheckpointMoved. A command that fails at EXEC is handled
// as in Commit.
func (t *Tx) CommitIf(ctx context.Context, expected, position uint64) error {
	if t.done {
		return fmt.Errorf("redisprojection: projection %q partition %d: commit at %d: %w", t.projection, t.partition, position, projections.ErrTxDone)
	}
	t.done = true
	cmds := t.pipe.Cmds()
	defer t.pipe.Discard()
	key, fence, field := t.s.checkpointKey(t.projection), t.s.fenceKey(t.projection, t.partition), strconv.Itoa(t.partition)
	exp, pos := strconv.FormatUint(expected, 10), strconv.FormatUint(position, 10)
	var cur string
	var hset *goredis.IntCmd
	err := t.s.c.Watch(ctx, func(tx *goredis.Tx) error {
		v, err := tx.HGet(ctx, key, field).Result()
		switch {
		case errors.Is(err, goredis.Nil):
			v = "0"
		case err != nil:
			return err
		}
		if cur = v; cur != exp {
			return projections.ErrCheckpointMoved
		}
		_, err = tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			for _, c := range cmds {
				_ = p.Process(ctx, c)
			}
			hset = p.HSet(ctx, key, field, pos)
			p.Set(ctx, fence, pos, 0)
			return nil
		})
		return err
	}, fence)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, projections.ErrCheckpointMoved):
		return fmt.Errorf("redisprojection: projection %q partition %d: commit at position %d expecting checkpoint %d, but it is %s: nothing written: %w",
			t.projection, t.partition, position, expected, cur, err)
	case errors.Is(err, goredis.TxFailedErr):
		return fmt.Errorf("redisprojection: projection %q partition %d: commit at position %d expecting checkpoint %d: it was written during the commit: nothing written: %w",
			t.projection, t.partition, position, expected, projections.ErrCheckpointMoved)
	}
	err = fmt.Errorf("redisprojection: projection %q partition %d: commit at position %d: %w", t.projection, t.partition, position, err)
	if hset == nil || hset.Err() != nil {
		return err // not written (EXECABORT), or the outcome is unknown
	}
	// A command failed at EXEC and the others ran: put the checkpoint back
	// so that the batch is handled again.
	old := exp
	if expected == 0 {
		old = ""
	}
	if rerr := t.s.c.Eval(ctx, restoreCheckpoint, []string{key, fence}, field, pos, old).Err(); rerr != nil {
		return fmt.Errorf("%w; putting the checkpoint back to %d failed: %w", err, expected, rerr)
	}
	return err
}

// Rollback implements projections.Tx.
func (t *Tx) Rollback() {
	t.done = true
	t.pipe.Discard()
}
