package state

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Fence proves leadership on writes. It is returned by AcquireLease; writes
// that take one fail with ErrFenced once another process holds the lease
// (or the lease ran out), so a stale leader cannot write.
type Fence struct {
	// Token grows with every new lease of the integration.
	Token int64
	// Holder is the holder id the lease was acquired with.
	Holder string
}

// Leader describes the current lease.
type Leader struct {
	Holder   string
	Token    int64
	Deadline time.Time
}

// nowPrelude defines now_ms(arg): arg (Unix ms from Options.Clock), or
// the Redis server's clock when arg is "".
const nowPrelude = `
local function now_ms(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`

// fencePrelude defines fence_ok and rejects the call unless the fence
// holds; fenced scripts take the lease key as KEYS[1] and token, holder,
// now (ms or "") as ARGV[1..3].
const fencePrelude = nowPrelude + `
local function fence_ok()
  local v = redis.call('GET', KEYS[1])
  if not v then return false end
  local t, dl, h = string.match(v, '^(%d+)|(%d+)|(.*)$')
  return t == ARGV[1] and h == ARGV[2] and tonumber(dl) > now_ms(ARGV[3])
end
if not fence_ok() then return redis.error_reply('FENCED') end
`

// acquireScript: KEYS lease, counter; ARGV holder, now, ttl ms.
var acquireScript = redis.NewScript(nowPrelude + `
local now = now_ms(ARGV[2])
local dl = string.format('%.0f', now + tonumber(ARGV[3]))
local v = redis.call('GET', KEYS[1])
if v then
  local t, cdl, h = string.match(v, '^(%d+)|(%d+)|(.*)$')
  if t and tonumber(cdl) > now then
    if h == ARGV[1] then
      redis.call('SET', KEYS[1], t .. '|' .. dl .. '|' .. h, 'PX', ARGV[3])
      return {1, t}
    end
    return {0, t}
  end
end
local t = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], t .. '|' .. dl .. '|' .. ARGV[1], 'PX', ARGV[3])
return {1, tostring(t)}
`)

// renewScript: fenced; ARGV[4] ttl ms.
var renewScript = redis.NewScript(fencePrelude + `
local dl = string.format('%.0f', now_ms(ARGV[3]) + tonumber(ARGV[4]))
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. dl .. '|' .. ARGV[2], 'PX', ARGV[4])
return 1
`)

// releaseScript: KEYS lease; ARGV token, holder.
var releaseScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and string.match(v, '^(%d+)|') == ARGV[1] and string.match(v, '^%d+|%d+|(.*)$') == ARGV[2] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`)

// leaderScript: KEYS lease; ARGV now. Returns the lease value ("" when
// none or expired).
var leaderScript = redis.NewScript(nowPrelude + `
local v = redis.call('GET', KEYS[1])
if not v then return '' end
local dl = string.match(v, '^%d+|(%d+)|')
if not dl or tonumber(dl) <= now_ms(ARGV[1]) then return '' end
return v
`)

// leaseNow is the "now" argument of lease scripts: "" for Redis's clock.
func (s *Store) leaseNow() string {
	if s.serverTime {
		return ""
	}
	return ms(s.now())
}

// AcquireLease makes holder the leader if nobody holds a live lease (or it
// already does, which extends it). holder must be unique per process, e.g.
// hostname-pid-random. ok is false when another process leads.
func (s *Store) AcquireLease(ctx context.Context, holder string) (Fence, bool, error) {
	if holder == "" || strings.Contains(holder, "|") {
		return Fence{}, false, fmt.Errorf("acquire lease: holder %q must be non-empty and without '|'", holder)
	}
	res, err := acquireScript.Run(ctx, s.rdb, []string{s.key(keyLease), s.key(keyFence)},
		holder, s.leaseNow(), s.o.LeaseTTL.Milliseconds()).Slice()
	if err != nil {
		return Fence{}, false, s.wrap("acquire lease", err)
	}
	tok, err := strconv.ParseInt(fmt.Sprint(res[1]), 10, 64)
	if err != nil {
		return Fence{}, false, fmt.Errorf("acquire lease: bad token %v", res[1])
	}
	if res[0].(int64) != 1 {
		return Fence{}, false, nil
	}
	return Fence{Token: tok, Holder: holder}, true, nil
}

// RenewLease extends the lease by LeaseTTL. It returns ErrFenced when the
// lease was lost (expired or taken): stop writing and try AcquireLease.
func (s *Store) RenewLease(ctx context.Context, f Fence) error {
	err := renewScript.Run(ctx, s.rdb, []string{s.key(keyLease)},
		f.Token, f.Holder, s.leaseNow(), s.o.LeaseTTL.Milliseconds()).Err()
	return s.wrap("renew lease", err)
}

// ReleaseLease gives the lease up if f still holds it, so a standby can
// take over at once. Releasing a lost lease is not an error.
func (s *Store) ReleaseLease(ctx context.Context, f Fence) error {
	err := releaseScript.Run(ctx, s.rdb, []string{s.key(keyLease)}, f.Token, f.Holder).Err()
	return s.wrap("release lease", err)
}

// CurrentLeader reads the lease; ok is false when nobody holds a live one.
func (s *Store) CurrentLeader(ctx context.Context) (Leader, bool, error) {
	v, err := leaderScript.Run(ctx, s.rdb, []string{s.key(keyLease)}, s.leaseNow()).Text()
	if err != nil {
		return Leader{}, false, s.wrap("read lease", err)
	}
	l, ok := parseLease(v)
	return l, ok, nil
}

func parseLease(v string) (Leader, bool) {
	parts := strings.SplitN(v, "|", 3)
	if len(parts) != 3 {
		return Leader{}, false
	}
	tok, err1 := strconv.ParseInt(parts[0], 10, 64)
	dl, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return Leader{}, false
	}
	return Leader{Holder: parts[2], Token: tok, Deadline: time.UnixMilli(dl).UTC()}, true
}

// fenceArgs are ARGV[1..3] of a fenced script.
func (s *Store) fenceArgs(f Fence) []any {
	return []any{f.Token, f.Holder, s.leaseNow()}
}

// ms formats t as Unix milliseconds.
func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// sec formats t as Unix seconds (0 for the zero time).
func sec(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// fromSec parses Unix seconds ("0" is the zero time).
func fromSec(v string) time.Time {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n == 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

// fromMs parses Unix milliseconds.
func fromMs(v string) time.Time {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}
