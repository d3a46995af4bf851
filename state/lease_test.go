package state

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/snowduty/snowduty/state/redistest"
)

// Ten processes (separate connections) race for the lease: one wins.
func TestLeaseRaceOneLeader(t *testing.T) {
	t.Parallel()
	srv, clock := redistest.Start(t), newClock()
	stores := make([]*Store, 10)
	for i := range stores {
		stores[i] = openStore(t, srv, clock)
	}
	for round := range 5 {
		var mu sync.Mutex
		var leaders []Fence
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, s := range stores {
			wg.Go(func() {
				<-start
				f, ok, err := s.AcquireLease(t.Context(), fmt.Sprintf("proc-%d-%d", round, i))
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					leaders = append(leaders, f)
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if len(leaders) != 1 {
			t.Fatalf("round %d: %d leaders, want exactly 1", round, len(leaders))
		}
		cur, ok, err := stores[0].CurrentLeader(t.Context())
		if err != nil || !ok || cur.Holder != leaders[0].Holder || cur.Token != leaders[0].Token {
			t.Fatalf("CurrentLeader = %+v %v %v, want %+v", cur, ok, err, leaders[0])
		}
		if err := stores[0].ReleaseLease(t.Context(), leaders[0]); err != nil {
			t.Fatal(err)
		}
	}
}

// A leader that stops renewing loses the lease once LeaseTTL has passed,
// and its writes are then fenced.
func TestLeaseExpiresWithoutRenewal(t *testing.T) {
	t.Parallel()
	srv, clock := redistest.Start(t), newClock()
	ttl := 15 * time.Second
	mod := func(o *Options) { o.LeaseTTL, o.LeaseRenew = ttl, 5*time.Second }
	a, b := openStore(t, srv, clock, mod), openStore(t, srv, clock, mod)
	ctx := t.Context()

	fa, ok, err := a.AcquireLease(ctx, "a")
	if err != nil || !ok {
		t.Fatalf("a acquire: %v %v", ok, err)
	}
	clock.Advance(ttl - time.Millisecond)
	if _, ok, _ := b.AcquireLease(ctx, "b"); ok {
		t.Fatal("b took a live lease")
	}
	if _, err := a.PutSnapshots(ctx, fa, []SnapshotWrite{{PairID: "sn:1", Data: []byte("a1")}}); err != nil {
		t.Fatalf("leader write before expiry: %v", err)
	}

	clock.Advance(time.Millisecond) // exactly LeaseTTL after the last renewal
	if _, err := a.PutSnapshots(ctx, fa, []SnapshotWrite{{PairID: "sn:2", Data: []byte("a2")}}); !errors.Is(err, ErrFenced) {
		t.Fatalf("write on an expired lease = %v, want ErrFenced", err)
	}
	fb, ok, err := b.AcquireLease(ctx, "b")
	if err != nil || !ok || fb.Token <= fa.Token {
		t.Fatalf("b acquire after expiry = %+v %v %v", fb, ok, err)
	}
	if err := a.RenewLease(ctx, fa); !errors.Is(err, ErrFenced) {
		t.Fatalf("stale renew = %v, want ErrFenced", err)
	}
	if _, err := a.PutSnapshots(ctx, fa, []SnapshotWrite{{PairID: "sn:1", Data: []byte("stale"), IfVersion: 1}}); !errors.Is(err, ErrFenced) {
		t.Fatalf("stale write = %v, want ErrFenced", err)
	}
	got, _ := b.Snapshots(ctx, []string{"sn:1", "sn:2"})
	if string(got["sn:1"].Data) != "a1" || len(got) != 1 {
		t.Fatalf("stale leader changed data: %+v", got)
	}
	// A stale release does not free the new leader's lease.
	if err := a.ReleaseLease(ctx, fa); err != nil {
		t.Fatal(err)
	}
	if cur, ok, _ := b.CurrentLeader(ctx); !ok || cur.Holder != "b" {
		t.Fatalf("leader after stale release = %+v %v", cur, ok)
	}
}

func TestLeaseRenewAndRelease(t *testing.T) {
	t.Parallel()
	srv, clock := redistest.Start(t), newClock()
	a, b := openStore(t, srv, clock), openStore(t, srv, clock)
	ctx := t.Context()
	fa, _, err := a.AcquireLease(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	for range 5 { // renewing every 20s keeps a 30s lease for 100s
		clock.Advance(20 * time.Second)
		if err := a.RenewLease(ctx, fa); err != nil {
			t.Fatalf("renew: %v", err)
		}
		if _, ok, _ := b.AcquireLease(ctx, "b"); ok {
			t.Fatal("b took a renewed lease")
		}
	}
	cur, _, _ := a.CurrentLeader(ctx)
	if want := clock.Now().Add(DefaultLeaseTTL); !cur.Deadline.Equal(want) {
		t.Fatalf("deadline %v, want %v", cur.Deadline, want)
	}
	// Acquiring again as the same holder keeps the token.
	again, ok, err := a.AcquireLease(ctx, "a")
	if err != nil || !ok || again != fa {
		t.Fatalf("re-acquire = %+v %v %v, want %+v", again, ok, err, fa)
	}
	if err := a.ReleaseLease(ctx, fa); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := a.CurrentLeader(ctx); ok {
		t.Fatal("lease still held after release")
	}
	if _, ok, _ := b.AcquireLease(ctx, "b"); !ok {
		t.Fatal("b could not take a released lease at once")
	}
	if _, _, err := a.AcquireLease(ctx, "bad|holder"); err == nil {
		t.Fatal("holder with '|' accepted")
	}
}

// Every write that takes a Fence refuses a stale or zero one and changes
// nothing.
func TestFencedWritesRejectStaleLeader(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, ctx := e.s, t.Context()
	if err := s.AddActive(ctx, "sn:1"); err != nil {
		t.Fatal(err)
	}
	stale := e.fence
	if err := s.ReleaseLease(ctx, stale); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.AcquireLease(ctx, "leader-2"); !ok || err != nil {
		t.Fatalf("new leader: %v %v", ok, err)
	}
	at := e.clock.Now()
	writes := map[string]func(Fence) error{
		"PutSnapshots": func(f Fence) error {
			_, err := s.PutSnapshots(ctx, f, []SnapshotWrite{{PairID: "sn:1", Data: []byte("x")}})
			return err
		},
		"SetServiceNowCursor": func(f Fence) error { return s.SetServiceNowCursor(ctx, f, SNCursor{UpdatedOn: at, SysID: "x"}) },
		"SetFlashdutyWindow":  func(f Fence) error { return s.SetFlashdutyWindow(ctx, f, at) },
		"SetFeedChecked":      func(f Fence) error { return s.SetFeedChecked(ctx, f, map[string]time.Time{"sn:1": at}) },
		"BeginCreate": func(f Fence) error {
			_, err := s.BeginCreate(ctx, f, "sn:1", SideFlashduty, at)
			return err
		},
	}
	for name, write := range writes {
		for _, f := range []Fence{stale, {}, {Token: stale.Token + 1, Holder: "leader-1"}} {
			if err := write(f); !errors.Is(err, ErrFenced) {
				t.Errorf("%s with fence %+v = %v, want ErrFenced", name, f, err)
			}
		}
	}
	snaps, _ := s.Snapshots(ctx, []string{"sn:1"})
	cur, _ := s.Cursors(ctx)
	intents, _ := s.Intents(ctx)
	active, _, _ := s.ActivePairs(ctx, "", 10)
	if len(snaps) != 0 || cur != (Cursors{}) || len(intents) != 0 || !active[0].FeedChecked.IsZero() {
		t.Fatalf("a fenced write changed state: %v %+v %v %+v", snaps, cur, intents, active)
	}
}

// Without an injected clock, lease deadlines follow Redis's own clock.
func TestLeaseUsesRedisClockByDefault(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	mk := func() *Store {
		s, err := Open(t.Context(), Options{URL: srv.URL(), Logger: discardLogger()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	a, b := mk(), mk()
	ctx := t.Context()
	f, ok, err := a.AcquireLease(ctx, "a")
	if err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	if _, ok, _ := b.AcquireLease(ctx, "b"); ok {
		t.Fatal("b took a live lease")
	}
	redisNow, err := srv.Client().Time(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	cur, ok, err := b.CurrentLeader(ctx)
	if err != nil || !ok || cur.Holder != "a" {
		t.Fatalf("CurrentLeader = %+v %v %v", cur, ok, err)
	}
	if d := cur.Deadline.Sub(redisNow); d <= DefaultLeaseTTL-2*time.Second || d > DefaultLeaseTTL {
		t.Fatalf("deadline is %v after Redis's now, want about %v", d, DefaultLeaseTTL)
	}
	if err := a.RenewLease(ctx, f); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PutSnapshots(ctx, f, []SnapshotWrite{{PairID: "sn:1", Data: []byte("x")}}); err != nil {
		t.Fatalf("leader write: %v", err)
	}
	if _, err := b.PutSnapshots(ctx, Fence{Token: f.Token, Holder: "b"}, []SnapshotWrite{{PairID: "sn:2"}}); !errors.Is(err, ErrFenced) {
		t.Fatalf("non-leader write = %v, want ErrFenced", err)
	}
}
