package poller_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state/redistest"
)

// fast makes a daemon whose every job runs every 5 seconds.
func fast(holder string) func(*poller.Options) {
	return func(o *poller.Options) {
		o.HolderID = holder
		o.Schedules = poller.Schedules{ServiceNow: "@every 5s", Flashduty: "@every 5s", Resync: "@every 1m", Retry: "@every 5s", Prune: "@every 1m"}
		o.RunTimeout = 30 * time.Second
		o.LeaseRenew = 5 * time.Second
	}
}

// start runs the daemon until the returned stop is called; stop waits
// for Run to return.
func (e *env) start() (stop func()) {
	ctx, cancel := context.WithCancel(e.t.Context())
	done := make(chan error, 1)
	go func() { done <- e.p.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			e.t.Errorf("run: %v", err)
		}
	}
}

func TestTwoDaemonsOneLeader(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(redis)
		a := w.newEnv(t, fast("replica-a"))
		b := w.newEnv(t, fast("replica-b"))
		stopA := a.start()
		time.Sleep(time.Second)
		stopB := b.start()
		id := a.newFD(fdsim.IncidentSpec{Title: "Seen by two daemons", Severity: "Warning"})
		for range 12 {
			time.Sleep(5 * time.Second)
			if la, lb := metricValue(t, a, "snowduty_leader"), metricValue(t, b, "snowduty_leader"); la+lb != 1 {
				t.Fatalf("leader gauges a=%v b=%v, want exactly one leader", la, lb)
			}
		}
		if metricValue(t, a, "snowduty_leader") != 1 {
			t.Fatal("the first daemon did not lead")
		}
		if a.snCreates() != 1 || a.sn.IncidentCount() != 1 {
			t.Fatalf("%d servicenow creates with two daemons, want 1", a.snCreates())
		}
		sysID := a.linkOf(id).SysID
		writes := a.writes()
		time.Sleep(30 * time.Second)
		if got := a.writes() - writes; got != 0 {
			t.Fatalf("%d writes in steady state with two daemons", got)
		}

		// The leader stops: the standby takes over and keeps syncing.
		stopA()
		time.Sleep(15 * time.Second)
		if metricValue(t, b, "snowduty_leader") != 1 {
			t.Fatal("the standby did not take over")
		}
		b.must(b.fd.EditIncident(fdsim.Alice, id, fdsim.Edit{Title: ptr("Edited after the failover")}))
		time.Sleep(20 * time.Second)
		if got := b.snowOf(sysID)["short_description"]; got != "Edited after the failover" {
			t.Fatalf("short_description = %q after failover", got)
		}
		stopB()
		if b.snCreates() != 1 {
			t.Fatalf("%d servicenow creates, want 1", b.snCreates())
		}
	})
}

