package state

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Retry is a pair waiting in the retry queue. The queue holds one entry per
// pair: a retry reconciles the whole pair again; Op and Err are those of
// the latest failure.
type Retry struct {
	PairID      string
	Op          string
	Err         string
	Attempt     int       // failures so far (1 after the first)
	Due         time.Time // when to try again
	FirstFailed time.Time
}

// DeadLetter is a pair that failed on every attempt.
type DeadLetter struct {
	PairID      string
	Op          string
	Err         string
	Attempts    int
	FirstFailed time.Time
	At          time.Time // when it was dead-lettered
}

// Scheduled is the outcome of Schedule.
type Scheduled struct {
	Retry
	// Dead is true when this failure was the last allowed attempt: the pair
	// moved to the dead letters instead of the queue.
	Dead bool
}

// scheduleScript: KEYS q, qd, d; ARGV pair, op, err, now, base, max,
// max attempts. Returns dead (0/1), attempt, due ms, first ms.
var scheduleScript = redis.NewScript(`
local pair, now = ARGV[1], tonumber(ARGV[4])
local attempt, first = 0, ARGV[4]
local cur = redis.call('HGET', KEYS[2], pair)
if cur then
  local a, f = string.match(cur, '^(%d+)|(%d+)|')
  if a then attempt, first = tonumber(a), f end
end
attempt = attempt + 1
if attempt >= tonumber(ARGV[7]) then
  redis.call('ZREM', KEYS[1], pair)
  redis.call('HDEL', KEYS[2], pair)
  redis.call('HSET', KEYS[3], pair, attempt .. '|' .. ARGV[4] .. '|' .. first .. '|' .. ARGV[2] .. '|' .. ARGV[3])
  return {1, attempt, ARGV[4], first}
end
local delay = math.min(tonumber(ARGV[5]) * math.pow(2, attempt - 1), tonumber(ARGV[6]))
local due = string.format('%.0f', now + delay)
redis.call('ZADD', KEYS[1], due, pair)
redis.call('HSET', KEYS[2], pair, attempt .. '|' .. first .. '|' .. ARGV[2] .. '|' .. ARGV[3])
return {0, attempt, due, first}
`)

// dueScript: KEYS q, qd; ARGV now, limit. Returns pair, due, data per pair.
var dueScript = redis.NewScript(`
local ps = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for i = 1, #ps, 2 do
  out[#out+1] = ps[i]
  out[#out+1] = ps[i+1]
  out[#out+1] = redis.call('HGET', KEYS[2], ps[i]) or ''
end
return out
`)

// replayScript: KEYS q, qd, d; ARGV now, pair ("" for all). Returns count.
var replayScript = redis.NewScript(`
local ps = {}
if ARGV[2] ~= '' then ps = {ARGV[2]} else ps = redis.call('HKEYS', KEYS[3]) end
local n = 0
for _, p in ipairs(ps) do
  local v = redis.call('HGET', KEYS[3], p)
  if v then
    local first, op, err = string.match(v, '^%d+|%d+|(%d+)|([^|]*)|(.*)$')
    redis.call('HDEL', KEYS[3], p)
    redis.call('ZADD', KEYS[1], ARGV[1], p)
    redis.call('HSET', KEYS[2], p, '0|' .. (first or ARGV[1]) .. '|' .. (op or '') .. '|' .. (err or ''))
    n = n + 1
  end
end
return n
`)

