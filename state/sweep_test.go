package state

import (
	"errors"
	"testing"
	"time"
)

func TestSweepRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, ctx := e.s, t.Context()
	if sw, err := s.Sweep(ctx); err != nil || sw != (Sweep{}) {
		t.Fatalf("fresh sweep = %+v %v, want zero", sw, err)
	}
	if err := s.AddActive(ctx, pairIDs(30)...); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	if err := s.SetSweep(ctx, e.fence, Sweep{Started: start, Running: true}); err != nil {
		t.Fatal(err)
	}
	// Walk the set through the stored cursor, as the passes do.
	seen := map[string]bool{}
	for range 10 {
		sw, err := s.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !sw.Started.Equal(start) {
			t.Fatalf("started = %v, want %v", sw.Started, start)
		}
		if !sw.Running {
			break
		}
		page, next, err := s.ActivePairs(ctx, sw.Cursor, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page {
			if seen[a.PairID] {
				t.Fatalf("%s seen twice", a.PairID)
			}
			seen[a.PairID] = true
		}
		sw.Cursor, sw.Running = next, next != ""
		if err := s.SetSweep(ctx, e.fence, sw); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 30 {
		t.Fatalf("the sweep saw %d of 30 pairs", len(seen))
	}
	if sw, err := s.Sweep(ctx); err != nil || sw.Running || !sw.Started.Equal(start) {
		t.Fatalf("finished sweep = %+v %v, want not running, started kept", sw, err)
	}
}

func TestSweepRejectsBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, ctx := e.s, t.Context()
	if err := s.SetSweep(ctx, e.fence, Sweep{Running: true}); err == nil {
		t.Fatal("a sweep without a start time was accepted")
	}
	now := e.clock.Now()
	if err := s.SetSweep(ctx, e.fence, Sweep{Started: now, Running: true, Cursor: sweepDone}); err == nil {
		t.Fatal("the done marker was accepted as a cursor")
	}
	stale := e.fence
	stale.Token--
	if err := s.SetSweep(ctx, stale, Sweep{Started: now}); !errors.Is(err, ErrFenced) {
		t.Fatalf("stale fence = %v, want ErrFenced", err)
	}
	if err := e.s.rdb.HSet(ctx, s.key(keyCursors), sweepField, "garbage").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sweep(ctx); err == nil {
		t.Fatal("a corrupt sweep value was read without an error")
	}
}
