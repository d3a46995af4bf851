package loadtest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/state/redistest"
)

var (
	flagSizes      = flag.String("loadtest.sizes", "200", "changed pairs per throughput run, comma-separated (make bench: 1000,10000)")
	flagIdle       = flag.Int("loadtest.idle", 300, "active pairs of the idle pass (make bench: 10000)")
	flagCPUProfile = flag.String("loadtest.cpuprofile", "", "write a CPU profile of the largest throughput run (seeding, linking and changes) here")
)

func sizes(t *testing.T) []int {
	var out []int
	for _, s := range strings.Split(*flagSizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			t.Fatalf("-loadtest.sizes: %q is not a positive number", s)
		}
		out = append(out, n)
	}
	return out
}

// figure logs one measured figure in a form `make bench` collects.
func figure(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Logf("FIGURE "+format, args...)
}

// TestThroughput links n pairs, then changes every one of them once (a
// quarter each: Flashduty title, ServiceNow state, Flashduty severity,
// ServiceNow comment) and measures the wall-clock time of the passes that
// carry every change across, with the default concurrency and batch size.
// The simulators answer in-process and instantly, and time is simulated
// (synctest), so Flashduty's 1,000 req/min pacing costs no wall time: the
// figure is the daemon's own cost (plus Redis). It checks every change
// arrived exactly once and reports the calls against the minimum.
func TestThroughput(t *testing.T) {
	all := sizes(t)
	redis := redistest.Start(t)
	for i, n := range all {
		t.Run(fmt.Sprintf("pairs=%d", n), func(t *testing.T) {
			redis.Flush()
			profile := ""
			if i == len(all)-1 {
				profile = *flagCPUProfile
			}
			if profile != "" {
				// Started outside the bubble: the profile writer must not
				// be a bubble goroutine, or simulated time never advances.
				// It covers the whole run: seeding, linking and the changes.
				stop := startProfile(t, profile)
				defer stop()
			}
			synctest.Test(t, func(t *testing.T) { throughput(t, redis, n) })
		})
	}
}

func throughput(t *testing.T, redis *redistest.Server, n int) {
	w := newWorld(t, redis)
	p := w.newPoller(t, daemonOptions{inProcess: true})
	ctx := t.Context()
	ids := w.seedFlashduty(t, n)
	_, linkBusy := w.settle(t, ctx, p, 10)
	pairs := w.pairs(t, ids)
	if got := w.sn.IncidentCount(); got != n {
		t.Fatalf("%d servicenow incidents for %d flashduty incidents", got, n)
	}
	var perKind [editKinds]int
	for j, pr := range pairs {
		k := j % editKinds
		if err := w.mixedEdit(pr, k, 1); err != nil {
			t.Fatalf("edit pair %d: %v", j, err)
		}
		perKind[k]++
	}
	time.Sleep(3 * time.Second) // past ServiceNow's cursor lag
	w.sn.ResetCalls()
	w.fd.ResetCalls()
	passes, busy := w.settle(t, ctx, p, 6)
	c := w.calls()
	w.checkArrived(t, pairs, 1)
	minSN, minFD := minimumCalls(n, perKind)
	figure(t, "throughput pairs=%d: %.0f changed pairs/s (%d passes, %.2fs wall); first link of %d pairs %.0f pairs/s",
		n, float64(n)/busy.Seconds(), passes, busy.Seconds(), n, float64(n)/linkBusy.Seconds())
	figure(t, "calls pairs=%d: servicenow %d (%d reads + %d writes) vs minimum %d = %.2fx; flashduty %d (%d reads + %d writes) vs minimum %d = %.2fx",
		n, c.snReads+c.snWrites, c.snReads, c.snWrites, minSN, float64(c.snReads+c.snWrites)/float64(minSN),
		c.fdReads+c.fdWrites, c.fdReads, c.fdWrites, minFD, float64(c.fdReads+c.fdWrites)/float64(minFD))
	figure(t, "endpoints pairs=%d: servicenow %v; flashduty %v", n, w.sn.Calls(), w.fd.Calls())
}

// checkArrived fails unless round r's edits reached the other side.
func (w *world) checkArrived(t testing.TB, pairs []pairRef, r int) {
	t.Helper()
	for j, pr := range pairs {
		sn, _ := w.sn.Incident(pr.sysID)
		fd, _ := w.fd.Incident(pr.incidentID)
		switch j % editKinds {
		case editFDTitle:
			if sn["short_description"] != fd.Title {
				t.Fatalf("pair %d: title %q did not reach servicenow (%q)", j, fd.Title, sn["short_description"])
			}
		case editSNState:
			want := map[string]string{"1": "Triggered", "2": "Processing"}[sn["state"]]
			if fd.Progress != want {
				t.Fatalf("pair %d: servicenow state %s did not reach flashduty (progress %s)", j, sn["state"], fd.Progress)
			}
		case editFDSeverity:
			want := map[string]string{"Critical": "1", "Warning": "2", "Info": "3"}[fd.Severity]
			if sn["urgency"] != want {
				t.Fatalf("pair %d: severity %s did not reach servicenow (urgency %s)", j, fd.Severity, sn["urgency"])
			}
		case editSNComment:
			feed, _ := w.fd.Feed(pr.incidentID)
			text := fmt.Sprintf("Load comment r%d on %s", r, pr.sysID)
			found := 0
			for _, it := range feed {
				if it.Type == "i_comm" && strings.Contains(string(it.Detail), text) {
					found++
				}
			}
			if found != 1 {
				t.Fatalf("pair %d: comment %q is %d times in flashduty, want 1", j, text, found)
			}
		}
	}
}

