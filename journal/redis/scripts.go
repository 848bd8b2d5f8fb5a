package redis

import (
	"context"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// appendScript runs a batch of appends to one partition, each checked and
// answered on its own. It never fails half-way on its own data: every
// check comes before the writes of its append.
//
//	KEYS[1] head, KEYS[2] log, KEYS[2+i] the aggregate of append i
//	ARGV[1] m (appends), then for each append: expected, n, n payloads
//
// It returns one integer per append: the position of its last event, or
// -1-actual when the aggregate was not at the expected version (nothing of
// that append is written). Positions follow the head without gaps; the log
// entry of position p has id "p-0".
const appendScript = `
local kb, ab = 2, 1
` + appendBody

// fencedAppendScript is appendScript behind a lease check, for a journal
// with a Fence: the partition's lease must hold the writer's token, or
// nothing is written and the script fails with a FENCED error.
//
//	KEYS[1] head, KEYS[2] log, KEYS[3] lease, KEYS[3+i] the aggregate of append i
//	ARGV[1] the writer's lease token, ARGV[2] m, then as appendScript
const fencedAppendScript = `
local lease = redis.call('GET', KEYS[3])
if lease ~= ARGV[1] then
  return redis.error_reply('FENCED partition lease is ' .. tostring(lease) .. ', not ' .. ARGV[1])
end
local kb, ab = 3, 2
` + appendBody

// appendBody is the appends of appendScript: kb is the index of the key
// before the first aggregate's, ab the index of m in ARGV.
const appendBody = `
local head = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = head
local out = {}
local a = ab + 1
for i = 1, tonumber(ARGV[ab]) do
  local key = KEYS[kb + i]
  local expected = tonumber(ARGV[a])
  local n = tonumber(ARGV[a + 1])
  a = a + 2
  local v = redis.call('LLEN', key)
  if v ~= expected then
    out[i] = -1 - v
  else
    local pos = {}
    for k = 1, n do
      head = head + 1
      redis.call('XADD', KEYS[2], string.format('%d-0', head), 'e', ARGV[a + k - 1])
      pos[#pos + 1] = head
      if #pos == 1000 then
        redis.call('RPUSH', key, unpack(pos))
        pos = {}
      end
    end
    if #pos > 0 then
      redis.call('RPUSH', key, unpack(pos))
    end
    out[i] = head
  end
  a = a + n
end
if head ~= start then
  redis.call('SET', KEYS[1], string.format('%d', head))
end
return out
`

// readScript returns an aggregate's events with versions ARGV[1]..ARGV[2]
// (1-based; ARGV[2] = 0: to the end) in one round trip: it reads the
// aggregate's positions and fetches each run of consecutive positions from
// the log with one XRANGE.
//
//	KEYS[1] the aggregate, KEYS[2] the log
const readScript = `
local from = tonumber(ARGV[1])
local out = {}
` + readLoop

// readAfterScript is readScript after a version found in a sorted set
// scored by versions (a snapshot store's set): it returns the member with
// the highest score at most ARGV[1] ('+inf': any), or an empty string when
// there is none, and its score ('0' when none), then the aggregate's events
// after that score up to ARGV[2] (0: to the end).
//
//	KEYS[1] the aggregate, KEYS[2] the log, KEYS[3] the sorted set
const readAfterScript = `
local found = redis.call('ZREVRANGEBYSCORE', KEYS[3], ARGV[1], '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
local out = {'', '0'}
if #found > 0 then
  out[1] = found[1]
  out[2] = found[2]
end
local from = tonumber(out[2]) + 1
` + readLoop

// readLoop appends to out the events of aggregate KEYS[1] with versions
// from..ARGV[2] (0: to the end), read from the log KEYS[2].
const readLoop = `
local stop = tonumber(ARGV[2])
if stop == 0 then stop = -1 else stop = stop - 1 end
if stop ~= -1 and stop < from - 1 then return out end
local pos = redis.call('LRANGE', KEYS[1], from - 1, stop)
local i = 1
while i <= #pos do
  local first = tonumber(pos[i])
  local last = first
  local j = i + 1
  while j <= #pos and tonumber(pos[j]) == last + 1 do
    last = last + 1
    j = j + 1
  end
  local entries = redis.call('XRANGE', KEYS[2], string.format('%d-0', first), string.format('%d-0', last))
  for _, e in ipairs(entries) do
    out[#out + 1] = e[2][2]
  end
  i = j
end
return out
`

// script is a Lua script run by its SHA1, loaded again (EVAL) when the
// server answers NOSCRIPT: after a restart, a failover, or on a cluster
// node that has not seen it yet.
type script struct {
	*goredis.Script
	src string
}

func newScript(src string) script { return script{Script: goredis.NewScript(src), src: src} }

// cmd returns an EVALSHA command that go-redis never retries.
func (s script) cmd(ctx context.Context, keys []string, args []any) goredis.Cmder {
	return s.cmdFor(ctx, "evalsha", s.Hash(), keys, args)
}

// evalCmd returns the same command as EVAL with the source, which loads the
// script into the server's cache.
func (s script) evalCmd(ctx context.Context, keys []string, args []any) goredis.Cmder {
	return s.cmdFor(ctx, "eval", s.src, keys, args)
}

func (s script) cmdFor(ctx context.Context, name, body string, keys []string, args []any) goredis.Cmder {
	all := make([]any, 0, 3+len(keys)+len(args))
	all = append(all, name, body, len(keys))
	for _, k := range keys {
		all = append(all, k)
	}
	all = append(all, args...)
	c := goredis.NewCmd(ctx, all...)
	// EVAL's first key is its fourth argument: tell the cluster client.
	c.SetFirstKeyPos(3)
	return noRetry{c}
}

// noRetry is a command that go-redis must not send twice: once sent, an
// append's outcome is the journal's to decide.
type noRetry struct{ *goredis.Cmd }

func (noRetry) NoRetry() bool { return true }

func isNoScript(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT")
}

func isFenced(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "FENCED")
}
