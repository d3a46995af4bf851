package flashduty_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/httpx"
	"github.com/snowduty/snowduty/clients/httpx/httpxtest"
)

// t0 is the simulator's frozen clock in these tests.
var t0 = time.Date(2026, 4, 12, 9, 0, 0, 0, time.UTC)

type env struct {
	sim    *fdsim.Server
	client *flashduty.Client
	calls  *httpxtest.Calls
}

// newEnv wires a client to a fresh simulator through its in-process
// transport (usable inside synctest bubbles).
func newEnv(t *testing.T, so fdsim.Options, co flashduty.Options) *env {
	t.Helper()
	if so.Start.IsZero() {
		so.Start = t0
	}
	sim := fdsim.New(so)
	rec := &httpxtest.Calls{}
	if co.AppKey == "" {
		co.AppKey = sim.AppKey()
	}
	if co.BaseURL == "" {
		co.BaseURL = "http://127.0.0.1:9" // never dialled: the transport is in-process
	}
	co.Transport = sim.Transport()
	co.Observer = rec.Observe
	if co.Now == nil {
		co.Now = sim.Now
	}
	if co.Logger == nil {
		co.Logger = slog.New(slog.DiscardHandler)
	}
	c, err := flashduty.New(co)
	if err != nil {
		t.Fatal(err)
	}
	return &env{sim: sim, client: c, calls: rec}
}

// inject queues a fault on the simulator.
func (e *env) inject(t *testing.T, f fdsim.Fault) {
	t.Helper()
	if err := e.sim.InjectFault(f); err != nil {
		t.Fatal(err)
	}
}

func (e *env) create(t *testing.T, spec fdsim.IncidentSpec) fdsim.Incident {
	t.Helper()
	if spec.Title == "" {
		spec.Title = "CPU usage high - web-server-01"
	}
	inc, err := e.sim.CreateIncident(spec)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func (e *env) incident(t *testing.T, id string) fdsim.Incident {
	t.Helper()
	inc, ok := e.sim.Incident(id)
	if !ok {
		t.Fatalf("no incident %s in the simulator", id)
	}
	return inc
}

func (e *env) feed(t *testing.T, id string) []fdsim.FeedItem {
	t.Helper()
	f, ok := e.sim.Feed(id)
	if !ok {
		t.Fatalf("no incident %s in the simulator", id)
	}
	return f
}

func ptr[T any](v T) *T { return &v }

func httpxBackoff(d time.Duration) httpx.Backoff { return httpx.Backoff{Base: d, Max: d} }
