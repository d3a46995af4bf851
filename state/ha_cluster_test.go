package state

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/snowduty/snowduty/state/redistest"
)

// haWorkload drives every Store operation against one store, pair by
// pair, and remembers what was acknowledged so that it can check it all
// afterwards.
type haWorkload struct {
	s     *Store
	f     Fence
	clock *fakeClock
	n     int              // pairs made so far
	snaps map[string]int64 // pair → last acknowledged snapshot version
	links map[string]Link  // incident id → acknowledged link
	extra int              // snapshots stored outside the workload
	errs  map[string]int   // "op: error" → count
}

func newHAWorkload(s *Store, f Fence, clock *fakeClock) *haWorkload {
	return &haWorkload{s: s, f: f, clock: clock, snaps: map[string]int64{}, links: map[string]Link{}, errs: map[string]int{}}
}

// ok records a failed operation; it reports whether err was nil.
func (w *haWorkload) ok(op string, err error) bool {
	if err == nil {
		return true
	}
	w.errs[op+": "+err.Error()]++
	return false
}

// round makes one new pair and runs every operation of the Store once.
func (w *haWorkload) round(ctx context.Context) {
	s, f := w.s, w.f
	i := w.n
	w.n++
	l := Link{SysID: fmt.Sprintf("sys%04d", i), IncidentID: fmt.Sprintf("inc%04d", i), Number: fmt.Sprintf("INC%07d", i), Origin: OriginFlashduty}
	pair := l.PairID()
	if w.ok("put link", s.PutLink(ctx, l)) {
		w.links[l.IncidentID] = l
	}
	if res, err := s.PutSnapshots(ctx, f, []SnapshotWrite{{PairID: pair, Data: []byte("v1")}}); w.ok("put snapshots", err) && res[0].OK {
		w.snaps[pair] = res[0].Version
	}
	w.ok("add active", s.AddActive(ctx, pair))
	// Re-read and update an older pair.
	if i > 0 {
		old := fmt.Sprintf("inc%04d", (i*7)%i)
		if got, found, err := s.LinkByIncidentID(ctx, old); w.ok("link by incident id", err) && w.links[old] != (Link{}) && (!found || got.IncidentID != old) {
			w.errs["link by incident id: acknowledged link "+old+" not found"]++
		}
		if lk, ok := w.links[old]; ok {
			p := lk.PairID()
			if vs, err := s.Snapshots(ctx, []string{p}); w.ok("snapshots", err) {
				res, err := s.PutSnapshots(ctx, f, []SnapshotWrite{{PairID: p, Data: []byte(fmt.Sprintf("v%d", i)), IfVersion: vs[p].Version}})
				if w.ok("put snapshots (versioned)", err) && res[0].OK {
					w.snaps[p] = res[0].Version
				}
			}
			_, err := s.LinksByPairIDs(ctx, []string{p, "sn:none"})
			w.ok("links by pair ids", err)
		}
	}
	w.ok("renew lease", s.RenewLease(ctx, f))
	_, _, err := s.CurrentLeader(ctx)
	w.ok("current leader", err)
	if b, err := s.NextFeedBatch(ctx, 5); w.ok("next feed batch", err) && len(b) > 0 {
		w.ok("set feed checked", s.SetFeedChecked(ctx, f, map[string]time.Time{b[0].PairID: w.clock.Now()}))
	}
	_, err = s.Schedule(ctx, pair, "patch", "boom")
	w.ok("schedule", err)
	_, err = s.Due(ctx, w.clock.Now().Add(time.Hour), 3)
	w.ok("due", err)
	if i%2 == 0 {
		w.ok("done", s.Done(ctx, pair))
	}
	w.ok("set servicenow cursor", s.SetServiceNowCursor(ctx, f, SNCursor{UpdatedOn: w.clock.Now(), SysID: l.SysID}))
	_, err = s.Cursors(ctx)
	w.ok("cursors", err)
	_, err = s.BeginCreate(ctx, f, "fd:new"+l.IncidentID, SideServiceNow, w.clock.Now())
	w.ok("begin create", err)
	w.ok("resolve intent", s.ResolveIntent(ctx, "fd:new"+l.IncidentID))
	w.ok("audit", s.Audit(ctx, pair, Event{Kind: "push", Side: SideServiceNow, Field: "title"}))
	_, err = s.Status(ctx)
	w.ok("status", err)
	_, _, err = s.ActivePairs(ctx, "", 10)
	w.ok("active pairs", err)
}

