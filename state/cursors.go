package state

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// SNCursor is the ServiceNow keyset cursor: the last row processed, by
// (sys_updated_on, sys_id). The zero value means "from the beginning".
type SNCursor struct {
	UpdatedOn time.Time // second precision, UTC
	SysID     string
}

// Cursors are the poll positions of both sides.
type Cursors struct {
	ServiceNow SNCursor
	// FlashdutyWindow is the start time up to which Flashduty discovery is
	// complete; zero when discovery never ran.
	FlashdutyWindow time.Time
	// FlashdutyDeep is when the last deep discovery (the one that re-lists
	// the whole overlap) completed; zero when none did.
	FlashdutyDeep time.Time
	// Sweep is the resync sweep's position.
	Sweep Sweep
}

// setFieldScript: fenced; KEYS[2] hash; ARGV[4] field, ARGV[5] value.
var setFieldScript = redis.NewScript(fencePrelude + `
redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
return 1
`)

// Cursors reads every poll position, the resync sweep's included (one
// round trip).
func (s *Store) Cursors(ctx context.Context) (Cursors, error) {
	vals, err := s.rdb.HMGet(ctx, s.key(keyCursors), "sn", "fd", "fdd", sweepField).Result()
	if err != nil {
		return Cursors{}, s.wrap("read cursors", err)
	}
	var c Cursors
	if v, ok := vals[0].(string); ok {
		at, id, _ := strings.Cut(v, "|")
		c.ServiceNow = SNCursor{UpdatedOn: fromSec(at), SysID: id}
	}
	if v, ok := vals[1].(string); ok {
		c.FlashdutyWindow = fromSec(v)
	}
	if v, ok := vals[2].(string); ok {
		c.FlashdutyDeep = fromSec(v)
	}
	sw, _ := vals[3].(string)
	if c.Sweep, err = parseSweep(sw); err != nil {
		return c, err
	}
	return c, nil
}

// SetServiceNowCursor stores the ServiceNow cursor; ErrFenced unless f
// holds the lease.
func (s *Store) SetServiceNowCursor(ctx context.Context, f Fence, c SNCursor) error {
	if strings.Contains(c.SysID, "|") {
		return fmt.Errorf("set servicenow cursor: sys_id %q must not contain '|'", c.SysID)
	}
	return s.setField(ctx, "set servicenow cursor", f, "sn", sec(c.UpdatedOn)+"|"+c.SysID)
}

// SetFlashdutyWindow stores the Flashduty discovery window; ErrFenced
// unless f holds the lease.
func (s *Store) SetFlashdutyWindow(ctx context.Context, f Fence, upTo time.Time) error {
	return s.setField(ctx, "set flashduty window", f, "fd", sec(upTo))
}

// SetFlashdutyDeep records when a deep discovery completed; ErrFenced
// unless f holds the lease.
func (s *Store) SetFlashdutyDeep(ctx context.Context, f Fence, at time.Time) error {
	return s.setField(ctx, "set flashduty deep discovery", f, "fdd", sec(at))
}

func (s *Store) setField(ctx context.Context, op string, f Fence, field, value string) error {
	args := append(s.fenceArgs(f), field, value)
	err := setFieldScript.Run(ctx, s.rdb, []string{s.key(keyLease), s.key(keyCursors)}, args...).Err()
	return s.wrap(op, err)
}
