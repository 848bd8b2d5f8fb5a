package rediskeys

import (
	"context"
	"errors"
	"fmt"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"github.com/factum-dev/factum/storage/encryption"
)

// Config configures a Store.
type Config struct {
	// Client is the Redis client (standalone or cluster). Required; the
	// store does not close it.
	Client goredis.UniversalClient
	// KeyPrefix starts every key (default "factum:keys:").
	KeyPrefix string
}

// Store is an encryption.KeyStore on Redis.
type Store struct {
	c      goredis.UniversalClient
	prefix string
}

var _ encryption.KeyStore = (*Store)(nil)

// New returns a Store configured by cfg.
func New(cfg Config) (*Store, error) {
	if cfg.Client == nil {
		return nil, errors.New("rediskeys: Config.Client is nil")
	}
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = "factum:keys:"
	}
	return &Store{c: cfg.Client, prefix: cfg.KeyPrefix}, nil
}

func (s *Store) key(subject string) string { return s.prefix + subject }

// createScript: KEYS[1] the subject's hash; ARGV id, master, wrapped.
// Returns {"S"} when shredded, else the stored id, master, wrapped.
var createScript = goredis.NewScript(`
if redis.call('HEXISTS', KEYS[1], 'shredded') == 1 then return {'S'} end
if redis.call('HEXISTS', KEYS[1], 'id') == 0 then
  redis.call('HSET', KEYS[1], 'id', ARGV[1], 'master', ARGV[2], 'wrapped', ARGV[3])
end
return {'K', redis.call('HGET', KEYS[1], 'id'), redis.call('HGET', KEYS[1], 'master'), redis.call('HGET', KEYS[1], 'wrapped')}
`)

// rewrapScript: KEYS[1]; ARGV id, master, wrapped. Returns "S", "N" (no
// such key id) or "OK".
var rewrapScript = goredis.NewScript(`
if redis.call('HEXISTS', KEYS[1], 'shredded') == 1 then return 'S' end
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 'N' end
redis.call('HSET', KEYS[1], 'master', ARGV[2], 'wrapped', ARGV[3])
return 'OK'
`)

var shredScript = goredis.NewScript(`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'shredded', '1')
return 'OK'
`)

func shredded(subject string) error {
	return fmt.Errorf("rediskeys: subject %q: %w", subject, encryption.ErrShredded)
}

// Get implements encryption.KeyStore.
func (s *Store) Get(ctx context.Context, subject string) (encryption.WrappedKey, error) {
	m, err := s.c.HGetAll(ctx, s.key(subject)).Result()
	if err != nil {
		return encryption.WrappedKey{}, fmt.Errorf("rediskeys: get subject %q: %w", subject, err)
	}
	if _, ok := m["shredded"]; ok {
		return encryption.WrappedKey{}, shredded(subject)
	}
	if m["id"] == "" {
		return encryption.WrappedKey{}, fmt.Errorf("rediskeys: subject %q: %w", subject, encryption.ErrNoKey)
	}
	return encryption.WrappedKey{ID: m["id"], MasterID: m["master"], Wrapped: []byte(m["wrapped"])}, nil
}

// Create implements encryption.KeyStore.
func (s *Store) Create(ctx context.Context, subject string, k encryption.WrappedKey) (encryption.WrappedKey, error) {
	res, err := createScript.Run(ctx, s.c, []string{s.key(subject)}, k.ID, k.MasterID, k.Wrapped).StringSlice()
	if err != nil {
		return encryption.WrappedKey{}, fmt.Errorf("rediskeys: create key of subject %q: %w", subject, err)
	}
	if len(res) == 1 && res[0] == "S" {
		return encryption.WrappedKey{}, shredded(subject)
	}
	if len(res) != 4 {
		return encryption.WrappedKey{}, fmt.Errorf("rediskeys: create key of subject %q: unexpected reply %q", subject, res)
	}
	return encryption.WrappedKey{ID: res[1], MasterID: res[2], Wrapped: []byte(res[3])}, nil
}

// Rewrap implements encryption.KeyStore.
func (s *Store) Rewrap(ctx context.Context, subject string, k encryption.WrappedKey) error {
	res, err := rewrapScript.Run(ctx, s.c, []string{s.key(subject)}, k.ID, k.MasterID, k.Wrapped).Text()
	switch {
	case err != nil:
		return fmt.Errorf("rediskeys: rewrap key of subject %q: %w", subject, err)
	case res == "S":
		return shredded(subject)
	case res == "N":
		return fmt.Errorf("rediskeys: rewrap subject %q: no data key %q: %w", subject, k.ID, encryption.ErrNoKey)
	}
	return nil
}

// Shred implements encryption.KeyStore.
func (s *Store) Shred(ctx context.Context, subject string) error {
	if err := shredScript.Run(ctx, s.c, []string{s.key(subject)}).Err(); err != nil {
		return fmt.Errorf("rediskeys: shred subject %q: %w", subject, err)
	}
	return nil
}

// Range implements encryption.KeyStore.
func (s *Store) Range(ctx context.Context, fn func(subject string, k encryption.WrappedKey) error) error {
	scan := func(ctx context.Context, c goredis.UniversalClient) error {
		iter := c.Scan(ctx, 0, s.prefix+"*", 200).Iterator()
		for iter.Next(ctx) {
			subject := iter.Val()[len(s.prefix):]
			k, err := s.Get(ctx, subject)
			if errors.Is(err, encryption.ErrShredded) || errors.Is(err, encryption.ErrNoKey) {
				continue
			}
			if err != nil {
				return err
			}
			if err := fn(subject, k); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	cc, ok := s.c.(*goredis.ClusterClient)
	if !ok {
		return scan(ctx, s.c)
	}
	// ForEachMaster runs its function on every master at once; fn must
	// not run concurrently, so collect the masters and scan them in turn.
	var (
		mu      sync.Mutex
		masters []*goredis.Client
	)
	if err := cc.ForEachMaster(ctx, func(_ context.Context, c *goredis.Client) error {
		mu.Lock()
		masters = append(masters, c)
		mu.Unlock()
		return nil
	}); err != nil {
		return fmt.Errorf("rediskeys: range: %w", err)
	}
	for _, c := range masters {
		if err := scan(ctx, c); err != nil {
			return err
		}
	}
	return nil
}
