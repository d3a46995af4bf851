package state

import (
	"context"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// One integration's keys share a hash tag, so a Redis Cluster keeps them
// in one slot. While that slot is being migrated (a reshard, a rebalance),
// Redis answers a command whose keys are split between the two nodes with
// TRYAGAIN, and a Lua script that reaches a key already moved with "Script
// attempted to access a non local key"; both end when the migration does.
// go-redis retries TRYAGAIN only MaxRedirects (3) times, within a second,
// and the script error not at all, so on a cluster the Store retries both
// itself for up to slotMigrationWait.
const (
	slotMigrationWait    = 15 * time.Second
	slotMigrationBackoff = 20 * time.Millisecond
	slotMigrationMaxStep = 500 * time.Millisecond
)

// migrationRetry is the go-redis hook of the cluster client that retries
// commands refused because the slot is being migrated. Every script of
// the Store fails before it writes, or may be run again, so a retry is
// safe.
type migrationRetry struct{}

func (migrationRetry) DialHook(next redis.DialHook) redis.DialHook { return next }

func (migrationRetry) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next // pipelines hold single-key commands: go-redis follows ASK
}

func (migrationRetry) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		deadline := time.Now().Add(slotMigrationWait)
		for step := slotMigrationBackoff; err != nil && isMigrating(err) && time.Now().Before(deadline); step = min(2*step, slotMigrationMaxStep) {
			t := time.NewTimer(step)
			select {
			case <-ctx.Done():
				t.Stop()
				return err
			case <-t.C:
			}
			err = next(ctx, cmd)
		}
		return err
	}
}

// isMigrating reports whether err says the command's slot is migrating.
func isMigrating(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "TRYAGAIN ") || strings.HasPrefix(msg, "ASK ") ||
		strings.Contains(msg, "Script attempted to access a non local key in a cluster node")
}
