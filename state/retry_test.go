package state

import (
	"testing"
	"time"
)

func TestRetryQueueBackoffAndDeadLetter(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options) {
		o.RetryBase, o.RetryMax, o.MaxAttempts = 10*time.Second, 60*time.Second, 5
	})
	s, ctx := e.s, t.Context()
	t0 := e.clock.Now()

	// Failures 1..4 wait 10s, 20s, 40s, then 60s (80s capped).
	wantDelays := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 60 * time.Second}
	for i, d := range wantDelays {
		now := e.clock.Now()
		sch, err := s.Schedule(ctx, "sn:1", "patch", "HTTP 503")
		if err != nil {
			t.Fatal(err)
		}
		if sch.Dead || sch.Attempt != i+1 || !sch.Due.Equal(now.Add(d)) || !sch.FirstFailed.Equal(t0) {
			t.Fatalf("failure %d: %+v, want attempt %d due %v", i+1, sch, i+1, now.Add(d))
		}
		if due, _ := s.Due(ctx, now.Add(d-time.Millisecond), 10); len(due) != 0 {
			t.Fatalf("failure %d: due too early: %+v", i+1, due)
		}
		due, err := s.Due(ctx, now.Add(d), 10)
		if err != nil || len(due) != 1 {
			t.Fatalf("failure %d: Due = %+v %v", i+1, due, err)
		}
		want := Retry{PairID: "sn:1", Op: "patch", Err: "HTTP 503", Attempt: i + 1, Due: now.Add(d), FirstFailed: t0}
		if due[0] != want {
			t.Fatalf("failure %d: Due = %+v, want %+v", i+1, due[0], want)
		}
		e.clock.Advance(d)
	}
	// The fifth failure is the last attempt: dead letter, not queued.
	sch, err := s.Schedule(ctx, "sn:1", "patch", "HTTP 400: bad state")
	if err != nil || !sch.Dead || sch.Attempt != 5 {
		t.Fatalf("last failure = %+v %v", sch, err)
	}
	if due, _ := s.Due(ctx, e.clock.Now().Add(time.Hour), 10); len(due) != 0 {
		t.Fatalf("dead pair still queued: %+v", due)
	}
	dead, err := s.DeadLetters(ctx)
	if err != nil || len(dead) != 1 {
		t.Fatalf("DeadLetters = %+v %v", dead, err)
	}
	wantDead := DeadLetter{PairID: "sn:1", Op: "patch", Err: "HTTP 400: bad state", Attempts: 5, FirstFailed: t0, At: e.clock.Now()}
	if dead[0] != wantDead {
		t.Fatalf("dead letter = %+v, want %+v", dead[0], wantDead)
	}

	// Replay puts it back, due now, with fresh attempts.
	n, err := s.Replay(ctx, "sn:1")
	if err != nil || n != 1 {
		t.Fatalf("Replay = %d %v", n, err)
	}
	if dead, _ := s.DeadLetters(ctx); len(dead) != 0 {
		t.Fatalf("dead letters after replay: %+v", dead)
	}
	due, _ := s.Due(ctx, e.clock.Now(), 10)
	if len(due) != 1 || due[0].Attempt != 0 || due[0].Op != "patch" {
		t.Fatalf("after replay Due = %+v", due)
	}
	sch, _ = s.Schedule(ctx, "sn:1", "patch", "again")
	if sch.Attempt != 1 || !sch.Due.Equal(e.clock.Now().Add(10*time.Second)) {
		t.Fatalf("first failure after replay = %+v", sch)
	}
	if err := s.Done(ctx, "sn:1"); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.Due(ctx, e.clock.Now().Add(time.Hour), 10); len(due) != 0 {
		t.Fatalf("Done left %+v", due)
	}
}

func TestRetryDueOrderLimitAndReplayAll(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options) { o.MaxAttempts = 1 })
	s, ctx := e.s, t.Context()
	// MaxAttempts 1: every failure dead-letters at once.
	for _, id := range []string{"sn:a", "sn:b", "sn:c"} {
		if sch, err := s.Schedule(ctx, id, "create", "boom"); err != nil || !sch.Dead {
			t.Fatalf("Schedule = %+v %v", sch, err)
		}
		e.clock.Advance(time.Second)
	}
	n, err := s.Replay(ctx, "")
	if err != nil || n != 3 {
		t.Fatalf("Replay all = %d %v", n, err)
	}
	due, err := s.Due(ctx, e.clock.Now(), 2)
	if err != nil || len(due) != 2 {
		t.Fatalf("Due limit 2 = %+v %v", due, err)
	}
	if n, _ := s.Replay(ctx, "sn:none"); n != 0 {
		t.Fatalf("replaying a missing pair moved %d", n)
	}
	if _, err := s.Schedule(ctx, "sn:a", "", "x"); err == nil {
		t.Fatal("empty op accepted")
	}
	if _, err := s.Due(ctx, e.clock.Now(), 0); err == nil {
		t.Fatal("limit 0 accepted")
	}
}

func TestClearDeadLetters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options) { o.MaxAttempts = 1 })
	s, ctx := e.s, t.Context()
	for _, id := range []string{"sn:1", "sn:2"} {
		if sch, err := s.Schedule(ctx, id, "patch", "403 data policy"); err != nil || !sch.Dead {
			t.Fatalf("Schedule(%s) = %+v %v", id, sch, err)
		}
	}
	n, err := s.ClearDeadLetters(ctx, "sn:1", "sn:never-failed")
	if err != nil || n != 1 {
		t.Fatalf("ClearDeadLetters = %d %v, want 1", n, err)
	}
	dead, err := s.DeadLetters(ctx)
	if err != nil || len(dead) != 1 || dead[0].PairID != "sn:2" {
		t.Fatalf("DeadLetters = %+v %v, want only sn:2", dead, err)
	}
	if n, err := s.ClearDeadLetters(ctx); n != 0 || err != nil {
		t.Fatalf("ClearDeadLetters() = %d %v", n, err)
	}
}
