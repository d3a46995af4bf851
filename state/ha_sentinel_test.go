package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snowduty/snowduty/state/redistest"
)

// The Store works through a real Sentinel failover: the master is killed
// (SIGKILL) while the leader writes snapshots, the sentinels promote the
// replica, and go-redis follows them. Everything written before the last
// replication point survives; the lease survives with its fence (its TTL
// outlasts the failover), so no other replica can take it; writes made
// afterwards succeed. Replication is asynchronous and the Store does not
// WAIT, so a write acknowledged in the last milliseconds before the kill
// may be lost: the test counts those, and checks they are the newest ones
// (the replica received a prefix of the master's stream).
func TestStoreSurvivesSentinelFailover(t *testing.T) {
	t.Parallel()
	sn := redistest.StartSentinel(t, redistest.SentinelPassword("ha-sentinel-pw"))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	o := Options{SentinelMaster: sn.MasterName(), SentinelAddrs: sn.SentinelAddrs(), Password: sn.Password(),
		Prefix: "ha:", Logger: discardLogger(), LeaseTTL: 20 * time.Second, LeaseRenew: 5 * time.Second}
	open := func() *Store {
		s, err := Open(ctx, o)
		if err != nil {
			t.Fatalf("Open through the sentinels: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	a, b := open(), open()
	f, ok, err := a.AcquireLease(ctx, "replica-a")
	if err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	clock := &fakeClock{t: time.Now()}
	w := newHAWorkload(a, f, clock)
	for range 50 {
		w.round(ctx)
	}
	if len(w.errs) > 0 {
		t.Fatalf("errors before the failover:%s", w.errSummary())
	}
	if err := sn.WaitReplicated(ctx); err != nil {
		t.Fatal(err)
	}

	// A writer stores snapshots one after the other; the master dies
	// under it.
	var mu sync.Mutex
	var acked, tried []string
	stop := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p := fmt.Sprintf("sn:burst%05d", i)
			mu.Lock()
			tried = append(tried, p)
			mu.Unlock()
			cctx, ccancel := context.WithTimeout(ctx, 500*time.Millisecond)
			res, err := a.PutSnapshots(cctx, f, []SnapshotWrite{{PairID: p, Data: []byte("b")}})
			ccancel()
			if err == nil && res[0].OK {
				mu.Lock()
				acked = append(acked, p)
				mu.Unlock()
			}
		}
	}()
	waitAcked := func(n int) {
		for {
			mu.Lock()
			got := len(acked)
			mu.Unlock()
			if got >= n {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("the writer acknowledged %d writes, want %d", got, n)
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	waitAcked(200)
	old := sn.KillMaster()
	killed := time.Now()
	mu.Lock()
	ackedBeforeKill := len(acked)
	mu.Unlock()

	// The leader keeps renewing; it succeeds once go-redis reaches the
	// new master. Errors meanwhile must be about reaching Redis.
	var during []string
	for {
		cctx, ccancel := context.WithTimeout(ctx, time.Second)
		err := a.RenewLease(cctx, f)
		ccancel()
		if err == nil {
			break
		}
		if errors.Is(err, ErrFenced) {
			t.Fatalf("the lease was lost in the failover: %v", err)
		}
		during = append(during, err.Error())
		if ctx.Err() != nil {
			t.Fatalf("no renewal after the failover: %v", during)
		}
	}
	recovered := time.Since(killed)
	close(stop)
	<-writerDone
	newMaster, err := sn.WaitFailover(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range during {
		if !strings.Contains(e, "connection refused") && !strings.Contains(e, "EOF") && !strings.Contains(e, "deadline exceeded") &&
			!strings.Contains(e, "i/o timeout") && !strings.Contains(e, "READONLY") && !strings.Contains(e, "connection reset") {
			t.Errorf("renew during the failover failed with an error that is not about reaching Redis: %s", e)
		}
	}

	// Everything replicated before the burst is there, and the burst
	// kept a prefix of what was acknowledged.
	got, err := a.Snapshots(ctx, acked)
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for kept < len(acked) && got[acked[kept]].Version == 1 {
		kept++
	}
	for _, p := range acked[kept:] {
		if got[p].Version != 0 && p <= acked[ackedBeforeKill-1] {
			t.Errorf("snapshot %s survived although an older acknowledged one was lost", p)
		}
	}
	// A write whose answer was lost in the failover may have landed too.
	all, err := a.Snapshots(ctx, tried)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range all {
		if v.Version > 0 {
			w.extra++
		}
	}
	w.verify(t, ctx)
	t.Logf("renewal errors during the failover: %q", during)
	t.Logf("FIGURE sentinel failover %s -> %s: the leader renewed again after %v (%d failed renewals meanwhile); %d of %d snapshots acknowledged before the kill were lost (async replication); the writer's last acknowledged write before the kill: %s",
		old, newMaster, recovered.Round(time.Millisecond), len(during), max(0, ackedBeforeKill-kept), ackedBeforeKill, acked[ackedBeforeKill-1])

	// The lease and its fence moved with the data.
	if _, ok, err := b.AcquireLease(ctx, "replica-b"); err != nil || ok {
		t.Fatalf("another replica took the lease after the failover: ok=%v err=%v", ok, err)
	}
	if l, ok, err := b.CurrentLeader(ctx); err != nil || !ok || l.Holder != "replica-a" || l.Token != f.Token {
		t.Fatalf("leader after the failover = %+v %v %v", l, ok, err)
	}
	// Writes after the failover succeed, through both stores.
	w.errs = map[string]int{}
	for range 20 {
		w.round(ctx)
	}
	if len(w.errs) > 0 {
		t.Fatalf("errors after the failover:%s", w.errSummary())
	}
	w.verify(t, ctx)
	if err := a.ReleaseLease(ctx, f); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := b.AcquireLease(ctx, "replica-b"); err != nil || !ok {
		t.Fatalf("the lease did not move to replica b after release: ok=%v err=%v", ok, err)
	}
}
