//go:build bench

package loadtest

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/state/redistest"
)

var (
	flagLatencyEdits = flag.Int("loadtest.latency-edits", 1000, "edits of the latency run")
	flagLatencyGap   = flag.Duration("loadtest.latency-gap", 50*time.Millisecond, "time between two edits of the latency run")
	flagLatencyLog   = flag.String("loadtest.latency-log", "", "file for the debug log of the latency or rate-limit run (none when empty)")
	flagRSSPairs     = flag.Int("loadtest.rss-pairs", 100000, "linked pairs of the memory run")
	flagRSSWatch     = flag.Duration("loadtest.rss-watch", 90*time.Second, "how long the daemon binary runs while its RSS is sampled")
	flagRatePairs    = flag.Int("loadtest.rate-pairs", 10000, "active pairs of the rate-limit run")
	flagRateWatch    = flag.Duration("loadtest.rate-watch", 90*time.Second, "how long the rate-limit run watches the steady state")
)

// linkFast seeds n Flashduty incidents on a wall-clock simulator pair and
// links them with an in-process poller inside a synctest bubble, so the
// Flashduty client's pacing costs no wall time; the state it leaves in
// Redis carries wall-clock times, ready for a daemon running in real time.
func linkFast(t *testing.T, redis *redistest.Server, n int) (*world, time.Duration) {
	t.Helper()
	w := newWorldWith(t, redis, snowsim.Options{Seed: 7, Now: realNow}, fdsim.Options{Seed: 7, Now: realNow})
	w.serve(t) // the daemon binary later checks the state's identity against these URLs
	t0 := time.Now()
	synctest.Test(t, func(t *testing.T) {
		w.seedFlashduty(t, n)
		p := w.newPoller(t, daemonOptions{inProcess: true, realClock: true})
		w.settle(t, t.Context(), p, 30)
	})
	if got := w.sn.IncidentCount(); got != n {
		t.Fatalf("%d servicenow incidents for %d flashduty incidents after linking", got, n)
	}
	return w, time.Since(t0)
}

// linkRealTime seeds n Flashduty incidents and links them with passes of
// p in real time (the Flashduty client paces itself at 1,000 req/min).
func linkRealTime(t *testing.T, w *world, n int, passes int) (ids []string, took time.Duration) {
	t.Helper()
	ids = w.seedFlashduty(t, n)
	p := w.newPoller(t, daemonOptions{})
	t0 := time.Now()
	for i := 0; i < passes; i++ {
		before := w.writes()
		if err := p.RunOnce(t.Context()); err != nil {
			t.Logf("link pass %d: %v", i+1, err)
		}
		if w.writes() == before && w.sn.IncidentCount() >= n {
			break
		}
		time.Sleep(3 * time.Second)
	}
	if got := w.sn.IncidentCount(); got != n {
		t.Fatalf("%d servicenow incidents for %d flashduty incidents after linking", got, n)
	}
	return ids, time.Since(t0)
}

// TestLatency measures, in real time, edit → arrival on the other side
// for distinct pairs edited at a steady rate while the poller runs its
// schedules (@every 5s), over loopback HTTP with the real rate limiter.
func TestLatency(t *testing.T) {
	n := *flagLatencyEdits
	redis := redistest.Start(t)
	w := newWorld(t, redis)
	w.serve(t)
	ids, _ := linkRealTime(t, w, n, 10)
	pairs := w.pairs(t, ids)
	p := w.newPoller(t, realtimeOptions(t))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	time.Sleep(6 * time.Second)
	w.snTap.reset()
	w.fdTap.reset()
	type sent struct {
		target string
		tap    *tap
		at     time.Time
	}
	edits := make([]sent, 0, n)
	for i, pr := range pairs {
		at := time.Now()
		var err error
		if i%2 == 0 {
			title := fmt.Sprintf("Latency edit %d", i)
			err = w.fd.EditIncident(fdsim.Alice, pr.incidentID, fdsim.Edit{Title: &title})
			edits = append(edits, sent{pr.sysID, w.snTap, at})
		} else {
			_, err = w.sn.UpdateIncident(snowsim.Alice, pr.sysID, map[string]string{"short_description": fmt.Sprintf("Latency edit %d", i)})
			edits = append(edits, sent{pr.incidentID, w.fdTap, at})
		}
		if err != nil {
			t.Fatalf("edit %d: %v", i, err)
		}
		time.Sleep(*flagLatencyGap)
	}
	var lat, toSN, toFD []time.Duration
	deadline := time.Now().Add(120 * time.Second)
	for len(lat) < len(edits) && time.Now().Before(deadline) {
		lat, toSN, toFD = lat[:0], toSN[:0], toFD[:0]
		for _, e := range edits {
			if got, ok := e.tap.firstWriteAfter(e.target, e.at); ok {
				lat = append(lat, got.Sub(e.at))
				if e.tap == w.snTap {
					toSN = append(toSN, got.Sub(e.at))
				} else {
					toFD = append(toFD, got.Sub(e.at))
				}
			}
		}
		time.Sleep(time.Second)
	}
	cancel()
	if err := <-done; err != nil {
		t.Logf("daemon stopped: %v", err)
	}
	if len(lat) == 0 {
		t.Fatal("no edit arrived")
	}
	figure(t, "latency over %d arrived of %d edits, one every %v (@every 5s, real time, loopback HTTP, %d active pairs): %s; flashduty 429s %d",
		len(lat), len(edits), *flagLatencyGap, n, quantiles(lat), w.fdTap.statusCount(http.StatusTooManyRequests))
	figure(t, "latency Flashduty → ServiceNow (%d): %s", len(toSN), quantiles(toSN))
	figure(t, "latency ServiceNow → Flashduty (%d): %s", len(toFD), quantiles(toFD))
	if len(lat) != len(edits) {
		t.Errorf("%d of %d edits did not arrive within 120s of the last one", len(edits)-len(lat), len(edits))
	}
}

