package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/factum-dev/factum/journal"
)

// Leases fence the writers of a partition, for a cluster of nodes on one
// journal. A partition has at most one lease at a time: a string key in
// the partition's hash tag (so the append script can read it on Redis
// Cluster too) holding the token "<epoch>/<holder>", with a TTL kept by
// Redis's own clock. Each acquisition takes the next epoch from the
// partition's epoch counter, which never goes back, so a token is never
// given out twice. A journal whose Config.Fence gives the token of the
// lease its node holds appends only while that token is the partition's
// lease: the check and the append are one script.

// Fence gives the lease tokens a fenced journal appends under.
type Fence interface {
	// Token returns the token of the lease the writer holds on partition,
	// or "" when it holds none (the append then fails with
	// journal.ErrFenced without being sent).
	Token(partition int) string
}

// Lease is a lease on one partition.
type Lease struct {
	Partition int
	// Epoch is the lease's place in the partition's leases: 1, 2, 3, ...
	Epoch uint64
	// Holder is the node that holds it.
	Holder string
	// Token is "<epoch>/<holder>", what the append script checks.
	Token string
}

// ParseToken reads a lease token.
func ParseToken(partition int, token string) (Lease, error) {
	e, holder, ok := strings.Cut(token, "/")
	epoch, err := strconv.ParseUint(e, 10, 64)
	if !ok || err != nil || holder == "" {
		return Lease{}, fmt.Errorf("redis journal: partition %d: lease token %q is not <epoch>/<holder>: %w", partition, token, journal.ErrCorrupt)
	}
	return Lease{Partition: partition, Epoch: epoch, Holder: holder, Token: token}, nil
}

// leaseScripts acquire, renew and release leases.
type leaseScripts struct{ acquire, renew, release script }

func newLeaseScripts() leaseScripts {
	return leaseScripts{acquire: newScript(acquireScript), renew: newScript(renewScript), release: newScript(releaseScript)}
}

// acquireScript takes the lease when nobody holds it.
//
//	KEYS[1] lease, KEYS[2] epoch; ARGV[1] holder, ARGV[2] TTL in ms
//
// It returns {1, token} when it took the lease, {0, token} with the
// holder's token when the lease is held.
const acquireScript = `
local cur = redis.call('GET', KEYS[1])
if cur then
  return {0, cur}
end
local e = redis.call('INCR', KEYS[2])
local tok = string.format('%d/%s', e, ARGV[1])
redis.call('SET', KEYS[1], tok, 'PX', ARGV[2])
return {1, tok}
`

// renewScript extends the lease if it still holds the token.
//
//	KEYS[1] lease; ARGV[1] token, ARGV[2] TTL in ms
const renewScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`

// releaseScript drops the lease if it still holds the token.
//
//	KEYS[1] lease; ARGV[1] token
const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`

func (j *Journal) checkLease(part int, holder string) error {
	if err := journal.CheckPartition(part, j.cfg.Partitions); err != nil {
		return err
	}
	if holder == "" || strings.ContainsAny(holder, "/ ") {
		return fmt.Errorf("redis journal: lease holder %q: want a name without '/' or spaces: %w", holder, ErrConfig)
	}
	return nil
}

// Acquire takes the lease on partition for holder, for ttl, when nobody
// holds it. It fails with ErrLeaseHeld (and the holder's lease) when
// someone does, holder itself included: a holder renews its lease, and
// acquires a new one only after it expired or was released.
func (j *Journal) Acquire(ctx context.Context, partition int, holder string, ttl time.Duration) (Lease, error) {
	if err := j.checkLease(partition, holder); err != nil {
		return Lease{}, err
	}
	k := j.keys.parts[partition]
	vals, err := j.leaseS.acquire.Run(ctx, j.client, []string{k.lease, k.epoch}, holder, ttl.Milliseconds()).Slice()
	if err != nil {
		return Lease{}, fmt.Errorf("redis journal: acquire lease on partition %d: %w", partition, j.readErr(err))
	}
	if len(vals) != 2 {
		return Lease{}, fmt.Errorf("redis journal: acquire lease on partition %d: %d values in the answer: %w", partition, len(vals), journal.ErrCorrupt)
	}
	tok, _ := vals[1].(string)
	l, err := ParseToken(partition, tok)
	if err != nil {
		return Lease{}, err
	}
	if took, _ := vals[0].(int64); took != 1 {
		return l, fmt.Errorf("redis journal: partition %d: lease %s: %w", partition, tok, ErrLeaseHeld)
	}
	return l, nil
}

