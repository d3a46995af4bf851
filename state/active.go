package state

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ActivePair is a member of the active set: a pair still open on at least
// one side, or closed on both and not yet pruned (see MarkClosed).
type ActivePair struct {
	PairID string
	// FeedChecked is when the pair's Flashduty feed was last read (zero:
	// never).
	FeedChecked time.Time
}

// scanActiveScript walks the active buckets in order, sorted by pair id
// within a bucket, from a position (bucket, after) and returns up to n
// pairs. KEYS[1] cursor hash; ARGV tag, bucket, after, n, mode, stop. Mode
// "feed" starts from (and saves) the round-robin pointer and wraps around
// once; mode "scan" stops before bucket stop. Returns next bucket (-1:
// end), next after, then pair, feed-checked per pair.
var scanActiveScript = redis.NewScript(`
local tag, n, feed = ARGV[1], tonumber(ARGV[4]), ARGV[5] == 'feed'
local b, after, stop = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[6])
if not feed and b >= stop then return {-1, ''} end
if feed then
  local ptr = redis.call('HGET', KEYS[1], 'ptr')
  if ptr then
    local pb, pa = string.match(ptr, '^(%d+)|(.*)$')
    if pb then b, after = tonumber(pb), pa end
  end
end
local out, seen, taken = {}, {}, 0
local visited = 0
while visited <= 4096 do
  local kv = redis.call('HGETALL', tag .. 'a:' .. string.format('%03x', b))
  local names, vals = {}, {}
  for i = 1, #kv, 2 do names[#names+1] = kv[i]; vals[kv[i]] = kv[i+1] end
  table.sort(names)
  for _, p in ipairs(names) do
    if (after == '' or p > after) and not seen[p] then
      if taken >= n then
        if feed then redis.call('HSET', KEYS[1], 'ptr', b .. '|' .. after) end
        table.insert(out, 1, after)
        table.insert(out, 1, b)
        return out
      end
      seen[p] = true
      taken = taken + 1
      out[#out+1] = p
      out[#out+1] = vals[p]
      after = p
    end
  end
  b, after, visited = b + 1, '', visited + 1
  if not feed and b >= stop then
    table.insert(out, 1, '')
    table.insert(out, 1, -1)
    return out
  end
  if b >= 4096 then b = 0 end
end
if feed then redis.call('HSET', KEYS[1], 'ptr', b .. '|' .. after) end
table.insert(out, 1, after)
table.insert(out, 1, b)
return out
`)

// pruneScript: KEYS[1] closing zset; ARGV tag, cutoff ms, limit.
var pruneScript = redis.NewScript(`
local ps = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, p in ipairs(ps) do
  redis.call('HDEL', ARGV[1] .. 'a:' .. string.sub(redis.sha1hex(p), 1, 3), p)
  redis.call('ZREM', KEYS[1], p)
end
return ps
`)

// setFeedCheckedScript: fenced; KEYS[2..] bucket per pair; ARGV[4..]
// pair, seconds. Only pairs still active are updated.
var setFeedCheckedScript = redis.NewScript(fencePrelude + `
for i = 2, #KEYS do
  local j = 4 + 2 * (i - 2)
  if redis.call('HEXISTS', KEYS[i], ARGV[j]) == 1 then
    redis.call('HSET', KEYS[i], ARGV[j], ARGV[j+1])
  end
end
return 1
`)

// AddActive puts pairs in the active set (keeping their feed check time if
// already there) and clears any closed mark: a reopened pair stays. One
// round trip.
func (s *Store) AddActive(ctx context.Context, pairIDs ...string) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range pairIDs {
			p.HSetNX(ctx, s.bkey(bucketActive, id), id, "0")
			p.ZRem(ctx, s.key(keyClosing), id)
		}
		return nil
	})
	return s.wrap("add active pairs", err)
}

// RemoveActive takes pairs out of the active set at once. One round trip.
func (s *Store) RemoveActive(ctx context.Context, pairIDs ...string) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range pairIDs {
			p.HDel(ctx, s.bkey(bucketActive, id), id)
			p.ZRem(ctx, s.key(keyClosing), id)
		}
		return nil
	})
	return s.wrap("remove active pairs", err)
}

// MarkClosed records that pairs are closed on both sides as of at; they
// stay in (or join) the active set, and Prune removes them once ClosedGrace
// has passed, unless AddActive reopened them. A pair already marked keeps
// its first time.
func (s *Store) MarkClosed(ctx context.Context, at time.Time, pairIDs ...string) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range pairIDs {
			// A pair linked while closed (adopted after Redis was lost, say)
			// is watched too: a later edit of a closed incident must sync.
			p.HSetNX(ctx, s.bkey(bucketActive, id), id, "0")
			p.ZAddNX(ctx, s.key(keyClosing), redis.Z{Score: float64(at.UnixMilli()), Member: id})
		}
		return nil
	})
	return s.wrap("mark pairs closed", err)
}

// pruneLimit bounds the pairs one Prune call removes.
const pruneLimit = 10000

