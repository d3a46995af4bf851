package state

import (
	"errors"
	"testing"
	"time"
)

func TestLinks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, ctx := e.s, t.Context()
	created := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	a := Link{SysID: "sysA", Number: "INC0010001", IncidentID: "incA", Created: created, Origin: OriginServiceNow}
	b := Link{SysID: "sysB", Number: "INC0010002", IncidentID: "incB", Created: created, Origin: OriginFlashduty}
	for _, l := range []Link{a, b, a} { // a twice: idempotent
		if err := s.PutLink(ctx, l); err != nil {
			t.Fatalf("PutLink(%+v): %v", l, err)
		}
	}
	got, ok, err := s.LinkBySysID(ctx, "sysA")
	if err != nil || !ok || got != a {
		t.Fatalf("LinkBySysID = %+v %v %v, want %+v", got, ok, err, a)
	}
	got, ok, err = s.LinkByIncidentID(ctx, "incB")
	if err != nil || !ok || got != b {
		t.Fatalf("LinkByIncidentID = %+v %v %v, want %+v", got, ok, err, b)
	}
	if _, ok, err := s.LinkBySysID(ctx, "nope"); ok || err != nil {
		t.Fatalf("LinkBySysID(nope) = %v %v", ok, err)
	}
	if a.PairID() != "sn:sysA" || b.PairID() != "fd:incB" {
		t.Fatalf("pair ids %q %q", a.PairID(), b.PairID())
	}

	bySys, err := s.LinksBySysIDs(ctx, []string{"sysA", "sysB", "nope"})
	if err != nil || len(bySys) != 2 || bySys["sysB"] != b {
		t.Fatalf("LinksBySysIDs = %+v %v", bySys, err)
	}
	byInc, err := s.LinksByIncidentIDs(ctx, []string{"incA", "nope", "incB"})
	if err != nil || len(byInc) != 2 || byInc["incA"] != a {
		t.Fatalf("LinksByIncidentIDs = %+v %v", byInc, err)
	}
	byPair, err := s.LinksByPairIDs(ctx, []string{"sn:sysA", "fd:incB", "fd:incA", "sn:nope"})
	if err != nil || len(byPair) != 2 || byPair["sn:sysA"] != a || byPair["fd:incB"] != b {
		t.Fatalf("LinksByPairIDs = %+v %v", byPair, err)
	}

	// Re-pointing either id is refused, and says which link is in the way.
	for _, bad := range []Link{
		{SysID: "sysA", IncidentID: "incX", Origin: OriginAdopted},
		{SysID: "sysX", IncidentID: "incB", Origin: OriginAdopted},
	} {
		err := s.PutLink(ctx, bad)
		var ce *LinkConflictError
		if !errors.Is(err, ErrLinkConflict) || !errors.As(err, &ce) {
			t.Fatalf("PutLink(%+v) = %v, want a link conflict", bad, err)
		}
		if ce.Existing != a && ce.Existing != b {
			t.Fatalf("conflict names %+v", ce.Existing)
		}
	}
	if _, ok, _ := s.LinkByIncidentID(ctx, "incX"); ok {
		t.Fatal("a refused link was stored")
	}
}

func TestLinkValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, l := range []Link{
		{IncidentID: "i", Origin: OriginAdopted},
		{SysID: "s", Origin: OriginAdopted},
		{SysID: "s|x", IncidentID: "i", Origin: OriginAdopted},
		{SysID: "s", IncidentID: "i", Origin: "martian"},
	} {
		if err := e.s.PutLink(t.Context(), l); err == nil {
			t.Errorf("PutLink(%+v) accepted", l)
		}
	}
}