// Renew extends l by ttl from now; it fails with ErrLeaseLost when l is no
// longer the partition's lease (it expired, and maybe another holder took
// the partition).
func (j *Journal) Renew(ctx context.Context, l Lease, ttl time.Duration) error {
	if err := journal.CheckPartition(l.Partition, j.cfg.Partitions); err != nil {
		return err
	}
	n, err := j.leaseS.renew.Run(ctx, j.client, []string{j.keys.parts[l.Partition].lease}, l.Token, ttl.Milliseconds()).Int64()
	if err != nil {
		return fmt.Errorf("redis journal: renew lease %s on partition %d: %w", l.Token, l.Partition, j.readErr(err))
	}
	if n != 1 {
		return fmt.Errorf("redis journal: renew lease %s on partition %d: %w", l.Token, l.Partition, ErrLeaseLost)
	}
	return nil
}

// RenewAll renews many leases in one round trip; errs[i] is Renew's error
// for ls[i].
func (j *Journal) RenewAll(ctx context.Context, ls []Lease, ttl time.Duration) []error {
	errs := make([]error, len(ls))
	cmds := make([]*goredis.Cmd, len(ls))
	pipe := j.client.Pipeline()
	for i, l := range ls {
		if errs[i] = journal.CheckPartition(l.Partition, j.cfg.Partitions); errs[i] == nil {
			cmds[i] = j.leaseS.renew.Run(ctx, pipe, []string{j.keys.parts[l.Partition].lease}, l.Token, ttl.Milliseconds())
		}
	}
	_, _ = pipe.Exec(ctx)
	for i, l := range ls {
		if cmds[i] == nil {
			continue
		}
		n, err := cmds[i].Int64()
		if isNoScript(err) { // not loaded on this server (a restart): once more, as EVAL
			n, err = j.leaseS.renew.Run(ctx, j.client, []string{j.keys.parts[l.Partition].lease}, l.Token, ttl.Milliseconds()).Int64()
		}
		switch {
		case err != nil:
			errs[i] = fmt.Errorf("redis journal: renew lease %s on partition %d: %w", l.Token, l.Partition, j.readErr(err))
		case n != 1:
			errs[i] = fmt.Errorf("redis journal: renew lease %s on partition %d: %w", l.Token, l.Partition, ErrLeaseLost)
		}
	}
	return errs
}

// Release gives l up at once, if it is still the partition's lease.
func (j *Journal) Release(ctx context.Context, l Lease) error {
	if err := journal.CheckPartition(l.Partition, j.cfg.Partitions); err != nil {
		return err
	}
	if err := j.leaseS.release.Run(ctx, j.client, []string{j.keys.parts[l.Partition].lease}, l.Token).Err(); err != nil {
		return fmt.Errorf("redis journal: release lease %s on partition %d: %w", l.Token, l.Partition, j.readErr(err))
	}
	return nil
}

// Leases returns every partition's lease (a zero Lease for a partition
// nobody holds), in one round trip.
func (j *Journal) Leases(ctx context.Context) ([]Lease, error) {
	if err := j.checkOpen(); err != nil {
		return nil, err
	}
	pipe := j.client.Pipeline()
	cmds := make([]*goredis.StringCmd, j.cfg.Partitions)
	for p := range cmds {
		cmds[p] = pipe.Get(ctx, j.keys.parts[p].lease)
	}
	_, _ = pipe.Exec(ctx)
	out := make([]Lease, len(cmds))
	for p, c := range cmds {
		tok, err := c.Result()
		switch {
		case errors.Is(err, goredis.Nil):
			out[p] = Lease{Partition: p}
			continue
		case err != nil:
			return nil, fmt.Errorf("redis journal: read the leases: %w", j.readErr(err))
		}
		if out[p], err = ParseToken(p, tok); err != nil {
			return nil, err
		}
	}
	return out, nil
}