// startProfile profiles the CPU until the returned stop is called.
func startProfile(t testing.TB, path string) func() {
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("create cpu profile: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Fatalf("start cpu profile: %v", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}

// TestIdlePass runs a pass over an active set where nothing changed: it
// must write nothing; it reports the calls to each side (expected:
// ServiceNow 1, Flashduty ⌈active/100⌉ list-by-ids + the feed budget + 1
// discovery page) and the Redis commands of the pass.
func TestIdlePass(t *testing.T) {
	n := *flagIdle
	redis := redistest.Start(t)
	proxy := newRTProxy(t, redis.Addr())
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, redis)
		p := w.newPoller(t, daemonOptions{inProcess: true, redisURL: proxy.url()})
		ctx := t.Context()
		w.seedFlashduty(t, n)
		w.settle(t, ctx, p, 10)
		// One quiet pass first: right after a short settle, ServiceNow's
		// change-feed cursor may still sit inside the last burst, which the
		// next pass re-reads once before the cursor moves on.
		time.Sleep(30 * time.Second)
		if err := p.RunOnce(ctx); err != nil {
			t.Fatalf("quiet pass: %v", err)
		}
		time.Sleep(30 * time.Second)
		w.sn.ResetCalls()
		w.fd.ResetCalls()
		rdb := redis.Client()
		if err := rdb.ConfigResetStat(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
		proxy.writes.Store(0)
		t0 := realNow()
		if err := p.RunOnce(ctx); err != nil {
			t.Fatalf("idle pass: %v", err)
		}
		wall := realNow().Sub(t0)
		trips := proxy.writes.Load()
		c := w.calls()
		if c.snWrites+c.fdWrites != 0 {
			t.Fatalf("idle pass wrote: %+v (servicenow %v, flashduty %v)", c, w.sn.Calls(), w.fd.Calls())
		}
		cmds := redisCommands(t, redis)
		figure(t, "idle pass active=%d: servicenow %d calls; flashduty %d calls (expected ⌈%d/100⌉+%d feed = %d, plus discovery); redis %d round trips (%.1f per page of 100 pairs), %d commands incl. those run inside scripts; %.2fs wall",
			n, c.snReads, c.fdReads, n, 20, ceilDiv(n, 100)+20, trips, float64(trips)/float64(ceilDiv(n, 100)), cmds, wall.Seconds())
		figure(t, "idle endpoints active=%d: servicenow %v; flashduty %v; redis %s", n, w.sn.Calls(), w.fd.Calls(), redisCommandStats(t, redis))
		// ServiceNow: the change feed's one (empty) page and nothing else.
		// The feed budget's pairs found no new Flashduty comment, so their
		// ServiceNow records are not read.
		if c.snReads != 1 {
			t.Errorf("idle pass made %d servicenow calls, want exactly 1 (the change feed): %v", c.snReads, w.sn.Calls())
		}
		if want := ceilDiv(n, 100) + 20 + 2; c.fdReads > want {
			t.Errorf("idle pass read flashduty %d times, want at most %d", c.fdReads, want)
		}
		if trips > int64(20*ceilDiv(n, 100)+100) {
			t.Errorf("idle pass made %d redis round trips for %d pairs: not O(pages)", trips, n)
		}
	})
}

// redisCommands sums INFO commandstats calls, minus INFO and CONFIG: the
// commands, an upper bound on round trips (a pipeline sends many at once).
func redisCommands(t testing.TB, redis *redistest.Server) int {
	total := 0
	for _, c := range parseCommandStats(t, redis) {
		total += c.calls
	}
	return total
}

type cmdStat struct {
	name  string
	calls int
}

func parseCommandStats(t testing.TB, redis *redistest.Server) []cmdStat {
	info, err := redis.Client().Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []cmdStat
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
		if !ok || name == "cmdstat_info" || strings.HasPrefix(name, "cmdstat_config") {
			continue
		}
		v, _, _ := strings.Cut(rest, ",")
		n, _ := strconv.Atoi(v)
		out = append(out, cmdStat{strings.TrimPrefix(name, "cmdstat_"), n})
	}
	return out
}

func redisCommandStats(t testing.TB, redis *redistest.Server) string {
	var parts []string
	for _, c := range parseCommandStats(t, redis) {
		parts = append(parts, fmt.Sprintf("%s=%d", c.name, c.calls))
	}
	return strings.Join(parts, " ")
}
