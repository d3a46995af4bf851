package flashduty_test

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/httpx"
)

// TestClientStaysUnderServerRateLimit: 1,100 calls from 5 goroutines
// against a simulator that enforces 50/s and 1,000/min never see a 429.
func TestClientStaysUnderServerRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, fdsim.Options{RateLimit: true}, flashduty.Options{})
		start := time.Now()
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() {
				for range 220 {
					if _, err := e.client.MemberInfo(t.Context()); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		for _, c := range e.calls.All() {
			if c.Class == httpx.RateLimited {
				t.Fatalf("the client was rate limited: %+v", c)
			}
		}
		if n := len(e.calls.All()); n != 1100 {
			t.Errorf("%d calls, want 1100", n)
		}
		// The last 100 go after 61 s (a minute plus the margin) and 62.1 s.
		if d := time.Since(start); d < 61*time.Second || d > 63*time.Second {
			t.Errorf("1,100 calls took %v; want just over a minute (the 1,000/min limit plus the limiter's margins)", d)
		}
	})
}

// TestClientWithoutLimiterHitsRealRateLimits shows the simulator's limit is
// real: clients that together exceed it get 429s, and retry through them.
func TestClientWithoutLimiterHitsRealRateLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, fdsim.Options{RateLimit: true}, flashduty.Options{})
		// A second client on the same account has its own limiter.
		other, err := flashduty.New(flashduty.Options{AppKey: e.sim.AppKey(), BaseURL: "http://127.0.0.1:9", Transport: e.sim.Transport(), Observer: e.calls.Observe})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, c := range []*flashduty.Client{e.client, other} {
			wg.Go(func() {
				for range 60 {
					if _, err := c.MemberInfo(t.Context()); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		limited := 0
		for _, c := range e.calls.All() {
			if c.Class == httpx.RateLimited {
				limited++
			}
		}
		if limited == 0 {
			t.Error("two clients at 50/s each were never rate limited")
		}
	})
}
