package flashduty_test

import (
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/httpx"
)

// t0 is the simulator's frozen clock in these tests.
var t0 = time.Date(2026, 4, 12, 9, 0, 0, 0, time.UTC)

// calls records what the client reported to its Observer.
type calls struct {
	mu   sync.Mutex
	list []httpx.Call
}

func (c *calls) observe(call httpx.Call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.list = append(c.list, call)
}

func (c *calls) all() []httpx.Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]httpx.Call(nil), c.list...)
}

type env struct {
	sim    *fdsim.Server
	client *flashduty.Client
	calls  *calls
}

// newEnv wires a client to a fresh simulator through its in-process
// transport (usable inside synctest bubbles).
func newEnv(t *testing.T, so fdsim.Options, co flashduty.Options) *env {
	t.Helper()
	if so.Start.IsZero() {
		so.Start = t0
	}
	sim := fdsim.New(so)
	rec := &calls{}
	if co.AppKey == "" {
		co.AppKey = sim.AppKey()
	}
	if co.BaseURL == "" {
		co.BaseURL = "http://127.0.0.1:9" // never dialled: the transport is in-process
	}
	co.Transport = sim.Transport()
	co.Observer = rec.observe
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
