package poller_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/httpx"
	"github.com/snowduty/snowduty/clients/httpx/httpxtest"
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state"
	"github.com/snowduty/snowduty/state/redistest"
)

// env is one end-to-end world: both simulators (in-process), a real
// redis-server and the real poller. Build it inside synctest.Test so that
// time is controlled: the simulators, the clients' backoff and rate
// limiters, the state store and the poller all read the bubble's clock.
type env struct {
	t     *testing.T
	sn    *snowsim.Server
	fd    *fdsim.Server
	snc   *servicenow.Client
	fdc   *flashduty.Client
	store *state.Store
	p     *poller.Poller
	opts  poller.Options
	reg   *prometheus.Registry
	logs  *httpxtest.SyncBuffer
}

// world is what survives between env instances: the simulators and Redis,
// so a test can "restart the daemon" with a fresh poller.
type world struct {
	sn    *snowsim.Server
	fd    *fdsim.Server
	redis *redistest.Server
	// snOpts and fdOpts adjust the clients of the next envs (credentials,
	// timeouts).
	snOpts func(*servicenow.Options)
	fdOpts func(*flashduty.Options)
}

func newWorld(redis *redistest.Server) *world {
	return &world{
		sn:    snowsim.New(snowsim.Options{Seed: 1, CustomColumns: []snowsim.Column{{Name: "u_service", Label: "Service"}, {Name: "u_business_service", Label: "Business service"}}}),
		fd:    fdsim.New(fdsim.Options{Seed: 1}),
		redis: redis,
	}
}

