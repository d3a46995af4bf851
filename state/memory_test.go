package state

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/snowduty/snowduty/state/redistest"
)

// memoryPairs is the number of pairs the memory measurement stores.
const memoryPairs = 100_000

// memoryTarget is the budget per pair (links + snapshot + active entry).
const memoryTarget = 600

// snapshotOf returns a realistic ~200-byte snapshot (what diff encodes).
func snapshotOf(i int) []byte {
	s := fmt.Sprintf(`{"t":"Database latency above threshold on db-%05d","st":"2","sev":"Warning","u":"2","i":"2","fdu":1764150000,"snu":"2026-11-26 09:30:15","c":["a1b2c3d4"],"cf":{"u_service":"payments"},"h":"%08x"}`, i, i*2654435761)
	return []byte(s)
}

func usedMemory(ctx context.Context, c *redis.Client) (int64, error) {
	info, err := c.Info(ctx, "memory").Result()
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no used_memory in INFO")
}

// measureBytesPerPair stores memoryPairs links, snapshots and active-set
// entries in a fresh redis-server and returns the growth of used_memory
// per pair, split into links+snapshots and the total.
func measureBytesPerPair(tb testing.TB) (linksSnaps, total float64) {
	srv := redistest.Start(tb)
	ctx := context.Background()
	s, err := Open(ctx, Options{URL: srv.URL(), Logger: discardLogger()})
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	f, _, err := s.AcquireLease(ctx, "bench")
	if err != nil {
		tb.Fatal(err)
	}
	before, err := usedMemory(ctx, srv.Client())
	if err != nil {
		tb.Fatal(err)
	}
	const batch = 1000
	created := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for start := 0; start < memoryPairs; start += batch {
		links := make([]Link, 0, batch)
		writes := make([]SnapshotWrite, 0, batch)
		for i := start; i < start+batch; i++ {
			// sys_id: 32 hex; incident_id: 24 hex (Flashduty ObjectID).
			l := Link{
				SysID:      fmt.Sprintf("%032x", uint64(i)*0x9E3779B97F4A7C15),
				IncidentID: fmt.Sprintf("6745%020x", i),
				Number:     fmt.Sprintf("INC%07d", i),
				Created:    created, Origin: OriginServiceNow,
			}
			links = append(links, l)
			writes = append(writes, SnapshotWrite{PairID: l.PairID(), Data: snapshotOf(i)})
		}
		if _, err := s.putLinks(ctx, links); err != nil {
			tb.Fatal(err)
		}
		if _, err := s.PutSnapshots(ctx, f, writes); err != nil {
			tb.Fatal(err)
		}
	}
	// The layout relies on small buckets staying listpacks.
	for _, fam := range []string{bucketLinks, bucketReverse} {
		key := s.tag + fam + "000"
		if enc, err := srv.Client().ObjectEncoding(ctx, key).Result(); err != nil || enc != "listpack" {
			tb.Fatalf("%s is encoded as %q (%v), want listpack", key, enc, err)
		}
	}
	mid, err := usedMemory(ctx, srv.Client())
	if err != nil {
		tb.Fatal(err)
	}
	for start := 0; start < memoryPairs; start += batch {
		ids := make([]string, 0, batch)
		for i := start; i < start+batch; i++ {
			ids = append(ids, PairIDForSysID(fmt.Sprintf("%032x", uint64(i)*0x9E3779B97F4A7C15)))
		}
		if err := s.AddActive(ctx, ids...); err != nil {
			tb.Fatal(err)
		}
	}
	after, err := usedMemory(ctx, srv.Client())
	if err != nil {
		tb.Fatal(err)
	}
	return float64(mid-before) / memoryPairs, float64(after-before) / memoryPairs
}

// TestMemoryPerPair keeps the key layout honest: 100,000 pairs (links both
// ways, a ~200-byte snapshot, an active-set entry) must cost under 600
// bytes each in Redis.
func TestMemoryPerPair(t *testing.T) {
	t.Parallel()
	ls, total := measureBytesPerPair(t)
	t.Logf("redis used_memory per pair: %.0f bytes (links + snapshot), %.0f bytes with the active-set entry", ls, total)
	if total >= memoryTarget {
		t.Fatalf("%.0f bytes per pair, want < %d", total, memoryTarget)
	}
}

// BenchmarkMemoryPerPair reports Redis bytes per pair for 100,000 pairs.
// Run: go test -run '^$' -bench MemoryPerPair -benchtime 1x ./state
func BenchmarkMemoryPerPair(b *testing.B) {
	var ls, total float64
	for b.Loop() {
		ls, total = measureBytesPerPair(b)
	}
	b.ReportMetric(ls, "bytes/pair(links+snapshot)")
	b.ReportMetric(total, "bytes/pair")
}
