package poller

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/snowduty/snowduty/state"
)

// A resync sweep re-checks every active pair in full (both records, every
// comment since the start): the drift repair behind the regular passes.
// The resync job only starts a sweep; the Flashduty passes carry it out a
// slice at a time, sized to finish within half the resync interval. A
// sweep therefore never holds the pass lock or Flashduty's rate budget for
// long (a sweep done in one pass over N pairs needs N timeline reads, a
// minute per 1,000 pairs at Flashduty's limit, during which no change
// would be synced), and it continues across restarts from its cursor in
// Redis.

// minSweepSlice is the smallest slice: a small active set is swept quickly.
const minSweepSlice = 10

// resync starts a sweep when one is due: on the schedule, and at start-up
// only when the last sweep started more than an interval ago, so frequent
// restarts do not re-read everything. A sweep still running is continued,
// not restarted.
func (p *Poller) resync(ctx context.Context) error {
	if p.o.DryRun {
		p.log.Debug("dry run: resync sweeps are left to the daemon")
		return nil
	}
	sw, err := p.st.Sweep(ctx)
	if err != nil {
		return err
	}
	now := p.now()
	sched, err := ParseSchedule(p.o.Schedules.Resync)
	if err != nil {
		return fmt.Errorf("parse resync schedule: %w", err)
	}
	due := sw.Started.IsZero() || !sched.Next(sw.Started).After(now.Add(time.Second))
	if !due {
		return nil // started within the last interval: a start-up run
	}
	if sw.Running {
		p.log.Warn("the last resync sweep outlasted its interval: continuing it, not starting another (the Flashduty passes may be slower than their schedule)",
			slog.Time(keyStarted, sw.Started))
		return nil
	}
	f, ok := p.currentFence()
	if !ok {
		return fmt.Errorf("start resync sweep: %w", state.ErrFenced)
	}
	if err := p.st.SetSweep(ctx, f, state.Sweep{Started: now, Running: true}); err != nil {
		return fmt.Errorf("start resync sweep: %w", err)
	}
	p.log.Info("resync sweep started", slog.Int(keySlice, p.sweepSize()))
	return nil
}

// sweepSlice is the part of a running sweep one Flashduty pass re-checks.
type sweepSlice struct {
	sw   state.Sweep
	due  map[string]bool
	next string // cursor after this slice; "" when it ends the sweep
}

// nextSweepSlice returns the next slice of sweep sw, or nil when no sweep
// runs (or in a dry run, which must not move it).
func (p *Poller) nextSweepSlice(ctx context.Context, sw state.Sweep) (*sweepSlice, error) {
	if p.o.DryRun || !sw.Running {
		return nil, nil
	}
	if p.lastActive.Load() == 0 {
		// A process's first pass (every `snowduty once`) has not counted
		// the active set yet: count it, or its slice would be the minimum
		// and a cron-driven sweep would never finish.
		n, err := p.st.ActiveCount(ctx)
		if err != nil {
			return nil, fmt.Errorf("size resync slice: %w", err)
		}
		p.lastActive.Store(n)
	}
	page, next, err := p.st.ActivePairs(ctx, sw.Cursor, p.sweepSize())
	if err != nil {
		return nil, fmt.Errorf("read resync slice: %w", err)
	}
	s := &sweepSlice{sw: sw, due: make(map[string]bool, len(page)), next: next}
	for _, a := range page {
		s.due[a.PairID] = true
	}
	return s, nil
}

// has reports whether pair id is re-checked in full by this slice.
func (s *sweepSlice) has(id string) bool { return s != nil && s.due[id] }

// advance stores the sweep's position after its slice was worked.
func (p *Poller) advance(ctx context.Context, s *sweepSlice) error {
	if s == nil {
		return nil
	}
	f, ok := p.currentFence()
	if !ok {
		return fmt.Errorf("advance resync sweep: %w", state.ErrFenced)
	}
	sw := s.sw
	sw.Cursor, sw.Running = s.next, s.next != ""
	if err := p.st.SetSweep(ctx, f, sw); err != nil {
		return fmt.Errorf("advance resync sweep: %w", err)
	}
	if !sw.Running {
		now := p.now()
		p.metrics.sweepDone.Set(float64(now.Unix()))
		p.log.Info("resync sweep done", slog.Duration(keyDuration, now.Sub(sw.Started)))
	}
	return nil
}

// sweepSize is how many pairs each Flashduty pass re-checks: the active set
// (as the last pass counted it) spread over the passes of half a resync
// interval, fewer when Flashduty's rate is busy (underLoad), but at least
// one, so a sweep always ends.
func (p *Poller) sweepSize() int {
	passes := int(scheduleInterval(p.o.Schedules.Resync) / 2 / max(scheduleInterval(p.o.Schedules.Flashduty), time.Second))
	passes = max(passes, 1)
	n := max((int(p.lastActive.Load())+passes-1)/passes, minSweepSlice)
	return max(underLoad(n, p.fd.Load()), 1)
}

// scheduleInterval is the time between two runs of a valid cron spec (the
// next two from now; for irregular specs, one of its gaps).
func scheduleInterval(spec string) time.Duration {
	sched, err := ParseSchedule(spec)
	if err != nil {
		return 0
	}
	t0 := sched.Next(time.Now())
	return sched.Next(t0).Sub(t0)
}
