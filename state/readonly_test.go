package state

import (
	"errors"
	"testing"

	"github.com/snowduty/snowduty/state/redistest"
)

// A read-only store (a dry run) sends no write to Redis: opening it on an
// empty Redis records nothing, every read works, and every write fails
// with ErrReadOnly before it is sent.
func TestReadOnlyStoreWritesNothing(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	clock := newClock()
	ro := openStore(t, srv, clock, func(o *Options) { o.ReadOnly = true })
	ctx := t.Context()
	if n, err := srv.Client().DBSize(ctx).Result(); err != nil || n != 0 {
		t.Fatalf("opening a read-only store wrote %d keys (err %v)", n, err)
	}
	id := Identity{ServiceNowURL: "https://acme.service-now.com", FlashdutyAccount: "42"}
	if err := ro.CheckIdentity(ctx, id, false); err != nil {
		t.Fatalf("identity on an empty state: %v", err)
	}
	if n, _ := srv.Client().DBSize(ctx).Result(); n != 0 {
		t.Fatalf("a read-only identity check recorded the identity (%d keys)", n)
	}

	// A writer records state; the read-only store reads it all.
	rw := openStore(t, srv, clock)
	if err := rw.CheckIdentity(ctx, id, false); err != nil {
		t.Fatal(err)
	}
	f, ok, err := rw.AcquireLease(ctx, "live")
	if err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	l := Link{SysID: "sys1", Number: "INC0010001", IncidentID: "inc1", Origin: OriginFlashduty}
	if err := rw.PutLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := rw.AddActive(ctx, l.PairID()); err != nil {
		t.Fatal(err)
	}
	if _, err := rw.Schedule(ctx, l.PairID(), "patch", "boom"); err != nil {
		t.Fatal(err)
	}
	before := dumpAll(t, srv)

	if got, ok, err := ro.LinkByIncidentID(ctx, "inc1"); err != nil || !ok || got != l {
		t.Fatalf("read-only link read = %+v %v %v", got, ok, err)
	}
	if st, err := ro.Status(ctx); err != nil || st.Links != 1 || st.Active != 1 || st.RetryQueue != 1 {
		t.Fatalf("read-only status = %+v %v", st, err)
	}
	if page, _, err := ro.ActivePairs(ctx, "", 10); err != nil || len(page) != 1 {
		t.Fatalf("read-only walk = %+v %v", page, err)
	}
	if _, err := ro.Due(ctx, clock.Now().Add(1e12), 10); err != nil {
		t.Fatalf("read-only due: %v", err)
	}
	if _, _, err := ro.CurrentLeader(ctx); err != nil {
		t.Fatalf("read-only leader: %v", err)
	}
	other := Identity{ServiceNowURL: "https://other.service-now.com", FlashdutyAccount: "42"}
	if err := ro.CheckIdentity(ctx, other, false); !errors.Is(err, ErrIdentityMismatch) {
		t.Fatalf("read-only identity mismatch = %v, want ErrIdentityMismatch", err)
	}

	writes := map[string]func() error{
		"put link":   func() error { return ro.PutLink(ctx, Link{SysID: "sys2", IncidentID: "inc2", Origin: OriginFlashduty}) },
		"add active": func() error { return ro.AddActive(ctx, "sn:x") },
		"schedule":   func() error { _, err := ro.Schedule(ctx, "sn:x", "patch", "e"); return err },
		"acquire":    func() error { _, _, err := ro.AcquireLease(ctx, "dry"); return err },
		"snapshots": func() error {
			_, err := ro.PutSnapshots(ctx, f, []SnapshotWrite{{PairID: l.PairID(), Data: []byte("x")}})
			return err
		},
		"identity":     func() error { return ro.CheckIdentity(ctx, other, true) },
		"begin create": func() error { _, err := ro.BeginCreate(ctx, f, "sn:y", SideFlashduty, clock.Now()); return err },
		"feed batch":   func() error { _, err := ro.NextFeedBatch(ctx, 5); return err }, // it would move the pointer
	}
	for name, w := range writes {
		err := w()
		if name == "identity" {
			if err != nil {
				t.Errorf("%s: %v (an override compares only)", name, err)
			}
			continue
		}
		if !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s on a read-only store: %v, want ErrReadOnly", name, err)
		}
	}
	after := dumpAll(t, srv)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("key %s changed through the read-only store", k)
		}
	}
	if len(after) != len(before) {
		t.Errorf("%d keys before, %d after", len(before), len(after))
	}
}

func dumpAll(t *testing.T, srv *redistest.Server) map[string]string {
	t.Helper()
	c := srv.Client()
	keys, err := c.Keys(t.Context(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		out[k] = c.Dump(t.Context(), k).Val()
	}
	return out
}