// realtimeOptions are the @every 5s schedules of the real-time runs, with
// the daemon's debug log in the -loadtest.latency-log file when one is named.
func realtimeOptions(t *testing.T) daemonOptions {
	do := daemonOptions{schedule: "@every 5s"}
	if *flagLatencyLog != "" {
		f, err := os.Create(*flagLatencyLog)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = f.Close() })
		do.log, do.debug = f, true
	}
	return do
}

// quantiles sorts lat and formats its p50, p90, p99 and max.
func quantiles(lat []time.Duration) string {
	if len(lat) == 0 {
		return "none"
	}
	slices.Sort(lat)
	q := func(f float64) time.Duration { return lat[int(f*float64(len(lat)-1))].Round(10 * time.Millisecond) }
	return fmt.Sprintf("p50 %v, p90 %v, p99 %v, max %v", q(0.5), q(0.9), q(0.99), lat[len(lat)-1].Round(10*time.Millisecond))
}

// TestDaemonMemory links n pairs, then runs the real binary (`snowduty
// run`) over them and samples its RSS; it also reports Redis bytes per
// pair (INFO memory used_memory, after minus before).
func TestDaemonMemory(t *testing.T) {
	n := *flagRSSPairs
	redis := redistest.Start(t)
	before := usedMemory(t, redis)
	w, took := linkFast(t, redis, n)
	after := usedMemory(t, redis)
	keys, _ := redis.Client().DBSize(context.Background()).Result()
	figure(t, "memory: linked %d pairs in %v; redis used_memory %d → %d bytes: %.0f bytes per pair (%d keys)",
		n, took.Round(time.Second), before, after, float64(after-before)/float64(n), keys)
	bin := buildDaemon(t, false)
	r := newReplica(t, "rss", bin, daemonEnv(w, w.fd.AppKey(), snowsim.DefaultPassword, redis.URL(), "rss",
		"SNOWDUTY_SCHEDULE_SERVICENOW=@every 30s", "SNOWDUTY_SCHEDULE_FLASHDUTY=@every 30s", "SNOWDUTY_LOG_LEVEL=warn"), t.TempDir()+"/rss.log")
	r.start(t)
	var maxRSS, hwm int
	w.fd.ResetCalls()
	end := time.Now().Add(*flagRSSWatch)
	for time.Now().Before(end) {
		rss, h := rssKiB(r.pid())
		maxRSS, hwm = max(maxRSS, rss), max(hwm, h)
		time.Sleep(500 * time.Millisecond)
	}
	calls := w.fd.Calls()
	if !r.running() {
		b, _ := os.ReadFile(r.log.Name())
		t.Fatalf("the daemon exited early:\n%s", b)
	}
	r.stop()
	figure(t, "memory: daemon binary over %d linked pairs for %v: max RSS %.1f MiB, peak (VmHWM) %.1f MiB; flashduty calls meanwhile %v",
		n, *flagRSSWatch, float64(maxRSS)/1024, float64(hwm)/1024, calls)
}

func usedMemory(t *testing.T, redis *redistest.Server) int64 {
	info, err := redis.Client().Info(context.Background(), "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Fatal("no used_memory in INFO memory")
	return 0
}

// TestRateLimit turns on the Flashduty simulator's enforcement of 50 req/s
// and 1,000 req/min, links n pairs, then runs the poller on @every 5s
// schedules (more calls than the limit allows) and counts the 429s.
func TestRateLimit(t *testing.T) {
	n := *flagRatePairs
	redis := redistest.Start(t)
	w, took := linkFast(t, redis, n)
	w.fd.SetRateLimit(true)
	linking429 := 0
	w.fdTap.reset()
	w.fd.ResetCalls()
	p := w.newPoller(t, realtimeOptions(t))
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = p.Run(ctx) }()
	time.Sleep(*flagRateWatch)
	cancel()
	wg.Wait()
	calls := 0
	for _, v := range w.fd.Calls() {
		calls += v
	}
	got := w.fdTap.statusCount(http.StatusTooManyRequests)
	perMin := float64(calls) / flagRateWatch.Minutes()
	figure(t, "rate limit: %d pairs linked in %v with %d 429s; steady state @every 5s for %v: %d flashduty calls (%.0f/min), %d answered 429",
		n, took.Round(time.Second), linking429, *flagRateWatch, calls, perMin, got)
	if got != 0 {
		t.Errorf("the daemon received %d 429s from Flashduty in steady state", got)
	}
}