// Prune removes from the active set the pairs marked closed at least
// ClosedGrace before now, and returns them (at most 10,000 per call).
func (s *Store) Prune(ctx context.Context, now time.Time) ([]string, error) {
	cutoff := now.Add(-s.o.ClosedGrace)
	ids, err := pruneScript.Run(ctx, s.rdb, []string{s.key(keyClosing)}, s.tag, ms(cutoff), pruneLimit).StringSlice()
	if err != nil {
		return nil, s.wrap("prune active pairs", err)
	}
	return ids, nil
}

// ActivePairs returns up to n active pairs after cursor ("" to start) and
// the cursor of the next batch ("" when the walk is complete). The order is
// stable; pairs added or removed during a walk may or may not be seen. One
// round trip per batch.
func (s *Store) ActivePairs(ctx context.Context, cursor string, n int) ([]ActivePair, string, error) {
	b, after, stop, ok := parseWalkCursor(cursor)
	if !ok {
		return nil, "", fmt.Errorf("list active pairs: cursor %q is not one this store returned", cursor)
	}
	pairs, nb, na, err := s.scanActive(ctx, b, after, n, "scan", stop)
	if err != nil {
		return nil, "", s.wrap("list active pairs", err)
	}
	if nb < 0 {
		return pairs, "", nil
	}
	next := strconv.Itoa(nb) + "|" + na
	if stop != numBuckets {
		next += "|" + strconv.Itoa(stop)
	}
	return pairs, next, nil
}

// parseWalkCursor decodes "bucket|after" or "bucket|after|stop" ("" is
// the whole set).
func parseWalkCursor(cursor string) (b int, after string, stop int, ok bool) {
	if cursor == "" {
		return 0, "", numBuckets, true
	}
	parts := strings.Split(cursor, "|")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, "", 0, false
	}
	b, err := strconv.Atoi(parts[0])
	if err != nil || b < 0 || b >= numBuckets {
		return 0, "", 0, false
	}
	stop = numBuckets
	if len(parts) == 3 {
		if stop, err = strconv.Atoi(parts[2]); err != nil || stop < 0 || stop > numBuckets {
			return 0, "", 0, false
		}
	}
	return b, parts[1], stop, true
}

// WalkFrom returns the start cursors of walks that together see every
// active pair once, starting at fraction f ∈ [0, 1) of the set's buckets:
// from there to the end, then from the beginning up to there. Passes that
// may be cut short start at a random point, so that the pairs late in the
// order are not always the ones left out.
func WalkFrom(f float64) []string {
	b := int(f * numBuckets)
	if b <= 0 || b >= numBuckets {
		return []string{""}
	}
	return []string{strconv.Itoa(b) + "|", "0||" + strconv.Itoa(b)}
}

// NextFeedBatch returns the next n active pairs in round-robin order for
// the feed budget, and advances the shared pointer (the "ptr" field of the
// cursors hash): successive calls go around the whole set. One round trip.
// Moving the pointer is a write, so a read-only store refuses it with
// ErrReadOnly.
func (s *Store) NextFeedBatch(ctx context.Context, n int) ([]ActivePair, error) {
	if s.o.ReadOnly {
		// The hook lets scanActiveScript through (its scan mode only reads),
		// so the feed mode's HSET must be refused here.
		return nil, fmt.Errorf("next feed batch: %w", ErrReadOnly)
	}
	pairs, _, _, err := s.scanActive(ctx, 0, "", n, "feed", numBuckets)
	if err != nil {
		return nil, s.wrap("next feed batch", err)
	}
	return pairs, nil
}

func (s *Store) scanActive(ctx context.Context, b int, after string, n int, mode string, stop int) ([]ActivePair, int, string, error) {
	if n <= 0 {
		return nil, -1, "", fmt.Errorf("batch size %d must be positive", n)
	}
	res, err := scanActiveScript.Run(ctx, s.rdb, []string{s.key(keyCursors)}, s.tag, b, after, n, mode, stop).Slice()
	if err != nil {
		return nil, 0, "", err
	}
	nb, _ := res[0].(int64)
	na, _ := res[1].(string)
	pairs := make([]ActivePair, 0, (len(res)-2)/2)
	for i := 2; i+1 < len(res); i += 2 {
		id, _ := res[i].(string)
		v, _ := res[i+1].(string)
		pairs = append(pairs, ActivePair{PairID: id, FeedChecked: fromSec(v)})
	}
	return pairs, int(nb), na, nil
}

// SetFeedChecked records when the feeds of pairs were read; pairs no longer
// active are skipped. ErrFenced unless f holds the lease. One round trip.
func (s *Store) SetFeedChecked(ctx context.Context, f Fence, checked map[string]time.Time) error {
	if len(checked) == 0 {
		return nil
	}
	keys := []string{s.key(keyLease)}
	args := s.fenceArgs(f)
	for id, at := range checked {
		keys = append(keys, s.bkey(bucketActive, id))
		args = append(args, id, sec(at))
	}
	err := setFeedCheckedScript.Run(ctx, s.rdb, keys, args...).Err()
	return s.wrap("set feed checked", err)
}