// verify checks that everything acknowledged is there.
func (w *haWorkload) verify(t *testing.T, ctx context.Context) {
	t.Helper()
	ids := slices.Sorted(maps.Keys(w.links))
	got, err := w.s.LinksByIncidentIDs(ctx, ids)
	if err != nil {
		t.Fatalf("read links: %v", err)
	}
	for _, id := range ids {
		if got[id].SysID != w.links[id].SysID {
			t.Errorf("acknowledged link %s: read %+v", id, got[id])
		}
	}
	pairs := slices.Sorted(maps.Keys(w.snaps))
	vs, err := w.s.Snapshots(ctx, pairs)
	if err != nil {
		t.Fatalf("read snapshots: %v", err)
	}
	for _, p := range pairs {
		if vs[p].Version != w.snaps[p] {
			t.Errorf("snapshot %s: version %d, acknowledged %d", p, vs[p].Version, w.snaps[p])
		}
	}
	st, err := w.s.Status(ctx)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	if st.Links != int64(len(w.links)) || st.Snapshots != int64(len(w.snaps)+w.extra) {
		t.Errorf("status: %d links, %d snapshots; acknowledged %d and %d", st.Links, st.Snapshots, len(w.links), len(w.snaps)+w.extra)
	}
}

// errSummary lists the recorded errors, most frequent first.
func (w *haWorkload) errSummary() string {
	keys := slices.SortedFunc(maps.Keys(w.errs), func(a, b string) int { return w.errs[b] - w.errs[a] })
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %d× %s", w.errs[k], k)
	}
	return b.String()
}

// Every Store operation keeps working on a real 3-master Redis Cluster
// while the slot of the integration's keys (one hash tag, one slot) is
// migrated to another master, twice, keys and all: nothing acknowledged
// is lost and no operation fails.
func TestStoreAcrossClusterSlotMigration(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t, redistest.ClusterPassword("ha-cluster-pw"))
	clock := newClock()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	s, err := Open(ctx, Options{ClusterAddrs: c.Addrs(), Password: c.Password(), Prefix: "ha:", Logger: discardLogger(), Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	f, ok, err := s.AcquireLease(ctx, "leader")
	if err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	w := newHAWorkload(s, f, clock)
	for range 150 {
		w.round(ctx)
	}
	if len(w.errs) > 0 {
		t.Fatalf("errors before any migration:%s", w.errSummary())
	}
	slot, err := c.KeySlot(ctx, s.key(keyMeta))
	if err != nil {
		t.Fatal(err)
	}
	for move := range 2 {
		from, err := c.Owner(ctx, slot)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		var st redistest.MigrateStats
		go func() {
			var err error
			st, err = c.MigrateSlot(ctx, slot, c.Next(from), redistest.MigrateOptions{Batch: 3, Pause: 10 * time.Millisecond})
			done <- err
		}()
		rounds := 0
		for running := true; running; rounds++ {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("migration %d: %v", move+1, err)
				}
				running = false
			default:
			}
			w.round(ctx)
		}
		t.Logf("migration %d of slot %d: %d keys in %d batches from %s to %s in %v, %d workload rounds meanwhile",
			move+1, slot, st.Keys, st.Batches, st.From, st.To, st.Took.Round(time.Millisecond), rounds)
		if rounds < 2 {
			t.Fatalf("no workload round ran during migration %d: the test proves nothing", move+1)
		}
	}
	if len(w.errs) > 0 {
		t.Errorf("store operations failed during the slot migrations:%s", w.errSummary())
	}
	w.verify(t, ctx)
}
