package flashduty

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// maxInWindow returns the most send times falling in any window of length w
// (a time t counts for (t-w, t]).
func maxInWindow(times []time.Time, w time.Duration) int {
	best, lo := 0, 0
	for hi := range times {
		for !times[lo].After(times[hi].Add(-w)) {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

func TestLimiterKeepsUnderBothLimits(t *testing.T) {
	tests := []struct {
		perSec, perMin, calls int
		wantLast              time.Duration // when the last call may go
	}{
		{50, 1000, 120, 2200 * time.Millisecond}, // 50 now, 50 at 1.1s, 20 at 2.2s
		{50, 100, 150, 61 * time.Second},         // the minute limit binds: 100 in the first 1.1s, 50 more at 61s
		{5, 1000, 11, 2200 * time.Millisecond},   // a configured lower rate
		{50, 1000, 1050, 61 * time.Second},       // 1000 in the first 21s, then wait for the minute
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			l := newLimiter(tt.perSec, tt.perMin)
			start := time.Now()
			var mu sync.Mutex
			var times []time.Time
			var wg sync.WaitGroup
			for range 4 { // concurrent callers share the limit
				wg.Go(func() {
					for range tt.calls / 4 {
						if err := l.wait(t.Context()); err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						times = append(times, time.Now())
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			for range tt.calls % 4 {
				_ = l.wait(t.Context())
				times = append(times, time.Now())
			}
			slices.SortFunc(times, time.Time.Compare)
			// Within the limits even if arrivals shift by up to the margins.
			if n := maxInWindow(times, time.Second+secondMargin); n > tt.perSec {
				t.Errorf("%d/s %d/min: %d calls in one second plus the margin", tt.perSec, tt.perMin, n)
			}
			if n := maxInWindow(times, time.Minute+minuteMargin); n > tt.perMin {
				t.Errorf("%d/s %d/min: %d calls in one minute plus the margin", tt.perSec, tt.perMin, n)
			}
			if got := times[len(times)-1].Sub(start); got != tt.wantLast {
				t.Errorf("%d/s %d/min, %d calls: last at %v, want %v (full speed within the limits)", tt.perSec, tt.perMin, tt.calls, got, tt.wantLast)
			}
		})
	}
}

func TestLimiterHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(1, 1000)
		if err := l.wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		if err := l.wait(ctx); err == nil {
			t.Error("wait past the deadline succeeded")
		}
	})
}

// load counts the sends of the last minute, waiting ones included, against
// the per-minute limit, and falls back to 0 once they are a minute old.
func TestLimiterLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(50, 100)
		if got := l.load(); got != 0 {
			t.Fatalf("idle load = %v, want 0", got)
		}
		for range 50 {
			if err := l.wait(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		if got := l.load(); got != 0.5 {
			t.Fatalf("load after 50 of 100 = %v, want 0.5", got)
		}
		// 100 more callers queue behind the minute limit: a backlog.
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() { _ = l.wait(t.Context()) })
		}
		time.Sleep(2 * time.Second)
		if got := l.load(); got != 1.5 {
			t.Fatalf("load with a backlog = %v, want 1.5", got)
		}
		wg.Wait()
		time.Sleep(2 * time.Minute)
		if got := l.load(); got != 0 {
			t.Fatalf("load two minutes later = %v, want 0", got)
		}
	})
}
