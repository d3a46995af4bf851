//go:build soak

package loadtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/state"
)

// haSeed incidents start on each side before the daemons do.
const haSeed = 100

// haSoak is the frame of TestSentinelSoak and TestClusterSoak: both
// simulators, humans editing them, two `snowduty run` replicas on a
// replicated Redis, and the events each test schedules; then quiescence
// and the soak's checker.
type haSoak struct {
	t        *testing.T
	name     string
	dur, gap time.Duration
	seed     uint64
	rng      *rand.Rand
	w        *world
	h        *humans
	mapping  diff.Mapping
	reps     []*replica
	store    *state.Store
	secret   string // the Redis password, which must not reach the logs

	mu         sync.Mutex
	leaders    map[string]bool
	lastLeader string
	handovers  int
	noLeader   time.Duration // longest time no lease holder was seen
}

// newHASoak starts the world and both replicas; redisEnv are the
// daemon's Redis settings and so the checker's store options (Logger and
// Prefix are set here).
func newHASoak(t *testing.T, name string, redisEnv []string, so state.Options) *haSoak {
	dur := envDuration(t, "SOAK_HA_DURATION", 45*time.Second, 20*time.Second, "e.g. 45s or 5m")
	gap := envDuration(t, "SOAK_EDIT_GAP", 100*time.Millisecond, 10*time.Millisecond, "between two human actions, e.g. 100ms")
	seed := randomSeed(t)
	t.Logf("%s soak: duration %s, a human action every %v, seed %d", name, dur, gap, seed)
	rng := rand.New(rand.NewPCG(seed, seed>>2))
	snPW, appKey := fmt.Sprintf("sn-secret-%x", rng.Uint64()), fmt.Sprintf("fd-secret-%x", rng.Uint64())
	users := snowsim.DefaultUsers()
	users[0].Password = snPW
	w := newWorldWith(t, nil,
		snowsim.Options{Seed: seed, Users: users, CustomColumns: []snowsim.Column{{Name: "u_service", Label: "Service"}, {Name: "u_business_service", Label: "Business service"}}},
		fdsim.Options{Seed: seed, AppKey: appKey})
	w.serve(t)
	s := &haSoak{t: t, name: name, dur: dur, gap: gap, seed: seed, rng: rng, w: w, h: newHumans(w.sn, w.fd, seed), mapping: diff.DefaultMapping(),
		secret: so.Password, leaders: map[string]bool{}}
	const fieldMap, snFieldMap = "field:affected_service=u_service", "u_business_service=environment"
	var err error
	if s.mapping.FieldsToServiceNow, err = diff.ParseFieldMap(fieldMap); err != nil {
		t.Fatal(err)
	}
	if s.mapping.FieldsToFlashduty, err = diff.ParseServiceNowFieldMap(snFieldMap); err != nil {
		t.Fatal(err)
	}
	for range haSeed {
		s.h.createFD()
		s.h.createSN()
	}
	dir := t.TempDir()
	if d := os.Getenv("SOAK_LOGDIR"); d != "" {
		dir = filepath.Join(d, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("SOAK_LOGDIR=%q: %v", d, err)
		}
	}
	bin := buildDaemon(t, os.Getenv("SOAK_RACE") == "1")
	extra := append([]string{
		"SNOWDUTY_SCHEDULE_SERVICENOW=@every 2s", "SNOWDUTY_SCHEDULE_FLASHDUTY=@every 2s", "SNOWDUTY_SCHEDULE_RETRY=@every 2s",
		"SNOWDUTY_SCHEDULE_RESYNC=@every 5m", "SNOWDUTY_SERVICENOW_LAG=1s", "SNOWDUTY_LEASE_TTL=3s", "SNOWDUTY_LEASE_RENEW=1s",
		"SNOWDUTY_SERVICENOW_TIMEOUT=2s", "SNOWDUTY_FLASHDUTY_TIMEOUT=2s", "SNOWDUTY_RETRY_MAX_DELAY=10s", "SNOWDUTY_RETRY_MAX_ATTEMPTS=20",
		"SNOWDUTY_LOG_LEVEL=debug", "SNOWDUTY_FIELD_MAP=" + fieldMap, "SNOWDUTY_SERVICENOW_FIELD_MAP=" + snFieldMap,
	}, redisEnv...)
	for _, n := range []string{"a", "b"} {
		r := newReplica(t, n, bin, daemonEnv(w, appKey, snPW, "", name+"-"+n, extra...), filepath.Join(dir, n+".log"))
		r.start(t)
		s.reps = append(s.reps, r)
	}
	so.Logger, so.Prefix = discardLogger(), statePrefix
	if s.store, err = state.Open(t.Context(), so); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.store.Close() })
	return s
}

