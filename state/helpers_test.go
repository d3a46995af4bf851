package state

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/snowduty/snowduty/state/redistest"
)

// fakeClock is a settable clock shared by stores in one test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// testOptions are valid options for srv with a fake clock.
func testOptions(srv *redistest.Server, clock *fakeClock) Options {
	return Options{URL: srv.URL(), Logger: discardLogger(), Clock: clock.Now}
}

// openStore opens a store on srv; mod may change the options.
func openStore(t *testing.T, srv *redistest.Server, clock *fakeClock, mod ...func(*Options)) *Store {
	t.Helper()
	o := testOptions(srv, clock)
	for _, m := range mod {
		m(&o)
	}
	s, err := Open(t.Context(), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// env is a server, a clock and a store that holds the lease.
type env struct {
	srv   *redistest.Server
	clock *fakeClock
	s     *Store
	fence Fence
}

func newEnv(t *testing.T, mod ...func(*Options)) *env {
	t.Helper()
	e := &env{srv: redistest.Start(t), clock: newClock()}
	e.s = openStore(t, e.srv, e.clock, mod...)
	f, ok, err := e.s.AcquireLease(t.Context(), "leader-1")
	if err != nil || !ok {
		t.Fatalf("AcquireLease: ok=%v err=%v", ok, err)
	}
	e.fence = f
	return e
}

// roundTrips counts commands and pipelines sent by one client: each is one
// network round trip.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmds)
	}
}

// count runs fn and returns the round trips it made.
func (r *roundTrips) count(fn func()) int64 {
	before := r.n.Load()
	fn()
	return r.n.Load() - before
}
