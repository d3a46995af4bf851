package state

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/snowduty/snowduty/state/redistest"
)

func TestAuditPerPairAndCapped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options) { o.AuditMaxLen = 100 })
	s, ctx := e.s, t.Context()
	for i := range 1000 {
		pair := fmt.Sprintf("sn:%d", i%10)
		ev := Event{Kind: "push", Side: SideFlashduty, Field: "title", Detail: fmt.Sprintf("n=%d", i)}
		if err := s.Audit(ctx, pair, ev); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Second)
	}
	got, err := s.AuditFor(ctx, "sn:3", 4)
	if err != nil || len(got) != 4 {
		t.Fatalf("AuditFor = %+v %v", got, err)
	}
	for i, r := range got { // newest first: 993, 983, 973, 963
		want := fmt.Sprintf("n=%d", 993-10*i)
		if r.PairID != "sn:3" || r.Detail != want || r.Kind != "push" || r.Side != SideFlashduty || r.Field != "title" {
			t.Fatalf("record %d = %+v, want detail %s", i, r, want)
		}
	}
	if want := newClock().Now().Add(993 * time.Second); !got[0].Time.Equal(want) {
		t.Fatalf("time %v, want %v", got[0].Time, want)
	}
	n, _ := e.srv.Client().XLen(ctx, "{snowduty:}e").Result()
	if n < 100 || n > 300 {
		t.Fatalf("stream holds %d entries with AuditMaxLen 100", n)
	}
	// A pair whose events were trimmed away has (only) what is left.
	all, _ := s.AuditFor(ctx, "sn:3", 1000)
	if len(all) == 0 || len(all) > 30 {
		t.Fatalf("AuditFor after trimming = %d records", len(all))
	}
}

func TestIdentity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, ctx := e.s, t.Context()
	prod := Identity{ServiceNowURL: "https://acme.service-now.com/", FlashdutyAccount: "acct-1"}
	if err := s.CheckIdentity(ctx, prod, false); err != nil {
		t.Fatalf("first run: %v", err)
	}
	same := Identity{ServiceNowURL: "HTTPS://ACME.service-now.com", FlashdutyAccount: "acct-1"}
	if err := s.CheckIdentity(ctx, same, false); err != nil {
		t.Fatalf("same identity, other spelling: %v", err)
	}
	clone := Identity{ServiceNowURL: "https://acmedev.service-now.com", FlashdutyAccount: "acct-1"}
	err := s.CheckIdentity(ctx, clone, false)
	var ie *IdentityError
	if !errors.Is(err, ErrIdentityMismatch) || !errors.As(err, &ie) {
		t.Fatalf("clone = %v, want an identity mismatch", err)
	}
	for _, want := range []string{"https://acme.service-now.com", "https://acmedev.service-now.com", "override"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if err := s.CheckIdentity(ctx, clone, true); err != nil {
		t.Fatalf("override: %v", err)
	}
	if err := s.CheckIdentity(ctx, prod, false); !errors.Is(err, ErrIdentityMismatch) {
		t.Fatalf("after override the old identity = %v, want mismatch", err)
	}
	if err := s.CheckIdentity(ctx, Identity{ServiceNowURL: "https://x"}, false); err == nil {
		t.Fatal("identity without an account accepted")
	}
}

// Two prefixes in one Redis do not see each other.
func TestPrefixIsolation(t *testing.T) {
	t.Parallel()
	srv, clock := redistest.Start(t), newClock()
	a := openStore(t, srv, clock, func(o *Options) { o.Prefix = "team-a:" })
	b := openStore(t, srv, clock, func(o *Options) { o.Prefix = "team-b:" })
	ctx := t.Context()
	fa, okA, _ := a.AcquireLease(ctx, "a")
	fb, okB, _ := b.AcquireLease(ctx, "b")
	if !okA || !okB {
		t.Fatal("each prefix must have its own lease")
	}
	if err := a.PutLink(ctx, Link{SysID: "s", IncidentID: "i", Origin: OriginServiceNow}); err != nil {
		t.Fatal(err)
	}
	if err := b.PutLink(ctx, Link{SysID: "s", IncidentID: "other", Origin: OriginServiceNow}); err != nil {
		t.Fatalf("same sys_id under another prefix: %v", err)
	}
	_, _ = a.PutSnapshots(ctx, fa, []SnapshotWrite{{PairID: "sn:s", Data: []byte("a")}})
	_ = a.AddActive(ctx, "sn:s")
	_, _ = a.Schedule(ctx, "sn:s", "patch", "x")
	_ = a.Audit(ctx, "sn:s", Event{Kind: "push"})
	_ = a.CheckIdentity(ctx, Identity{ServiceNowURL: "https://a", FlashdutyAccount: "1"}, false)

	if l, _, _ := b.LinkBySysID(ctx, "s"); l.IncidentID != "other" {
		t.Fatalf("b sees %+v", l)
	}
	if err := b.CheckIdentity(ctx, Identity{ServiceNowURL: "https://b", FlashdutyAccount: "2"}, false); err != nil {
		t.Fatalf("b identity: %v", err)
	}
	st, err := b.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Links != 1 || st.Snapshots != 0 || st.Active != 0 || st.RetryQueue != 0 || st.AuditEvents != 0 || st.Leader.Holder != "b" {
		t.Fatalf("b status shows a's data: %+v", st)
	}
	if snaps, _ := b.Snapshots(ctx, []string{"sn:s"}); len(snaps) != 0 {
		t.Fatalf("b sees a's snapshot")
	}
	_ = fb
}

func TestStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, ctx := e.s, t.Context()
	_, _ = s.putLinks(ctx, []Link{
		{SysID: "1", IncidentID: "a", Origin: OriginAdopted},
		{SysID: "2", IncidentID: "b", Origin: OriginAdopted},
	})
	_, _ = s.PutSnapshots(ctx, e.fence, []SnapshotWrite{{PairID: "sn:1", Data: []byte("x")}})
	_ = s.AddActive(ctx, "sn:1", "sn:2", "sn:3")
	_ = s.MarkClosed(ctx, e.clock.Now(), "sn:3")
	_, _ = s.BeginCreate(ctx, e.fence, "sn:3", SideFlashduty, e.clock.Now())
	_, _ = s.Schedule(ctx, "sn:1", "patch", "x")
	e.clock.Advance(20 * time.Second) // sn:1 is due, sn:2 not yet; the lease (30s) holds
	_, _ = s.Schedule(ctx, "sn:2", "patch", "x")
	_ = s.Audit(ctx, "sn:1", Event{Kind: "push"})
	if err := s.SetFlashdutyWindow(ctx, e.fence, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	st, err := s.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Status{Prefix: "snowduty:", Links: 2, Snapshots: 1, Active: 3, Closing: 1, Intents: 1, RetryQueue: 2, RetryDue: 1, AuditEvents: 1}
	got := st
	got.Cursors, got.Leader = Cursors{}, nil
	if got != want {
		t.Fatalf("status = %+v, want %+v", got, want)
	}
	if st.Leader == nil || st.Leader.Holder != "leader-1" || !st.Cursors.FlashdutyWindow.Equal(e.clock.Now().Truncate(time.Second)) {
		t.Fatalf("status leader/cursors = %+v %+v", st.Leader, st.Cursors)
	}
}