// newEnv builds a poller against w; edit adjusts the options.
func (w *world) newEnv(t *testing.T, edit ...func(*poller.Options)) *env {
	t.Helper()
	logs := &httpxtest.SyncBuffer{}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(logs, testWriter{t}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	fast := httpx.Backoff{Base: 100 * time.Millisecond, Max: time.Second}
	reg := prometheus.NewRegistry()
	metrics := poller.NewMetrics(reg)
	sno := servicenow.Options{BaseURL: "http://snow.test", Username: snowsim.DefaultUser, Password: snowsim.DefaultPassword,
		AllowHTTP: true, Transport: w.sn.Transport(), Logger: log, Backoff: fast, Observer: metrics.ObserveCall}
	if w.snOpts != nil {
		w.snOpts(&sno)
	}
	snc, err := servicenow.New(sno)
	if err != nil {
		t.Fatal(err)
	}
	fdo := flashduty.Options{BaseURL: "http://fd.test", AppKey: w.fd.AppKey(), AllowHTTP: true, Transport: w.fd.Transport(), Logger: log, Backoff: fast, Observer: metrics.ObserveCall}
	if w.fdOpts != nil {
		w.fdOpts(&fdo)
	}
	fdc, err := flashduty.New(fdo)
	if err != nil {
		t.Fatal(err)
	}
	// The bubble's clock for leases too, so lease expiry follows the
	// test's time.
	store, err := state.Open(t.Context(), state.Options{URL: w.redis.URL(), Logger: log, Prefix: "e2e:", Clock: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	o := poller.DefaultOptions()
	o.Logger, o.Registry, o.Metrics = log, reg, metrics
	o.ServiceNow, o.Flashduty, o.Store = snc, fdc, store
	m := diff.DefaultMapping()
	o.Policy = diff.Policy{Direction: diff.TwoWay, Conflict: diff.ConflictNewest, Mapping: m}
	o.Identity = state.Identity{ServiceNowURL: "http://snow.test"}
	o.CreateChannelID = fdsim.OpsChannelID
	o.Overlap, o.Lag = 2*time.Second, 0
	o.HolderID = "e2e"
	for _, e := range edit {
		e(&o)
	}
	if o.DryRun {
		// A dry run writes nothing: its store refuses every write.
		ro, err := state.Open(t.Context(), state.Options{URL: w.redis.URL(), Logger: log, Prefix: "e2e:", Clock: time.Now, ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ro.Close() })
		store, o.Store = ro, ro
	}
	p, err := poller.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, sn: w.sn, fd: w.fd, snc: snc, fdc: fdc, store: store, p: p, opts: o, reg: reg, logs: logs}
}

// testWriter sends log lines to t.Log only when -v asks for them.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	if testing.Verbose() {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// pass runs one full pass and fails the test unless every pair synced.
func (e *env) pass() {
	e.t.Helper()
	if err := e.p.RunOnce(e.t.Context()); err != nil {
		e.t.Fatalf("pass: %v", err)
	}
}

// settle runs passes until one writes nothing (at most n), moving the
// clock a little between them, and returns how many it took.
func (e *env) settle(n int) int {
	e.t.Helper()
	for i := 1; i <= n; i++ {
		before := e.writes()
		e.pass()
		if e.writes() == before {
			return i
		}
		time.Sleep(3 * time.Second)
	}
	e.t.Fatalf("no steady state after %d passes", n)
	return n
}

// writes counts write calls made to both simulators so far.
func (e *env) writes() int {
	n := 0
	for k, v := range e.sn.Calls() {
		if strings.HasPrefix(k, "POST ") || strings.HasPrefix(k, "PATCH ") || strings.HasPrefix(k, "PUT ") {
			n += v
		}
	}
	for k, v := range e.fd.Calls() {
		switch _, path, _ := strings.Cut(k, " "); path {
		case "/incident/list", "/incident/list-by-ids", "/incident/info", "/incident/feed", "/member/info", "/account/info", "/person/infos", "/field/list", "/channel/list", "/channel/infos":
		default:
			n += v
		}
	}
	return n
}

// linkOf returns the link of a Flashduty incident, failing if there is none.
func (e *env) linkOf(incidentID string) state.Link {
	e.t.Helper()
	l, ok, err := e.store.LinkByIncidentID(e.t.Context(), incidentID)
	if err != nil || !ok {
		e.t.Fatalf("no link for flashduty incident %s (err %v)", incidentID, err)
	}
	return l
}

// snowOf reads a ServiceNow incident from the simulator.
func (e *env) snowOf(sysID string) map[string]string {
	e.t.Helper()
	rec, ok := e.sn.Incident(sysID)
	if !ok {
		e.t.Fatalf("servicenow incident %s missing", sysID)
	}
	return rec
}

// fdOf reads a Flashduty incident from the simulator.
func (e *env) fdOf(id string) fdsim.Incident {
	e.t.Helper()
	inc, ok := e.fd.Incident(id)
	if !ok {
		e.t.Fatalf("flashduty incident %s missing", id)
	}
	return inc
}

// newFD creates a Flashduty incident as an alert would (Ops channel unless
// the spec names one).
func (e *env) newFD(spec fdsim.IncidentSpec) string {
	e.t.Helper()
	if spec.ChannelID == 0 {
		spec.ChannelID = fdsim.OpsChannelID
	}
	inc, err := e.fd.CreateIncident(spec)
	if err != nil {
		e.t.Fatal(err)
	}
	return inc.IncidentID
}

// newSN creates a ServiceNow incident as Alice and returns its sys_id.
func (e *env) newSN(fields map[string]string) string {
	e.t.Helper()
	rec, err := e.sn.CreateIncident(snowsim.Alice, fields)
	if err != nil {
		e.t.Fatal(err)
	}
	return rec["sys_id"]
}

// editSN changes a ServiceNow incident as Alice.
func (e *env) editSN(sysID string, fields map[string]string) {
	e.t.Helper()
	if _, err := e.sn.UpdateIncident(snowsim.Alice, sysID, fields); err != nil {
		e.t.Fatal(err)
	}
}

// must fails the test on err.
func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// steady runs n more passes, time moving between them, and fails if any of
// them wrote to either side.
func (e *env) steady(n int) {
	e.t.Helper()
	before := e.writes()
	for range n {
		time.Sleep(7 * time.Second)
		e.pass()
	}
	if got := e.writes() - before; got != 0 {
		e.t.Fatalf("steady state made %d write calls (servicenow %v, flashduty %v)", got, e.sn.Calls(), e.fd.Calls())
	}
}

// linkOfSN returns the link of a ServiceNow incident, failing if none.
func (e *env) linkOfSN(sysID string) state.Link {
	e.t.Helper()
	l, ok, err := e.store.LinkBySysID(e.t.Context(), sysID)
	if err != nil || !ok {
		e.t.Fatalf("no link for servicenow incident %s (err %v)", sysID, err)
	}
	return l
}

// fdCreates and snCreates count the create calls the simulators received.
func (e *env) fdCreates() int { return e.fd.Count("POST", "/incident/create") }
func (e *env) snCreates() int { return e.sn.Count("POST", "/api/now/table/incident") }

// fdIncidents returns how many Flashduty incidents exist.
func (e *env) fdIncidents() int { return len(e.fd.IncidentIDs()) }

// passErr runs one pass and returns its error (a *PassError when pairs
// failed).
func (e *env) passErr() error { return e.p.RunOnce(e.t.Context()) }

// converge runs passes (time moving past retry backoffs) until one ends
// with every pair synced, nothing written and the retry queue empty, at
// most n; failed passes are allowed on the way.
func (e *env) converge(n int) {
	e.t.Helper()
	for range n {
		before := e.writes()
		err := e.passErr()
		st, serr := e.store.Status(e.t.Context())
		if err == nil && serr == nil && e.writes() == before && st.RetryQueue == 0 {
			return
		}
		// Wait for the next retry to fall due (at least a few seconds).
		wait := 5 * time.Second
		if due, err := e.store.Due(e.t.Context(), time.Now().Add(24*time.Hour), 1); err == nil && len(due) == 1 {
			wait = max(wait, time.Until(due[0].Due)+time.Second)
		}
		time.Sleep(wait)
	}
	e.t.Fatalf("did not converge within %d passes", n)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// fdWritesOnly counts write calls made to Flashduty so far.
func (e *env) fdWritesOnly() int {
	n := 0
	for k, v := range e.fd.Calls() {
		switch _, path, _ := strings.Cut(k, " "); path {
		case "/incident/list", "/incident/list-by-ids", "/incident/info", "/incident/feed", "/member/info", "/account/info", "/person/infos", "/field/list", "/channel/list", "/channel/infos":
		default:
			n += v
		}
	}
	return n
}
