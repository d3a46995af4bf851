// Package simkit is the machinery the ServiceNow and Flashduty simulators
// (snowsim, fdsim) share, with one vocabulary: a movable clock, a queue of
// injected faults matched by method and path, a call log, an in-process
// http.RoundTripper and the helpers of their plain-JSON control APIs. Each
// simulator renders the answers itself, the way its vendor does.
//
// It imports nothing but the standard library, starts no goroutine of its
// own outside a round trip and reads time only through the functions it is
// given, so it works inside testing/synctest bubbles.
package simkit

import (
	"sync"
	"time"
)

// Clock is a simulated clock: live (following a wall clock, plus an
// offset) or frozen (at a time, plus an offset). It is safe for concurrent
// use.
type Clock struct {
	live  func() time.Time
	start time.Time

	mu     sync.Mutex
	frozen bool
	base   time.Time // the frozen time
	offset time.Duration
}

// NewClock returns a clock that follows live (nil means time.Now, which is
// the fake clock inside a synctest bubble), or, when start is not zero, is
// frozen at start.
func NewClock(live func() time.Time, start time.Time) *Clock {
	if live == nil {
		live = time.Now
	}
	c := &Clock{live: live, start: start}
	c.Reset()
	return c
}

// Reset puts the clock back as NewClock built it.
func (c *Clock) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen, c.base, c.offset = !c.start.IsZero(), c.start, 0
}

// Now returns the simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now()
}

func (c *Clock) now() time.Time {
	if c.frozen {
		return c.base.Add(c.offset)
	}
	return c.live().Add(c.offset)
}

// Frozen reports whether the clock stands still.
func (c *Clock) Frozen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frozen
}

// Set freezes the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen, c.base, c.offset = true, t, 0
}

// Advance moves the clock by d (frozen or live) and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
	return c.now()
}

// Hold freezes the clock at its current time and returns the function
// that puts it back as it was (live or frozen, with its offset), so a
// batch of writes can share one instant.
func (c *Clock) Hold() (release func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	frozen, base, offset := c.frozen, c.base, c.offset
	c.frozen, c.base, c.offset = true, c.now(), 0
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.frozen, c.base, c.offset = frozen, base, offset
	}
}
