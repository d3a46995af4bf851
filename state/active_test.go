package state

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestCursors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, ctx := e.s, t.Context()
	if c, err := s.Cursors(ctx); err != nil || c != (Cursors{}) {
		t.Fatalf("fresh cursors = %+v %v", c, err)
	}
	sn := SNCursor{UpdatedOn: time.Date(2026, 11, 26, 9, 30, 15, 0, time.UTC), SysID: "abc"}
	fd := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	if err := s.SetServiceNowCursor(ctx, e.fence, sn); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFlashdutyWindow(ctx, e.fence, fd); err != nil {
		t.Fatal(err)
	}
	deep := fd.Add(-time.Minute)
	if err := s.SetFlashdutyDeep(ctx, e.fence, deep); err != nil {
		t.Fatal(err)
	}
	c, err := s.Cursors(ctx)
	if err != nil || c.ServiceNow != sn || !c.FlashdutyWindow.Equal(fd) || !c.FlashdutyDeep.Equal(deep) {
		t.Fatalf("cursors = %+v %v", c, err)
	}
	if err := s.SetServiceNowCursor(ctx, e.fence, SNCursor{SysID: "a|b"}); err == nil {
		t.Fatal("sys_id with '|' accepted")
	}
}

func pairIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("sn:%04d", i)
	}
	return ids
}

func TestActivePairsWalkSeesEachPairOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, ctx := e.s, t.Context()
	ids := pairIDs(250)
	if err := s.AddActive(ctx, ids...); err != nil {
		t.Fatal(err)
	}
	seen, batches := walkAll(t, s, "", 100)
	slices.Sort(seen)
	if !slices.Equal(seen, ids) || batches != 3 {
		t.Fatalf("walk saw %d pairs in %d batches, want 250 in 3", len(seen), batches)
	}
	if _, _, err := s.ActivePairs(ctx, "garbage", 10); err == nil {
		t.Fatal("bad cursor accepted")
	}
	if _, _, err := s.ActivePairs(ctx, "", 0); err == nil {
		t.Fatal("batch size 0 accepted")
	}
}

func TestNextFeedBatchRoundRobin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, ctx := e.s, t.Context()
	ids := pairIDs(25)
	if err := s.AddActive(ctx, ids...); err != nil {
		t.Fatal(err)
	}
	// Five batches of 10 go around the set twice: every pair is served
	// once before any is served again.
	counts := map[string]int{}
	var order []string
	for range 5 {
		b, err := s.NextFeedBatch(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != 10 {
			t.Fatalf("batch of %d, want 10", len(b))
		}
		for _, p := range b {
			counts[p.PairID]++
			order = append(order, p.PairID)
		}
	}
	first := order[:25]
	sorted := slices.Clone(first)
	slices.Sort(sorted)
	if !slices.Equal(sorted, ids) {
		t.Fatalf("first 25 served are not all pairs: %v", first)
	}
	if !slices.Equal(order[25:50], first) {
		t.Fatal("second round differs from the first: the pointer is not round robin")
	}
	// A batch larger than the set returns each pair once.
	b, _ := s.NextFeedBatch(ctx, 100)
	if len(b) != 25 {
		t.Fatalf("oversized batch = %d pairs, want 25", len(b))
	}
	// Feed check times are stored and come back.
	at := e.clock.Now().Truncate(time.Second)
	if err := s.SetFeedChecked(ctx, e.fence, map[string]time.Time{ids[3]: at, "sn:gone": at}); err != nil {
		t.Fatal(err)
	}
	all, _, _ := s.ActivePairs(ctx, "", 100)
	for _, p := range all {
		if (p.PairID == ids[3]) != p.FeedChecked.Equal(at) {
			t.Fatalf("feed checked of %s = %v", p.PairID, p.FeedChecked)
		}
	}
	if len(all) != 25 {
		t.Fatalf("SetFeedChecked added a pair: %d", len(all))
	}
}

func TestClosedPairsLeaveAfterGrace(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options) { o.ClosedGrace = time.Hour })
	s, ctx := e.s, t.Context()
	if err := s.AddActive(ctx, "sn:open", "sn:closed", "sn:reopened"); err != nil {
		t.Fatal(err)
	}
	t0 := e.clock.Now()
	if err := s.MarkClosed(ctx, t0, "sn:closed", "sn:reopened"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkClosed(ctx, t0.Add(30*time.Minute), "sn:closed"); err != nil { // keeps the first time
		t.Fatal(err)
	}
	if err := s.AddActive(ctx, "sn:reopened"); err != nil { // reopened: mark cleared
		t.Fatal(err)
	}
	if got, err := s.Prune(ctx, t0.Add(time.Hour-time.Second)); err != nil || len(got) != 0 {
		t.Fatalf("prune inside grace = %v %v", got, err)
	}
	got, err := s.Prune(ctx, t0.Add(time.Hour))
	if err != nil || !slices.Equal(got, []string{"sn:closed"}) {
		t.Fatalf("prune after grace = %v %v", got, err)
	}
	left, _, _ := s.ActivePairs(ctx, "", 10)
	var names []string
	for _, p := range left {
		names = append(names, p.PairID)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"sn:open", "sn:reopened"}) {
		t.Fatalf("active after prune = %v", names)
	}
	if err := s.RemoveActive(ctx, "sn:open"); err != nil {
		t.Fatal(err)
	}
	if left, _, _ := s.ActivePairs(ctx, "", 10); len(left) != 1 {
		t.Fatalf("RemoveActive left %v", left)
	}
}

