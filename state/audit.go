package state

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Event is one audit record: what was done to a pair.
type Event struct {
	Time   time.Time
	Kind   string // e.g. push, conflict, create, error, dead_letter
	Side   Side   // the side written to, if any
	Field  string // the field concerned, if any
	Detail string // free text; must not hold secrets
}

// AuditRecord is an Event read back, with its pair and stream id.
type AuditRecord struct {
	ID     string
	PairID string
	Event
}

// auditScanChunk is how many stream entries AuditFor reads per round trip.
const auditScanChunk = 1000

// Audit appends an event for a pair to the audit stream, which is capped
// at about AuditMaxLen entries (oldest dropped first). A zero Time means
// now.
func (s *Store) Audit(ctx context.Context, pairID string, ev Event) error {
	if ev.Time.IsZero() {
		ev.Time = s.now()
	}
	err := s.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: s.key(keyAudit),
		MaxLen: s.o.AuditMaxLen,
		Approx: true,
		Values: []any{"p", pairID, "t", ms(ev.Time), "k", ev.Kind, "s", string(ev.Side), "f", ev.Field, "d", ev.Detail},
	}).Err()
	return s.wrap("write audit event", err)
}

// AuditFor returns up to n of the newest events of a pair, newest first.
// All pairs share one capped stream (memory stays bounded however many
// pairs there are), so a pair's history reaches back as far as the cap; the
// stream is read newest first, 1,000 entries per round trip, until n are
// found or it ends.
func (s *Store) AuditFor(ctx context.Context, pairID string, n int) ([]AuditRecord, error) {
	if n <= 0 {
		return nil, fmt.Errorf("read audit: n %d must be positive", n)
	}
	var out []AuditRecord
	end := "+"
	for len(out) < n {
		msgs, err := s.rdb.XRevRangeN(ctx, s.key(keyAudit), end, "-", auditScanChunk).Result()
		if err != nil {
			return nil, s.wrap("read audit", err)
		}
		for _, m := range msgs {
			r := decodeAudit(m)
			if r.PairID == pairID {
				out = append(out, r)
				if len(out) == n {
					return out, nil
				}
			}
		}
		if len(msgs) < auditScanChunk {
			break
		}
		end = "(" + msgs[len(msgs)-1].ID
	}
	return out, nil
}

func decodeAudit(m redis.XMessage) AuditRecord {
	str := func(k string) string { v, _ := m.Values[k].(string); return v }
	at, _ := strconv.ParseInt(str("t"), 10, 64)
	return AuditRecord{
		ID:     m.ID,
		PairID: str("p"),
		Event: Event{
			Time: time.UnixMilli(at).UTC(), Kind: str("k"), Side: Side(str("s")),
			Field: str("f"), Detail: str("d"),
		},
	}
}
