package poller_test

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/httpx"
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
	logs  *syncBuffer
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// world is what survives between env instances: the simulators and Redis,
// so a test can "restart the daemon" with a fresh poller.
type world struct {
	sn    *snowsim.Server
	fd    *fdsim.Server
	redis *redistest.Server
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
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(logs, testWriter{t}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	fast := httpx.Backoff{Base: 100 * time.Millisecond, Max: time.Second}
	snc, err := servicenow.New(servicenow.Options{BaseURL: "http://snow.test", Username: snowsim.DefaultUser, Password: snowsim.DefaultPassword,
		AllowHTTP: true, Transport: w.sn.Transport(), Logger: log, Backoff: fast})
	if err != nil {
		t.Fatal(err)
	}
	fdc, err := flashduty.New(flashduty.Options{BaseURL: "http://fd.test", AppKey: w.fd.AppKey(), AllowHTTP: true, Transport: w.fd.Transport(), Logger: log, Backoff: fast})
	if err != nil {
		t.Fatal(err)
	}
	store, err := state.Open(t.Context(), state.Options{URL: w.redis.URL(), Logger: log, Prefix: "e2e:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	reg := prometheus.NewRegistry()
	o := poller.DefaultOptions()
	o.Logger, o.Registry = log, reg
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
		switch k {
		case "/incident/list", "/incident/list-by-ids", "/incident/info", "/incident/feed", "/member/info", "/person/infos", "/field/list", "/channel/list", "/channel/infos":
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
