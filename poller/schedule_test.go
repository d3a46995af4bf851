package poller

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func newTestScheduler(timeout time.Duration) (*scheduler, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	return &scheduler{
		log:     slog.New(slog.DiscardHandler),
		timeout: timeout,
		health:  NewHealth(time.Now, time.Minute, func(context.Context) error { return nil }),
		metrics: NewMetrics(reg),
		now:     time.Now,
	}, reg
}

// runFor runs the scheduler for d of bubble time and waits for it to stop.
func runFor(t *testing.T, s *scheduler, jobs []job, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	if err := s.run(ctx, jobs, time.Minute); err != nil {
		t.Fatal(err)
	}
}

func TestSchedulerRunsOnceAtStartUpThenOnSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, reg := newTestScheduler(time.Minute)
		var mu sync.Mutex
		var at []time.Duration
		start := time.Now()
		jobs := []job{{name: "hourly", spec: "@every 1h", run: func(context.Context) error {
			mu.Lock()
			at = append(at, time.Since(start))
			mu.Unlock()
			return nil
		}}}
		runFor(t, s, jobs, 90*time.Minute)
		if len(at) != 2 || at[0] != 0 || at[1] != time.Hour {
			t.Fatalf("runs at %v, want [0s 1h0m0s]", at)
		}
		if got := testutil.ToFloat64(s.metrics.passes.WithLabelValues("hourly", "ok")); got != 2 {
			t.Fatalf("passes_total ok = %v, want 2", got)
		}
		if got := testutil.ToFloat64(s.metrics.lastSuccess.WithLabelValues("hourly")); got != float64(start.Add(time.Hour).Unix()) {
			t.Fatalf("last success = %v", got)
		}
		if n := testutil.CollectAndCount(reg, "snowduty_pass_duration_seconds"); n != 1 {
			t.Fatalf("%d pass duration series", n)
		}
	})
}

func TestSchedulerSkipsWhileStillRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newTestScheduler(time.Minute)
		var running, maxRunning, runs atomic.Int32
		jobs := []job{{name: "slow", spec: "@every 10s", run: func(ctx context.Context) error {
			n := running.Add(1)
			defer running.Add(-1)
			if n > maxRunning.Load() {
				maxRunning.Store(n)
			}
			runs.Add(1)
			time.Sleep(25 * time.Second)
			return nil
		}}}
		runFor(t, s, jobs, 95*time.Second)
		if maxRunning.Load() != 1 {
			t.Fatalf("%d runs of one job overlapped", maxRunning.Load())
		}
		// 9 ticks in 95s, but each run takes 25s: most ticks are skipped.
		if r := runs.Load(); r < 3 || r > 5 {
			t.Fatalf("%d runs, want 3..5 (ticks while running are skipped)", r)
		}
	})
}

func TestSchedulerRecoversPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newTestScheduler(time.Minute)
		var runs atomic.Int32
		jobs := []job{{name: "boom", spec: "@every 10s", run: func(context.Context) error {
			runs.Add(1)
			panic("bug in a job")
		}}}
		runFor(t, s, jobs, 35*time.Second)
		if r := runs.Load(); r != 4 {
			t.Fatalf("%d runs, want 4 (start-up + 3 ticks, each panic recovered)", r)
		}
	})
}

func TestSchedulerTimeoutPerRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newTestScheduler(3 * time.Second)
		var got error
		var took time.Duration
		jobs := []job{{name: "hang", spec: "@every 1h", run: func(ctx context.Context) error {
			start := time.Now()
			<-ctx.Done()
			got, took = ctx.Err(), time.Since(start)
			return ctx.Err()
		}}}
		runFor(t, s, jobs, 10*time.Second)
		if !errors.Is(got, context.DeadlineExceeded) || took != 3*time.Second {
			t.Fatalf("run ended with %v after %v, want deadline exceeded after 3s", got, took)
		}
		if v := testutil.ToFloat64(s.metrics.passes.WithLabelValues("hang", "failed")); v != 1 {
			t.Fatalf("failed passes = %v, want 1", v)
		}
	})
}
