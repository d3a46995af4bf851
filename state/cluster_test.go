package state

import (
	"testing"

	"github.com/snowduty/snowduty/state/redistest"
)

func TestClusterMode(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.WithCluster())
	clock := newClock()
	s := openStore(t, srv, clock, func(o *Options) { o.URL, o.ClusterAddrs = "", []string{srv.Addr()} })
	ctx := t.Context()
	f, ok, err := s.AcquireLease(ctx, "c")
	if err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	l := Link{SysID: "sys1", IncidentID: "inc1", Origin: OriginFlashduty}
	if err := s.PutLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := s.LinkByIncidentID(ctx, "inc1"); err != nil || !ok || got != l {
		t.Fatalf("link = %+v %v %v", got, ok, err)
	}
	res, err := s.PutSnapshots(ctx, f, []SnapshotWrite{{PairID: l.PairID(), Data: []byte("x")}, {PairID: "sn:other", Data: []byte("y")}})
	if err != nil || !res[0].OK || !res[1].OK {
		t.Fatalf("snapshots = %+v %v", res, err)
	}
	if err := s.AddActive(ctx, l.PairID(), "sn:other"); err != nil {
		t.Fatal(err)
	}
	if b, err := s.NextFeedBatch(ctx, 5); err != nil || len(b) != 2 {
		t.Fatalf("feed batch = %+v %v", b, err)
	}
	if _, err := s.Schedule(ctx, l.PairID(), "patch", "x"); err != nil {
		t.Fatal(err)
	}
	st, err := s.Status(ctx)
	if err != nil || st.Links != 1 || st.Snapshots != 2 || st.Active != 2 || st.RetryQueue != 1 {
		t.Fatalf("status = %+v %v", st, err)
	}
}
