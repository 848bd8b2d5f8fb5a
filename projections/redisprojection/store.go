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
	if err := s.c.HSet(ctx, s.checkpointKey(projection), strconv.Itoa(partition), position).Err(); err != nil {
		return fmt.Errorf("redisprojection: save checkpoint %d of projection %q partition %d: %w", position, projection, partition, err)
	}
	return nil
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
return old or ''`

// restoreCheckpoint puts the replaced checkpoint back, unless the
// checkpoint has moved on since.
const restoreCheckpoint = `if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
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
	cp := t.pipe.Eval(ctx, setCheckpoint, []string{key}, field, pos)
	_, err := t.pipe.Exec(ctx)
	if err == nil {
		return nil
	}
	err = fmt.Errorf("redisprojection: projection %q partition %d: commit at position %d: %w", t.projection, t.partition, position, err)
	if cp.Err() != nil {
		return err // not written (EXECABORT), or the outcome is unknown
	}
	old, _ := cp.Val().(string)
	if rerr := t.s.c.Eval(ctx, restoreCheckpoint, []string{key}, field, pos, old).Err(); rerr != nil {
		return fmt.Errorf("%w; putting the checkpoint back to %q failed: %w", err, old, rerr)
	}
	return err
}

// Rollback implements projections.Tx.
func (t *Tx) Rollback() {
	t.done = true
	t.pipe.Discard()
}