// Schedule records a failed operation on a pair. The next try is due
// RetryBase after the first failure, doubling per failure up to RetryMax;
// the MaxAttempts-th failure moves the pair to the dead letters (with err).
// err must not hold secrets: it is stored and shown by status commands.
func (s *Store) Schedule(ctx context.Context, pairID, op, errText string) (Scheduled, error) {
	if pairID == "" || op == "" || strings.Contains(op, "|") {
		return Scheduled{}, fmt.Errorf("schedule retry: pair %q and op %q must be set, op without '|'", pairID, op)
	}
	now := s.now()
	res, err := scheduleScript.Run(ctx, s.rdb, []string{s.key(keyQueue), s.key(keyQueueData), s.key(keyDead)},
		pairID, op, errText, ms(now), s.o.RetryBase.Milliseconds(), s.o.RetryMax.Milliseconds(), s.o.MaxAttempts).Slice()
	if err != nil {
		return Scheduled{}, s.wrap("schedule retry", err)
	}
	dead, _ := res[0].(int64)
	attempt, _ := res[1].(int64)
	due, _ := res[2].(string)
	first, _ := res[3].(string)
	out := Scheduled{
		Retry: Retry{PairID: pairID, Op: op, Err: errText, Attempt: int(attempt), Due: fromMs(due), FirstFailed: fromMs(first)},
		Dead:  dead == 1,
	}
	if out.Dead {
		out.Due = time.Time{} // the caller logs and audits it
	}
	return out, nil
}

// Due returns up to limit retries due at now, earliest first. They stay
// queued until Done (success) or Schedule (another failure).
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]Retry, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list due retries: limit %d must be positive", limit)
	}
	res, err := dueScript.Run(ctx, s.rdb, []string{s.key(keyQueue), s.key(keyQueueData)}, ms(now), limit).StringSlice()
	if err != nil {
		return nil, s.wrap("list due retries", err)
	}
	out := make([]Retry, 0, len(res)/3)
	for i := 0; i+2 < len(res); i += 3 {
		r := Retry{PairID: res[i], Due: fromMs(res[i+1])}
		if p := strings.SplitN(res[i+2], "|", 4); len(p) == 4 {
			r.Attempt, _ = strconv.Atoi(p[0])
			r.FirstFailed, r.Op, r.Err = fromMs(p[1]), p[2], p[3]
		}
		out = append(out, r)
	}
	return out, nil
}

// Done removes a pair from the retry queue (its retry succeeded).
func (s *Store) Done(ctx context.Context, pairID string) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, s.key(keyQueue), pairID)
		p.HDel(ctx, s.key(keyQueueData), pairID)
		return nil
	})
	return s.wrap("finish retry", err)
}

// DeadLetters lists the dead-lettered pairs, oldest first.
func (s *Store) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	all, err := s.rdb.HGetAll(ctx, s.key(keyDead)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, s.wrap("list dead letters", err)
	}
	out := make([]DeadLetter, 0, len(all))
	for pair, v := range all {
		d := DeadLetter{PairID: pair}
		if p := strings.SplitN(v, "|", 5); len(p) == 5 {
			d.Attempts, _ = strconv.Atoi(p[0])
			d.At, d.FirstFailed, d.Op, d.Err = fromMs(p[1]), fromMs(p[2]), p[3], p[4]
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].PairID < out[j].PairID
	})
	return out, nil
}

// Replay moves dead letters back into the retry queue, due now, with a
// fresh set of attempts: one pair, or all when pairID is "". It returns
// how many moved.
func (s *Store) Replay(ctx context.Context, pairID string) (int, error) {
	n, err := replayScript.Run(ctx, s.rdb, []string{s.key(keyQueue), s.key(keyQueueData), s.key(keyDead)},
		ms(s.now()), pairID).Int()
	if err != nil {
		return 0, s.wrap("replay dead letters", err)
	}
	return n, nil
}

// ClearDeadLetters drops the dead letters of pairs that have since synced
// (a person fixed the cause and a later pass succeeded), so that the dead
// letter count only shows pairs that still need an operator. Clearing a
// pair without one is not an error. One round trip.
func (s *Store) ClearDeadLetters(ctx context.Context, pairIDs ...string) (int, error) {
	if len(pairIDs) == 0 {
		return 0, nil
	}
	n, err := s.rdb.HDel(ctx, s.key(keyDead), pairIDs...).Result()
	if err != nil {
		return 0, s.wrap("clear dead letters", err)
	}
	return int(n), nil
}
