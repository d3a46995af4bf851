package state

import (
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Batch operations cost one network round trip per batch, however many
// pairs are in it.
func TestBatchOperationsUseOneRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, ctx := e.s, t.Context()
	// Warm both connection pools (plain and pipeline) so connection setup
	// (HELLO, CLIENT SETINFO) is not counted against the first batch.
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error { p.Ping(ctx); return nil }); err != nil {
		t.Fatal(err)
	}
	const n = 100
	var links []Link
	var pairs, sysIDs, incIDs []string
	var writes []SnapshotWrite
	checked := map[string]time.Time{}
	for i := range n {
		l := Link{SysID: fmt.Sprintf("sys%03d", i), IncidentID: fmt.Sprintf("inc%03d", i), Origin: OriginServiceNow}
		links = append(links, l)
		pairs = append(pairs, l.PairID())
		sysIDs = append(sysIDs, l.SysID)
		incIDs = append(incIDs, l.IncidentID)
		writes = append(writes, SnapshotWrite{PairID: l.PairID(), Data: []byte("snapshot")})
		checked[l.PairID()] = e.clock.Now()
	}
	// The links the lookups below read (PutLink stores one at a time).
	if _, err := s.putLinks(ctx, links); err != nil {
		t.Fatal(err)
	}
	rt := &roundTrips{}
	s.rdb.AddHook(rt)
	ops := []struct {
		name string
		fn   func() error
	}{
		{"AddActive", func() error { return s.AddActive(ctx, pairs...) }},
		{"PutSnapshots", func() error { _, err := s.PutSnapshots(ctx, e.fence, writes); return err }},
		{"Snapshots", func() error {
			m, err := s.Snapshots(ctx, pairs)
			if len(m) != n {
				return fmt.Errorf("got %d snapshots", len(m))
			}
			return err
		}},
		{"LinksBySysIDs", func() error { _, err := s.LinksBySysIDs(ctx, sysIDs); return err }},
		{"LinksByIncidentIDs", func() error {
			m, err := s.LinksByIncidentIDs(ctx, incIDs)
			if len(m) != n {
				return fmt.Errorf("got %d links", len(m))
			}
			return err
		}},
		{"LinksByPairIDs", func() error { _, err := s.LinksByPairIDs(ctx, pairs); return err }},
		{"ActivePairs", func() error {
			p, _, err := s.ActivePairs(ctx, "", n)
			if len(p) != n {
				return fmt.Errorf("got %d active pairs", len(p))
			}
			return err
		}},
		{"NextFeedBatch", func() error { _, err := s.NextFeedBatch(ctx, 20); return err }},
		{"SetFeedChecked", func() error { return s.SetFeedChecked(ctx, e.fence, checked) }},
		{"MarkClosed", func() error { return s.MarkClosed(ctx, e.clock.Now(), pairs...) }},
		{"Prune", func() error { _, err := s.Prune(ctx, e.clock.Now()); return err }},
		{"Due", func() error { _, err := s.Due(ctx, e.clock.Now(), n); return err }},
	}
	for _, op := range ops {
		var err error
		got := rt.count(func() { err = op.fn() })
		if err != nil {
			t.Fatalf("%s: %v", op.name, err)
		}
		if got != 1 {
			t.Errorf("%s of %d pairs took %d round trips, want 1", op.name, n, got)
		}
	}
}