func TestHealthAndMetrics(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t, fast("solo"))
		h := e.p.Health().Handler(e.reg)
		// A recorder, not a listener: a goroutine blocked in Accept would
		// keep the bubble's clock from moving.
		get := func(path string) (int, string) {
			t.Helper()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			b, _ := io.ReadAll(rec.Result().Body)
			return rec.Code, string(b)
		}
		if code, body := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "first pass") {
			t.Fatalf("readyz before any pass: %d %q", code, body)
		}
		if code, _ := get("/livez"); code != http.StatusOK {
			t.Fatalf("livez at start-up: %d", code)
		}
		e.newFD(fdsim.IncidentSpec{Title: "Metrics incident", Severity: "Critical"})
		e.newSN(map[string]string{"short_description": "Metrics snow incident", "urgency": "2", "impact": "2"})
		stop := e.start()
		time.Sleep(30 * time.Second)
		if code, body := get("/readyz"); code != http.StatusOK {
			t.Fatalf("readyz after passes: %d %q", code, body)
		}
		if code, body := get("/livez"); code != http.StatusOK {
			t.Fatalf("livez while running: %d %q", code, body)
		}
		for name, ok := range map[string]func(float64) bool{
			"snowduty_leader":            func(v float64) bool { return v == 1 },
			"snowduty_active_pairs":      func(v float64) bool { return v == 2 },
			"snowduty_retry_queue_depth": func(v float64) bool { return v == 0 },
			"snowduty_dead_letters":      func(v float64) bool { return v == 0 },
		} {
			if v := metricValue(t, e, name); !ok(v) {
				t.Fatalf("%s = %v", name, v)
			}
		}
		for _, name := range []string{"snowduty_passes_total", "snowduty_pass_duration_seconds", "snowduty_last_attempt_timestamp_seconds",
			"snowduty_last_success_timestamp_seconds", "snowduty_changes_pushed_total", "snowduty_api_calls_total", "snowduty_api_call_duration_seconds",
			"snowduty_cursor_lag_seconds", "snowduty_creates_total"} {
			if n := testutil.CollectAndCount(e.reg, name); n == 0 {
				t.Fatalf("no %s series after passes", name)
			}
		}
		if err := testutil.GatherAndCompare(e.reg, strings.NewReader(`
# HELP snowduty_creates_total Incidents created, by target side and result (created, adopted, failed).
# TYPE snowduty_creates_total counter
snowduty_creates_total{result="created",side="flashduty"} 1
snowduty_creates_total{result="created",side="servicenow"} 1
`), "snowduty_creates_total"); err != nil {
			t.Fatal(err)
		}
		if lag := metricLabelValue(t, e, "snowduty_cursor_lag_seconds", "servicenow"); lag < 0 || lag > 60 {
			t.Fatalf("servicenow cursor lag %v s", lag)
		}
		if last := metricLabelValue(t, e, "snowduty_last_success_timestamp_seconds", "servicenow"); time.Now().Unix()-int64(last) > 10 {
			t.Fatalf("last success %v is stale (now %d)", last, time.Now().Unix())
		}
		if code, body := get("/metrics"); code != http.StatusOK || !strings.Contains(body, `snowduty_passes_total{pass="servicenow",result="ok"}`) {
			t.Fatalf("/metrics: %d, passes_total missing", code)
		}
		if lag := metricLabelValue(t, e, "snowduty_cursor_lag_seconds", "flashduty"); lag <= 0 || lag > 10 {
			t.Fatalf("flashduty cursor lag %v s, want about the 5 s schedule", lag)
		}
		// 429s are counted separately.
		e.must(e.fd.InjectFault(fdsim.Fault{Status: 429, Path: "/incident/list", Count: 1}))
		time.Sleep(10 * time.Second)
		if v := metricLabelValue(t, e, "snowduty_api_rate_limited_total", "flashduty"); v != 1 {
			t.Fatalf("rate limited = %v, want 1", v)
		}
		stop()
		// The loop stopped: liveness turns false once the next pass is late.
		time.Sleep(3 * time.Minute)
		if code, body := get("/livez"); code != http.StatusServiceUnavailable || !strings.Contains(body, "late") {
			t.Fatalf("livez after the loop stopped: %d %q", code, body)
		}
		redis.Stop()
		if code, body := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "redis") {
			t.Fatalf("readyz without redis: %d %q", code, body)
		}
	})
}

// TestRunOnceKeepsTheLeaseThroughALongPass: `snowduty once` takes the lease
// for its pass and must renew it, or a pass longer than the lease TTL (a
// big first backlog, a slow instance) is fenced and its work thrown away.
func TestRunOnceKeepsTheLeaseThroughALongPass(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		sysID := e.newSN(map[string]string{"short_description": "Slow instance", "urgency": "2", "impact": "2"})
		// Three answers of 20 s each: the pass outlasts the 30 s lease.
		e.must(e.sn.InjectFault(snowsim.Fault{Kind: snowsim.FaultSlow, Delay: 20 * time.Second, Count: 3, Method: "GET"}))
		start := time.Now()
		e.pass()
		if took := time.Since(start); took < 40*time.Second {
			t.Fatalf("the pass took %v; the test needs it longer than the lease TTL", took)
		}
		if got := e.snowOf(sysID)["correlation_id"]; got == "" || e.fdIncidents() != 1 {
			t.Fatalf("after a long pass: correlation_id %q, %d flashduty incidents; want the pair created and linked", got, e.fdIncidents())
		}
	})
}