func TestIntents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options) { o.IntentTTL = 3 * time.Minute }) // not the default
	s, ctx := e.s, t.Context()
	t0 := e.clock.Now()
	ok, err := s.BeginCreate(ctx, e.fence, "fd:1", SideServiceNow, t0)
	if err != nil || !ok {
		t.Fatalf("first BeginCreate = %v %v", ok, err)
	}
	if ok, _ := s.BeginCreate(ctx, e.fence, "fd:1", SideServiceNow, t0); ok {
		t.Fatal("second BeginCreate on a live intent succeeded")
	}
	if ok, _ := s.BeginCreate(ctx, e.fence, "sn:2", SideFlashduty, t0.Add(time.Minute)); !ok {
		t.Fatal("BeginCreate for another pair failed")
	}
	if _, err := s.BeginCreate(ctx, e.fence, "sn:3", "mars", t0); err == nil {
		t.Fatal("bad side accepted")
	}
	if exp, _ := s.ExpiredIntents(ctx, t0.Add(3*time.Minute-time.Second)); len(exp) != 0 {
		t.Fatalf("expired too early: %v", exp)
	}
	exp, err := s.ExpiredIntents(ctx, t0.Add(3*time.Minute))
	if err != nil || len(exp) != 1 || exp[0] != (Intent{PairID: "fd:1", Side: SideServiceNow, Started: t0}) {
		t.Fatalf("expired = %+v %v", exp, err)
	}
	in := Intent{PairID: "fd:1", Side: SideServiceNow, Started: t0}
	if s.IntentExpired(in, t0.Add(3*time.Minute-time.Millisecond)) || !s.IntentExpired(in, t0.Add(3*time.Minute)) {
		t.Fatal("IntentExpired disagrees with IntentTTL")
	}
	// An expired intent still blocks a create until resolved.
	if ok, _ := s.BeginCreate(ctx, e.fence, "fd:1", SideServiceNow, t0.Add(3*time.Minute)); ok {
		t.Fatal("BeginCreate over an expired, unresolved intent succeeded")
	}
	if err := s.ResolveIntent(ctx, "fd:1"); err != nil {
		t.Fatal(err)
	}
	all, _ := s.Intents(ctx)
	if len(all) != 1 || all[0].PairID != "sn:2" {
		t.Fatalf("intents after resolve = %+v", all)
	}
	if ok, _ := s.BeginCreate(ctx, e.fence, "fd:1", SideServiceNow, t0.Add(3*time.Minute)); !ok {
		t.Fatal("BeginCreate after resolve failed")
	}
}

// A pair linked while already closed on both sides (adopted after Redis was
// lost) is marked closed without ever being added: it must still be walked
// until the grace has passed, so a later edit of the closed incident syncs.
func TestMarkClosedWatchesAPairNotYetActive(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options) { o.ClosedGrace = time.Hour })
	s, ctx := e.s, t.Context()
	t0 := e.clock.Now()
	if err := s.MarkClosed(ctx, t0, "sn:adopted-closed"); err != nil {
		t.Fatal(err)
	}
	left, _, err := s.ActivePairs(ctx, "", 10)
	if err != nil || len(left) != 1 || left[0].PairID != "sn:adopted-closed" {
		t.Fatalf("active after MarkClosed = %v %v, want the pair", left, err)
	}
	if got, err := s.Prune(ctx, t0.Add(time.Hour)); err != nil || !slices.Equal(got, []string{"sn:adopted-closed"}) {
		t.Fatalf("prune after grace = %v %v", got, err)
	}
	if left, _, _ := s.ActivePairs(ctx, "", 10); len(left) != 0 {
		t.Fatalf("active after prune = %v", left)
	}
}

// A walk split by WalkFrom at any point sees every active pair exactly
// once, and its cursors stay within their range.
func TestWalkFromSeesEachPairOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, ctx := e.s, t.Context()
	ids := pairIDs(300)
	if err := s.AddActive(ctx, ids...); err != nil {
		t.Fatal(err)
	}
	for _, f := range []float64{0, 0.0001, 0.3, 0.5, 0.9999} {
		seen := map[string]int{}
		for _, cursor := range WalkFrom(f) {
			ids, _ := walkAll(t, s, cursor, 37)
			for _, id := range ids {
				seen[id]++
			}
		}
		if len(seen) != len(ids) {
			t.Fatalf("f=%v: walk saw %d of %d pairs", f, len(seen), len(ids))
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("f=%v: %s seen %d times", f, id, n)
			}
		}
	}
	for _, bad := range []string{"1|a|x", "1|a|4097", "1|a|2|3", "4096|", "-1|"} {
		if _, _, err := s.ActivePairs(ctx, bad, 10); err == nil {
			t.Fatalf("cursor %q accepted", bad)
		}
	}
}

// walkAll walks the active pairs from cursor to the end of its walk in
// pages of n and returns their ids and the number of pages.
func walkAll(t *testing.T, s *Store, cursor string, n int) (ids []string, pages int) {
	t.Helper()
	for range 10000 {
		page, next, err := s.ActivePairs(t.Context(), cursor, n)
		if err != nil {
			t.Fatalf("walk from %q: %v", cursor, err)
		}
		if len(page) > n {
			t.Fatalf("page of %d > %d", len(page), n)
		}
		for _, p := range page {
			ids = append(ids, p.PairID)
		}
		pages++
		if next == "" {
			return ids, pages
		}
		cursor = next
	}
	t.Fatalf("walk from %q did not end", cursor)
	return nil, 0
}
