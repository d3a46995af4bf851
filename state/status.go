package state

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// Status summarises the state for `snowduty status`.
type Status struct {
	Prefix      string
	Identity    Identity
	Links       int64 // linked pairs
	Snapshots   int64
	Active      int64 // pairs in the active set
	Closing     int64 // active pairs marked closed on both sides
	Intents     int64 // unresolved create intents
	RetryQueue  int64 // pairs waiting for a retry
	RetryDue    int64 // of which due now
	DeadLetters int64
	AuditEvents int64
	Cursors     Cursors
	Leader      *Leader // nil when nobody holds the lease
	// Journal says whether the ServiceNow journal was readable when the
	// daemon last tried.
	Journal JournalAccess
}

// countScript: KEYS[1] meta; ARGV tag. Returns sizes of the bucket
// families l, s, a.
var countScript = redis.NewScript(`
local out = {}
for _, fam in ipairs({'l:', 's:', 'a:'}) do
  local n = 0
  for i = 0, 4095 do n = n + redis.call('HLEN', ARGV[1] .. fam .. string.format('%03x', i)) end
  out[#out+1] = n
end
return out
`)

// ActiveCount returns how many pairs are in the active set (one round trip
// that walks every bucket: for an occasional sizing, not per pass).
func (s *Store) ActiveCount(ctx context.Context) (int64, error) {
	counts, err := countScript.Run(ctx, s.rdb, []string{s.key(keyMeta)}, s.tag).Int64Slice()
	if err != nil {
		return 0, s.wrap("count active pairs", err)
	}
	return counts[2], nil
}

// Status reads counts, cursors, the leader, the identity and the journal
// access (a few round trips; it walks every bucket, so call it for status,
// not per pass).
func (s *Store) Status(ctx context.Context) (Status, error) {
	st := Status{Prefix: s.o.Prefix}
	counts, err := countScript.Run(ctx, s.rdb, []string{s.key(keyMeta)}, s.tag).Int64Slice()
	if err != nil {
		return st, s.wrap("read status", err)
	}
	st.Links, st.Snapshots, st.Active = counts[0], counts[1], counts[2]
	now := s.now()
	var closing, intents, queue, due, dead, audit *redis.IntCmd
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		closing = p.ZCard(ctx, s.key(keyClosing))
		intents = p.HLen(ctx, s.key(keyIntents))
		queue = p.ZCard(ctx, s.key(keyQueue))
		due = p.ZCount(ctx, s.key(keyQueue), "-inf", ms(now))
		dead = p.HLen(ctx, s.key(keyDead))
		audit = p.XLen(ctx, s.key(keyAudit))
		return nil
	})
	if err != nil {
		return st, s.wrap("read status", err)
	}
	st.Closing, st.Intents, st.RetryQueue = closing.Val(), intents.Val(), queue.Val()
	st.RetryDue, st.DeadLetters, st.AuditEvents = due.Val(), dead.Val(), audit.Val()
	if st.Cursors, err = s.Cursors(ctx); err != nil {
		return st, err
	}
	if st.Identity, err = s.RecordedIdentity(ctx); err != nil {
		return st, err
	}
	if st.Journal, err = s.JournalAccess(ctx); err != nil {
		return st, err
	}
	l, ok, err := s.CurrentLeader(ctx)
	if err != nil {
		return st, err
	}
	if ok {
		st.Leader = &l
	}
	return st, nil
}
