package redistest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// A Sentinel topology fails over when its master is killed: the replica
// becomes master with the replicated data, and a failover client follows
// it.
func TestSentinelFailover(t *testing.T) {
	t.Parallel()
	begin := time.Now()
	sn := StartSentinel(t, SentinelPassword("pw-sent"))
	t.Logf("topology up in %v", time.Since(begin).Round(time.Millisecond))
	// Generous: a sentinel whose timer is late by 2 s (a loaded machine)
	// enters TILT mode and reconfigures nothing for 30 s.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, a := range append(sn.SentinelAddrs(), sn.Master().Addr(), sn.Replica().Addr()) {
		if strings.HasSuffix(a, ":6379") || !strings.HasPrefix(a, "127.0.0.1:") {
			t.Fatalf("topology on a shared or non-loopback address: %s", a)
		}
	}
	fc := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: sn.MasterName(), SentinelAddrs: sn.SentinelAddrs(),
		Password: sn.Password(), SentinelPassword: sn.Password()})
	defer func() { _ = fc.Close() }()
	if err := fc.Set(ctx, "k", "before", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := sn.WaitReplicated(ctx); err != nil {
		t.Fatal(err)
	}
	old := sn.KillMaster()
	start := time.Now()
	addr, err := sn.WaitFailover(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("failover %s -> %s in %v", old, addr, time.Since(start).Round(time.Millisecond))
	if v, err := fc.Get(ctx, "k").Result(); err != nil || v != "before" {
		t.Fatalf("after failover: %q %v", v, err)
	}
	if err := fc.Set(ctx, "k", "after", 0).Err(); err != nil {
		t.Fatalf("write after failover: %v", err)
	}
	// The old master's return as a replica is Sentinel's own work, and a
	// loaded machine can put the sentinels in TILT mode for 30 s and more:
	// the soak (make soak-ha) exercises it, not this test.
}

// A 3-master cluster serves every slot, and MigrateSlot moves a slot with
// its keys while a cluster client keeps reading and writing them.
func TestClusterMigrateSlot(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, ClusterPassword("pw-clu"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs(), Password: c.Password()})
	defer func() { _ = cc.Close() }()
	for i := range 200 {
		if err := cc.Set(ctx, fmt.Sprintf("{tag}k%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	slot, err := c.KeySlot(ctx, "{tag}k0")
	if err != nil {
		t.Fatal(err)
	}
	from, err := c.Owner(ctx, slot)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.MigrateSlot(ctx, slot, c.Next(from), MigrateOptions{Batch: 7, Pause: 5 * time.Millisecond})
		done <- err
	}()
	writes := 0
	for migrating := true; migrating; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			migrating = false
		default:
		}
		k := fmt.Sprintf("{tag}k%d", writes%250)
		if err := cc.Set(ctx, k, "w", 0).Err(); err != nil {
			t.Fatalf("write %s during migration: %v", k, err)
		}
		writes++
	}
	if o, err := c.Owner(ctx, slot); err != nil || o != c.Next(from) {
		t.Fatalf("owner after migration: %v %v", o, err)
	}
	n, err := c.Next(from).Client().ClusterCountKeysInSlot(ctx, slot).Result()
	if want := max(200, min(writes, 250)); err != nil || int(n) != want {
		t.Fatalf("keys on the new owner: %d %v, want %d", n, err, want)
	}
	t.Logf("migrated slot %d with %d keys under %d writes", slot, n, writes)
}