// haEvent runs fn (in its own goroutine, while humans keep editing) once
// the run reaches at (a fraction of its duration).
type haEvent struct {
	at float64
	fn func()
}

// run lets humans edit for the duration and fires the events; it returns
// once every event has finished.
func (s *haSoak) run(events ...haEvent) {
	start := time.Now()
	var wg sync.WaitGroup
	refresh, observe := start, start
	lastSeen := start
	for now := start; now.Before(start.Add(s.dur)); now = time.Now() {
		if s.rng.IntN(40) == 0 {
			if s.rng.IntN(2) == 0 {
				s.h.createFD()
			} else {
				s.h.createSN()
			}
		} else {
			s.h.act()
		}
		for len(events) > 0 && now.After(start.Add(time.Duration(events[0].at*float64(s.dur)))) {
			wg.Go(events[0].fn)
			events = events[1:]
		}
		if now.Sub(refresh) > 3*time.Second {
			refresh = now
			s.h.adopt(s.w.fd.IncidentIDs(), s.w.sn.Dump().Incidents)
		}
		if now.Sub(observe) > 250*time.Millisecond {
			observe = now
			if s.observeLeader() {
				lastSeen = now
			}
			s.mu.Lock()
			s.noLeader = max(s.noLeader, now.Sub(lastSeen))
			s.mu.Unlock()
		}
		time.Sleep(s.gap) // the humans' pace
	}
	wg.Wait()
}

// observeLeader records the lease holder; it reports whether there is one.
func (s *haSoak) observeLeader() bool {
	ctx, cancel := context.WithTimeout(s.t.Context(), time.Second)
	defer cancel()
	l, ok, err := s.store.CurrentLeader(ctx)
	if err != nil || !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leaders[l.Holder] = true
	if l.Holder != s.lastLeader {
		s.handovers++
		s.lastLeader = l.Holder
	}
	return true
}

// leader is the replica that holds the lease now (nil when none does).
func (s *haSoak) leader() *replica {
	s.observeLeader()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.reps {
		if strings.HasPrefix(s.lastLeader, s.name+"-"+r.name+"-") { // holder: instance-pid-random
			return r
		}
	}
	return nil
}

// killLeader SIGKILLs the replica holding the lease and starts it again
// once the other one took over (or after the lease TTL), so the lease
// moves.
func (s *haSoak) killLeader() {
	r := s.leader()
	if r == nil {
		s.t.Log("kill leader: no lease holder seen")
		return
	}
	r.kill()
	ctx, cancel := context.WithTimeout(s.t.Context(), 10*time.Second)
	defer cancel()
	moved := waitFor(ctx, 100*time.Millisecond, func() bool { l := s.leader(); return l != nil && l != r })
	r.start(s.t)
	figure(s.t, "%s: leader %s killed with SIGKILL; the lease moved to the other replica: %v", s.name, r.name, moved)
}

