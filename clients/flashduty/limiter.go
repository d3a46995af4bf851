package flashduty

import (
	"context"
	"sync"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
)

// Margins added to the server's windows: the server counts arrivals, and a
// request sent on time may arrive up to a margin later or earlier than its
// neighbours (scheduling, connection set-up, the network), so sends are
// spaced as if each window were that much longer.
const (
	secondMargin = 100 * time.Millisecond
	minuteMargin = time.Second
)

// limiter spaces requests so that no 1-second window holds more than
// perSec of them and no 60-second window more than perMin: the way the
// server counts, plus a margin (above) for arrival jitter. A token bucket
// allows its burst on top of its rate in any window (up to twice the
// limit), so this keeps a log of the send times it handed out instead.
// Callers are served in arrival order; a caller whose context ends keeps
// its slot (conservative).
type limiter struct {
	mu     sync.Mutex
	perSec int
	perMin int
	times  []time.Time // send times handed out, ascending
}

func newLimiter(perSec, perMin int) *limiter {
	return &limiter{perSec: perSec, perMin: perMin}
}

// wait blocks until the caller may send, or ctx ends.
func (l *limiter) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	now := time.Now()
	at := now
	n := len(l.times)
	if n > 0 && l.times[n-1].After(at) {
		at = l.times[n-1]
	}
	if n >= l.perSec {
		if t := l.times[n-l.perSec].Add(time.Second + secondMargin); t.After(at) {
			at = t
		}
	}
	if n >= l.perMin {
		if t := l.times[n-l.perMin].Add(time.Minute + minuteMargin); t.After(at) {
			at = t
		}
	}
	l.times = append(l.times, at)
	if keep := max(l.perSec, l.perMin); len(l.times) > 2*keep {
		l.times = append(l.times[:0:0], l.times[len(l.times)-keep:]...)
	}
	l.mu.Unlock()
	return httpx.Sleep(ctx, at.Sub(now))
}

// load is the share of the per-minute limit taken by the sends handed out
// within the last minute, those still waiting included: 0 idle, 1 at the
// limit, above 1 with a backlog.
func (l *limiter) load() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	since := time.Now().Add(-time.Minute)
	n := 0
	for i := len(l.times) - 1; i >= 0 && l.times[i].After(since); i-- {
		n++
	}
	return float64(n) / float64(l.perMin)
}

// Load is the share of the per-minute rate this client used in the last
// minute, requests still waiting for their turn included: 0 idle, 1 at the
// limit, above 1 with a backlog. Callers use it to put off optional reads.
func (c *Client) Load() float64 { return c.limit.load() }
