//go:build soak

package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/state"
	"github.com/snowduty/snowduty/state/redistest"
)

// soakSeed incidents start on each side before the daemons do.
const soakSeed = 250

// envDuration reads the duration in environment variable name, def when
// unset; a value that does not parse or is below least fails the test.
func envDuration(t *testing.T, name string, def, least time.Duration, hint string) time.Duration {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < least {
		t.Fatalf("%s=%q: use a duration of at least %v, %s", name, s, least, hint)
	}
	return d
}

// randomSeed is SOAK_SEED, or a new seed from the clock: it fixes the
// schedule of edits and faults, so a run can be repeated.
func randomSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SOAK_SEED"); s != "" {
		if _, err := fmt.Sscan(s, &seed); err != nil {
			t.Fatalf("SOAK_SEED=%q: want a number: %v", s, err)
		}
	}
	return seed
}

// TestSoak is the chaos soak (make soak; SOAK_DURATION=1m for the CI
// smoke): humans edit both simulators at random while faults hit both
// APIs, two `snowduty run` replicas compete for the lease and are killed
// with SIGKILL at random, and Redis is restarted and once flushed. Then
// everything quiesces and the checker must find both sides converged: one
// partner per incident, every synced field equal, every comment once per
// side, no lost update, no dead letter; and no secret in the logs.
func TestSoak(t *testing.T) {
	dur := envDuration(t, "SOAK_DURATION", 10*time.Minute, 30*time.Second, "e.g. 1m or 10m")
	gap := envDuration(t, "SOAK_EDIT_GAP", 200*time.Millisecond, 10*time.Millisecond, "between two human actions, e.g. 50ms or 200ms")
	seed := randomSeed(t)
	t.Logf("soak: duration %s, a human action every %v, seed %d (SOAK_SEED=%d reproduces the schedule of faults and edits)", dur, gap, seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	snPW, appKey, redisPW := fmt.Sprintf("sn-secret-%x", rng.Uint64()), fmt.Sprintf("fd-secret-%x", rng.Uint64()), fmt.Sprintf("redis-secret-%x", rng.Uint64())

	redis := redistest.Start(t, redistest.WithPersistence(), redistest.WithPassword(redisPW))
	users := snowsim.DefaultUsers()
	users[0].Password = snPW
	w := newWorldWith(t, redis,
		snowsim.Options{Seed: seed, Users: users, CustomColumns: []snowsim.Column{{Name: "u_service", Label: "Service"}, {Name: "u_business_service", Label: "Business service"}}},
		fdsim.Options{Seed: seed, AppKey: appKey})
	w.serve(t)
	mapping := diff.DefaultMapping()
	const fieldMap, snFieldMap = "field:affected_service=u_service", "u_business_service=environment"
	var err error
	if mapping.FieldsToServiceNow, err = diff.ParseFieldMap(fieldMap); err != nil {
		t.Fatal(err)
	}
	if mapping.FieldsToFlashduty, err = diff.ParseServiceNowFieldMap(snFieldMap); err != nil {
		t.Fatal(err)
	}

	h := newHumans(w.sn, w.fd, seed)
	for range soakSeed {
		h.createFD()
		h.createSN()
	}
	dir := t.TempDir()
	if d := os.Getenv("SOAK_LOGDIR"); d != "" {
		dir = d // keep the daemons' logs for a post-mortem
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("SOAK_LOGDIR=%q: %v", d, err)
		}
	}
	knob := func(name string) bool { return os.Getenv(name) != "0" }
	settleMax := envDuration(t, "SOAK_SETTLE", 4*time.Minute, time.Second, "the longest wait for convergence, e.g. 2m")
	bin := buildDaemon(t, os.Getenv("SOAK_RACE") == "1")
	extra := []string{
		"SNOWDUTY_SCHEDULE_SERVICENOW=@every 2s", "SNOWDUTY_SCHEDULE_FLASHDUTY=@every 2s", "SNOWDUTY_SCHEDULE_RETRY=@every 2s",
		"SNOWDUTY_SCHEDULE_RESYNC=@every 5m", "SNOWDUTY_SERVICENOW_LAG=1s", "SNOWDUTY_LEASE_TTL=3s", "SNOWDUTY_LEASE_RENEW=1s",
		"SNOWDUTY_SERVICENOW_TIMEOUT=2s", "SNOWDUTY_FLASHDUTY_TIMEOUT=2s", "SNOWDUTY_RETRY_MAX_DELAY=10s", "SNOWDUTY_RETRY_MAX_ATTEMPTS=20",
		"SNOWDUTY_LOG_LEVEL=debug", "SNOWDUTY_FIELD_MAP=" + fieldMap, "SNOWDUTY_SERVICENOW_FIELD_MAP=" + snFieldMap,
	}
	reps := []*replica{
		newReplica(t, "a", bin, daemonEnv(w, appKey, snPW, redis.URL(), "soak-a", extra...), filepath.Join(dir, "a.log")),
		newReplica(t, "b", bin, daemonEnv(w, appKey, snPW, redis.URL(), "soak-b", extra...), filepath.Join(dir, "b.log")),
	}
	for _, r := range reps {
		r.start(t)
	}
	store, err := state.Open(t.Context(), state.Options{URL: redis.URL(), Prefix: statePrefix, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })

	ch := newChaos(w.sn, w.fd, 0.07, seed)
	if knob("SOAK_FAULTS") {
		w.snTap.setChaos(ch.snow)
		w.fdTap.setChaos(ch.flashduty)
	}
	start := time.Now()
	end := start.Add(dur)
	restartAt, flushAt, hibernateAt := start.Add(dur*3/10), start.Add(dur*55/100), start.Add(dur*3/4)
	nextKill := start.Add(time.Duration(8+rng.IntN(15)) * time.Second)
	kills, redisRestarts, redisFlushes, leaders := 0, 0, 0, map[string]bool{}
	var lastLeader string
	handovers := 0
	refresh := time.Now()
	for now := time.Now(); now.Before(end); now = time.Now() {
		switch {
		case rng.IntN(40) == 0:
			if rng.IntN(2) == 0 {
				h.createFD()
			} else {
				h.createSN()
			}
		default:
			h.act()
		}
		if now.After(nextKill) && knob("SOAK_KILL") {
			r := reps[rng.IntN(len(reps))]
			r.kill()
			kills++
			time.Sleep(time.Duration(200+rng.IntN(1800)) * time.Millisecond)
			r.start(t)
			nextKill = now.Add(time.Duration(8+rng.IntN(15)) * time.Second)
		}
		if !restartAt.IsZero() && now.After(restartAt) && knob("SOAK_REDIS_RESTART") {
			redis.Restart(t)
			redisRestarts++
			restartAt = time.Time{}
		}
		if !flushAt.IsZero() && now.After(flushAt) && knob("SOAK_FLUSH") {
			redis.Flush()
			redisFlushes++
			flushAt = time.Time{}
		}
		if !hibernateAt.IsZero() && now.After(hibernateAt) && knob("SOAK_FAULTS") {
			ch.hibernateFor(5 * time.Second)
			hibernateAt = time.Time{}
		}
		if now.Sub(refresh) > 3*time.Second {
			refresh = now
			h.adopt(w.fd.IncidentIDs(), w.sn.Dump().Incidents)
			if l, ok, err := store.CurrentLeader(t.Context()); err == nil && ok {
				leaders[l.Holder] = true
				if l.Holder != lastLeader {
					handovers++
					lastLeader = l.Holder
				}
			}
		}
		time.Sleep(gap)
	}

	// Quiesce: no more edits or faults; both replicas up.
	w.snTap.setChaos(nil)
	w.fdTap.setChaos(nil)
	w.sn.ClearFaults()
	w.fd.ClearFaults()
	for _, r := range reps {
		r.start(t)
	}
	quiet := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), settleMax)
	defer cancel()
	var v verdict
	stable := 0
	converged := waitFor(ctx, 3*time.Second, func() bool {
		v = check(ctx, w, h, mapping, store)
		if v.ok() {
			stable++
		} else {
			stable = 0
		}
		return stable >= 2 // twice in a row, 3 s apart
	})
	settle := time.Since(quiet)
	for _, r := range reps {
		r.stop()
	}

	edits := h.counts()
	faults := ch.snapshot()
	total := 0
	for k, n := range edits {
		if !strings.HasPrefix(k, "refused:") {
			total += n
		}
	}
	nfaults := 0
	for _, n := range faults {
		nfaults += n
	}
	figure(t, "soak %s, a human action every %v (seed %d): %d human edits (%s)", dur, gap, seed, total, fmtCounts(edits))
	figure(t, "soak requests: servicenow %d, flashduty %d (both include the quiescence)", w.snTap.total(), w.fdTap.total())
	figure(t, "soak faults: %d injected (%s); servicenow answered %d requests with 5xx/429, flashduty %d", nfaults, fmtCounts(faults),
		w.snTap.statusCount(500)+w.snTap.statusCount(502)+w.snTap.statusCount(503)+w.snTap.statusCount(429),
		w.fdTap.statusCount(500)+w.fdTap.statusCount(503)+w.fdTap.statusCount(429))
	figure(t, "soak restarts: %d SIGKILLs of a daemon replica, %d Redis restarts, %d Redis flush; %d lease holders seen, %d leader changes observed", kills, redisRestarts, redisFlushes, len(leaders), handovers)
	figure(t, "soak result: %s", v)
	figure(t, "soak lost updates by field: %s", fmtCounts(byField(v.lostUpdates)))
	figure(t, "soak convergence: %v after quiescence (converged=%v)", settle.Round(time.Second), converged)
	if !converged {
		t.Errorf("no convergence within %s of quiescence: %s", settleMax, v)
		if os.Getenv("SOAK_LOGDIR") != "" {
			dumpWorld(t, w, dir) // both systems as they ended, for a post-mortem
		}
	}

	// No secret may reach the logs of the whole run.
	logs := ""
	for _, r := range reps {
		b, err := os.ReadFile(r.log.Name())
		if err != nil {
			t.Fatal(err)
		}
		logs += string(b)
	}
	if len(logs) < 1000 {
		t.Fatalf("the daemons logged only %d bytes: the secret check would prove nothing", len(logs))
	}
	for name, s := range map[string]string{"servicenow password": snPW, "flashduty app key": appKey, "redis password": redisPW} {
		if strings.Contains(logs, s) {
			t.Errorf("the %s appears in the daemon logs", name)
		}
	}
	figure(t, "soak logs: %d bytes from both replicas at debug level; no secret found", len(logs))
}

// dumpWorld writes both simulators' state (incidents, feeds, journal) as
// JSON files into dir.
func dumpWorld(t *testing.T, w *world, dir string) {
	for name, v := range map[string]any{"servicenow.json": w.sn.Dump(), "flashduty.json": w.fd.Dump()} {
		b, err := json.MarshalIndent(v, "", "  ")
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, name), b, 0o600)
		}
		if err != nil {
			t.Logf("dump %s: %v", name, err)
		}
	}
	t.Logf("both systems dumped into %s", dir)
}

// byField counts checker findings ("pair INC…/id field: …") by field.
func byField(findings []string) map[string]int {
	out := map[string]int{}
	for _, f := range findings {
		if parts := strings.Fields(f); len(parts) > 2 {
			out[strings.TrimSuffix(parts[2], ":")]++
		}
	}
	return out
}

func fmtCounts(m map[string]int) string {
	keys := slices.Sorted(mapsKeys(m))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
