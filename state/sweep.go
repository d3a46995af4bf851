package state

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Sweep is the position of the resync sweep: a full re-check of every
// active pair, spread over the Flashduty passes a slice at a time so that
// it never stalls them. It lives in Redis, so a restart continues it.
type Sweep struct {
	Started time.Time // when the current (or last) sweep started; zero: never
	Running bool      // a sweep is in progress
	Cursor  string    // where its next slice starts (an ActivePairs cursor; "" the beginning)
}

// sweepField is the cursors hash field: "<started ms>|<cursor>", the cursor
// being sweepDone once the sweep is complete.
const (
	sweepField = "rs"
	sweepDone  = "-"
)

// Sweep reads the resync sweep's position (one round trip; Cursors reads
// it too, with the other positions).
func (s *Store) Sweep(ctx context.Context) (Sweep, error) {
	c, err := s.Cursors(ctx)
	return c.Sweep, err
}

// parseSweep decodes the sweep field; "" (absent) is no sweep yet.
func parseSweep(v string) (Sweep, error) {
	if v == "" {
		return Sweep{}, nil
	}
	at, cur, ok := strings.Cut(v, "|")
	started := fromMs(at)
	if !ok || started.IsZero() {
		return Sweep{}, fmt.Errorf("read resync sweep: stored value %q is not one this store wrote", v)
	}
	if cur == sweepDone {
		return Sweep{Started: started}, nil
	}
	return Sweep{Started: started, Running: true, Cursor: cur}, nil
}

// SetSweep stores the resync sweep's position; ErrFenced unless f holds the
// lease.
func (s *Store) SetSweep(ctx context.Context, f Fence, sw Sweep) error {
	if sw.Started.IsZero() {
		return fmt.Errorf("set resync sweep: the start time is missing")
	}
	cur := sweepDone
	if sw.Running {
		if sw.Cursor == sweepDone {
			return fmt.Errorf("set resync sweep: cursor %q is not an active-pairs cursor", sw.Cursor)
		}
		cur = sw.Cursor
	}
	return s.setField(ctx, "set resync sweep", f, sweepField, ms(sw.Started)+"|"+cur)
}
