package state

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Side names one of the two systems.
type Side string

// The two sides.
const (
	SideServiceNow Side = "servicenow"
	SideFlashduty  Side = "flashduty"
)

func (sd Side) valid() bool { return sd == SideServiceNow || sd == SideFlashduty }

// Intent records that a pair's incident is being created on Side.
type Intent struct {
	PairID  string
	Side    Side
	Started time.Time
}

// beginCreateScript: fenced; KEYS[2] intents; ARGV[4] pair, ARGV[5] value.
var beginCreateScript = redis.NewScript(fencePrelude + `
return redis.call('HSETNX', KEYS[2], ARGV[4], ARGV[5])
`)

// BeginCreate records, before a create, that pairID's incident is being
// created on side. ok is false when the pair already has an intent (live or
// expired): then do not create; an expired one must first be resolved by
// searching the other side (see ExpiredIntents). ErrFenced unless f holds
// the lease, so a stale leader can never start a create.
func (s *Store) BeginCreate(ctx context.Context, f Fence, pairID string, side Side, at time.Time) (bool, error) {
	if pairID == "" || !side.valid() {
		return false, fmt.Errorf("begin create: pair %q and side %q must be set (side servicenow or flashduty)", pairID, side)
	}
	args := append(s.fenceArgs(f), pairID, string(side)+"|"+ms(at))
	n, err := beginCreateScript.Run(ctx, s.rdb, []string{s.key(keyLease), s.key(keyIntents)}, args...).Int64()
	if err != nil {
		return false, s.wrap("begin create", err)
	}
	return n == 1, nil
}

// ResolveIntent removes the intent of a pair: the create succeeded (and
// the link is stored) or a search settled it. Resolving a missing intent is
// not an error.
func (s *Store) ResolveIntent(ctx context.Context, pairID string) error {
	return s.wrap("resolve intent", s.rdb.HDel(ctx, s.key(keyIntents), pairID).Err())
}

// Intents lists every unresolved intent, oldest first.
func (s *Store) Intents(ctx context.Context) ([]Intent, error) {
	all, err := s.rdb.HGetAll(ctx, s.key(keyIntents)).Result()
	if err != nil {
		return nil, s.wrap("list intents", err)
	}
	out := make([]Intent, 0, len(all))
	for pair, v := range all {
		side, at, _ := strings.Cut(v, "|")
		out = append(out, Intent{PairID: pair, Side: Side(side), Started: fromMs(at)})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Started.Equal(out[j].Started) {
			return out[i].Started.Before(out[j].Started)
		}
		return out[i].PairID < out[j].PairID
	})
	return out, nil
}

// IntentExpired reports whether in was started Options.IntentTTL or more
// before now: its create crashed or timed out, and searching the other side
// must settle it before any new create. It is the one definition of an
// expired intent (ExpiredIntents uses it).
func (s *Store) IntentExpired(in Intent, now time.Time) bool {
	return !in.Started.After(now.Add(-s.o.IntentTTL))
}

// ExpiredIntents lists the intents that IntentExpired reports expired at
// now, oldest first.
func (s *Store) ExpiredIntents(ctx context.Context, now time.Time) ([]Intent, error) {
	all, err := s.Intents(ctx)
	if err != nil {
		return nil, err
	}
	var out []Intent
	for _, in := range all {
		if s.IntentExpired(in, now) {
			out = append(out, in)
		}
	}
	return out, nil
}