// midPass runs fn once, at the daemon's next write to either simulator:
// the write lands, then fn runs before the daemon gets the answer, so fn
// happens mid-pass, between a write and its record in Redis. Without a
// daemon write for 20 s fn runs anyway. It reports whether a write
// triggered it.
func (s *haSoak) midPass(fn func()) bool {
	var once sync.Once
	byWrite := false
	fire := func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		fired := false
		once.Do(func() {
			fired = true
			s.w.snTap.setChaos(nil)
			s.w.fdTap.setChaos(nil)
			if next != nil {
				byWrite = true
				next.ServeHTTP(w, r)
			}
			fn()
		})
		return fired
	}
	hook := func(isWrite func(r *http.Request) bool) func(http.ResponseWriter, *http.Request, []byte, http.Handler) bool {
		return func(w http.ResponseWriter, r *http.Request, _ []byte, next http.Handler) bool {
			return isWrite(r) && fire(w, r, next)
		}
	}
	s.w.snTap.setChaos(hook(func(r *http.Request) bool { return isSnowWrite(r.Method) }))
	s.w.fdTap.setChaos(hook(func(r *http.Request) bool { return isFDWrite(r.URL.Path) }))
	ctx, cancel := context.WithTimeout(s.t.Context(), 20*time.Second)
	defer cancel()
	waitFor(ctx, 10*time.Millisecond, func() bool {
		s.w.snTap.mu.Lock()
		armed := s.w.snTap.chaos != nil
		s.w.snTap.mu.Unlock()
		return !armed
	})
	fire(nil, nil, nil) // no-op when a write fired it; waits until fn is done
	return byWrite
}

// settle starts every replica, waits for the checker to pass twice in a
// row (3 s apart; at most SOAK_SETTLE) and prints the figures.
func (s *haSoak) settle() verdict {
	t := s.t
	for _, r := range s.reps {
		r.start(t)
	}
	quiet := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), envDuration(t, "SOAK_SETTLE", 3*time.Minute, time.Second, "e.g. 2m"))
	defer cancel()
	var v verdict
	stable := 0
	converged := waitFor(ctx, 3*time.Second, func() bool {
		v = check(ctx, s.w, s.h, s.mapping, s.store)
		if v.ok() {
			stable++
		} else {
			stable = 0
		}
		return stable >= 2
	})
	settle := time.Since(quiet)
	for _, r := range s.reps {
		r.stop()
	}
	total := 0
	for k, n := range s.h.counts() {
		if !strings.HasPrefix(k, "refused:") {
			total += n
		}
	}
	s.mu.Lock()
	figure(t, "%s soak %s, a human action every %v (seed %d): %d human edits; servicenow %d requests, flashduty %d", s.name, s.dur, s.gap, s.seed, total, s.w.snTap.total(), s.w.fdTap.total())
	figure(t, "%s lease: %d holders seen, %d leader changes observed, longest time without a holder %v", s.name, len(s.leaders), s.handovers, s.noLeader.Round(250*time.Millisecond))
	s.mu.Unlock()
	figure(t, "%s result: %s", s.name, v)
	figure(t, "%s convergence: %v after quiescence (converged=%v)", s.name, settle.Round(time.Second), converged)
	if !converged {
		t.Errorf("%s: no convergence after quiescence: %s", s.name, v)
	}
	s.logFigures()
	return v
}

// logLine matches a warning or error of the daemon's text log.
var logLine = regexp.MustCompile(`level=(WARN|ERROR) msg="?([^"=]*?)"? (?:.*err(?:or)?="?([^"]*))?`)

// logFigures counts the daemons' warnings and errors by message (with
// the first error text of each), and checks no secret reached the logs.
func (s *haSoak) logFigures() {
	counts, sample := map[string]int{}, map[string]string{}
	all := ""
	for _, r := range s.reps {
		b, err := os.ReadFile(r.log.Name())
		if err != nil {
			s.t.Fatal(err)
		}
		all += string(b)
	}
	for _, line := range strings.Split(all, "\n") {
		m := logLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		k := m[1] + " " + m[2]
		counts[k]++
		if _, ok := sample[k]; !ok && m[3] != "" {
			sample[k] = m[3]
		}
	}
	keys := slices.SortedFunc(mapsKeys(counts), func(a, b string) int { return counts[b] - counts[a] })
	for i, k := range keys {
		if i == 8 {
			break
		}
		figure(s.t, "%s daemon log: %d× %s (e.g. %.160s)", s.name, counts[k], k, sample[k])
	}
	if s.secret != "" && strings.Contains(all, s.secret) {
		s.t.Errorf("%s: the redis password appears in the daemon logs", s.name)
	}
}
