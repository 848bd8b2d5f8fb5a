package cluster

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Membership is the cluster's membership table, in the Redis the journal
// runs on (Orleans' membership table, in Redis): every node writes a
// heartbeat scored with Redis's own clock (TIME), so that no two nodes'
// clocks are compared; a node whose last heartbeat is older than DeadAfter
// is dead. Both keys share the hash tag {cluster}, so the scripts run on
// one Redis Cluster slot.
//
//	<prefix>{cluster}:members  sorted set: node id, scored with its last heartbeat (Redis ms)
//	<prefix>{cluster}:addrs    hash: node id -> the address peers reach it at
type Membership struct {
	client    goredis.UniversalClient
	members   string
	addrs     string
	deadAfter time.Duration
	beat      *goredis.Script
	live      *goredis.Script
}

// Member is one live node.
type Member struct {
	ID string `json:"id"`
	// Addr is the address peers send it commands at (host:port).
	Addr string `json:"addr"`
	// Heartbeat is its last heartbeat, by Redis's clock.
	Heartbeat time.Time `json:"heartbeat"`
}

// heartbeatScript records a heartbeat and forgets the nodes dead for
// longer than ARGV[3] ms.
//
//	KEYS[1] members, KEYS[2] addrs; ARGV[1] id, ARGV[2] addr, ARGV[3] forget after (ms)
const heartbeatScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
for _, id in ipairs(gone) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return now
`

// liveScript returns Redis's time and the members whose heartbeat is at
// most ARGV[1] ms old: {now, id1, addr1, beat1, id2, ...}.
//
//	KEYS[1] members, KEYS[2] addrs; ARGV[1] dead after (ms)
const liveScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {now}
local ms = redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[1]), '+inf', 'WITHSCORES')
for i = 1, #ms, 2 do
  out[#out + 1] = ms[i]
  out[#out + 1] = redis.call('HGET', KEYS[2], ms[i]) or ''
  out[#out + 1] = ms[i + 1]
end
return out
`

// NewMembership returns the membership table under prefix on client.
func NewMembership(client goredis.UniversalClient, prefix string, deadAfter time.Duration) *Membership {
	tag := prefix + "{cluster}:"
	return &Membership{client: client, members: tag + "members", addrs: tag + "addrs", deadAfter: deadAfter,
		beat: goredis.NewScript(heartbeatScript), live: goredis.NewScript(liveScript)}
}

// Heartbeat records that node id is alive at addr, now by Redis's clock.
func (m *Membership) Heartbeat(ctx context.Context, id, addr string) error {
	forget := max(10*m.deadAfter, time.Minute)
	if err := m.beat.Run(ctx, m.client, []string{m.members, m.addrs}, id, addr, forget.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("cluster: heartbeat of %s: %w", id, err)
	}
	return nil
}

// Leave removes node id from the table at once (a planned shutdown).
func (m *Membership) Leave(ctx context.Context, id string) error {
	pipe := m.client.TxPipeline()
	pipe.ZRem(ctx, m.members, id)
	pipe.HDel(ctx, m.addrs, id)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("cluster: %s leaves: %w", id, err)
	}
	return nil
}

// Live returns the live members, sorted by id.
func (m *Membership) Live(ctx context.Context) ([]Member, error) {
	vals, err := m.live.Run(ctx, m.client, []string{m.members, m.addrs}, m.deadAfter.Milliseconds()).Slice()
	if err != nil {
		return nil, fmt.Errorf("cluster: read the members: %w", err)
	}
	var out []Member
	for i := 1; i+2 < len(vals); i += 3 {
		id, _ := vals[i].(string)
		addr, _ := vals[i+1].(string)
		s, _ := vals[i+2].(string)
		ms, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("cluster: member %s: heartbeat %q: %w", id, s, err)
		}
		out = append(out, Member{ID: id, Addr: addr, Heartbeat: time.UnixMilli(int64(ms)).UTC()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
