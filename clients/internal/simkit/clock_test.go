package simkit

import (
	"testing"
	"testing/synctest"
	"time"
)

var t0 = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

func TestClockFrozen(t *testing.T) {
	c := NewClock(func() time.Time { t.Fatal("a frozen clock read the live one"); return time.Time{} }, t0)
	if !c.Frozen() || !c.Now().Equal(t0) {
		t.Fatalf("start: %v frozen %v", c.Now(), c.Frozen())
	}
	if got := c.Advance(90 * time.Second); !got.Equal(t0.Add(90*time.Second)) || !c.Now().Equal(got) {
		t.Fatalf("advance = %v, now %v", got, c.Now())
	}
	at := t0.Add(24 * time.Hour)
	c.Set(at)
	if !c.Now().Equal(at) {
		t.Fatalf("set: %v", c.Now())
	}
	c.Reset()
	if !c.Now().Equal(t0) || !c.Frozen() {
		t.Fatalf("reset: %v frozen %v", c.Now(), c.Frozen())
	}
}

func TestClockLive(t *testing.T) {
	wall := t0
	c := NewClock(func() time.Time { return wall }, time.Time{})
	if c.Frozen() {
		t.Fatal("a clock without a start is frozen")
	}
	wall = wall.Add(time.Minute)
	c.Advance(time.Hour)
	if got := c.Now(); !got.Equal(t0.Add(61 * time.Minute)) {
		t.Fatalf("live + offset = %v", got)
	}
	c.Set(t0)
	wall = wall.Add(time.Hour)
	if !c.Now().Equal(t0) || !c.Frozen() {
		t.Fatalf("Set must freeze: %v", c.Now())
	}
	c.Reset()
	if c.Frozen() || !c.Now().Equal(wall) {
		t.Fatalf("reset: %v frozen %v, want live %v", c.Now(), c.Frozen(), wall)
	}
}

func TestClockHold(t *testing.T) {
	wall := t0
	c := NewClock(func() time.Time { return wall }, time.Time{})
	c.Advance(time.Hour)
	release := c.Hold()
	wall = wall.Add(time.Minute)
	if !c.Frozen() || !c.Now().Equal(t0.Add(time.Hour)) {
		t.Fatalf("held: %v frozen %v", c.Now(), c.Frozen())
	}
	release()
	if c.Frozen() || !c.Now().Equal(t0.Add(61*time.Minute)) {
		t.Fatalf("released: %v frozen %v", c.Now(), c.Frozen())
	}
}

func TestClockInSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewClock(nil, time.Time{}) // time.Now: the bubble's fake clock
		start := c.Now()
		time.Sleep(time.Hour)
		if d := c.Now().Sub(start); d != time.Hour {
			t.Fatalf("an hour in the bubble moved the clock %v", d)
		}
		if !Sleep(t.Context(), 5*time.Second) || c.Now().Sub(start) != time.Hour+5*time.Second {
			t.Fatal("Sleep did not wait on the bubble's clock")
		}
	})
}

func TestClockChange(t *testing.T) {
	c := NewClock(nil, t0)
	apply := func(ch ClockChange, backwards bool) error {
		return ch.Apply(c.Set, func(d time.Duration) { c.Advance(d) }, backwards)
	}
	if err := apply(ClockChange{Set: "2026-02-01 08:00:00", Advance: "90s"}, false); err != nil || !c.Now().Equal(time.Date(2026, 2, 1, 8, 1, 30, 0, time.UTC)) {
		t.Fatalf("set and advance: %v, %v", c.Now(), err)
	}
	if err := apply(ClockChange{Set: "2026-03-01T00:00:00+01:00"}, false); err != nil || !c.Now().Equal(time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC)) {
		t.Fatalf("RFC 3339: %v, %v", c.Now(), err)
	}
	for _, bad := range []ClockChange{{Set: "tomorrow"}, {Advance: "soon"}, {Advance: "-1h"}} {
		if err := apply(bad, false); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	before := c.Now()
	if err := apply(ClockChange{Advance: "-1h"}, true); err != nil || !c.Now().Equal(before.Add(-time.Hour)) {
		t.Errorf("backwards: %v, %v", c.Now(), err)
	}
}
