package loadtest

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
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

// statePrefix is the Redis key prefix every daemon of this package uses.
const statePrefix = "load:"

// world is both simulators served on loopback (each behind a tap that
// counts and times requests) and a real redis-server.
type world struct {
	sn    *snowsim.Server
	fd    *fdsim.Server
	snTap *tap
	fdTap *tap
	snURL string
	fdURL string
	redis *redistest.Server
	snT   http.RoundTripper // replaces the in-process ServiceNow transport when set
}

// newWorld makes both simulators (on the caller's clock: build it inside
// a synctest bubble for simulated time) over the given redis-server. Its
// URLs are placeholders until serve puts the simulators on loopback.
func newWorld(t testing.TB, redis *redistest.Server) *world {
	return newWorldWith(t, redis, snowsim.Options{Seed: 7}, fdsim.Options{Seed: 7})
}

// newWorldWith is newWorld with the simulators' options.
func newWorldWith(t testing.TB, redis *redistest.Server, so snowsim.Options, fo fdsim.Options) *world {
	t.Helper()
	w := &world{
		sn:    snowsim.New(so),
		fd:    fdsim.New(fo),
		redis: redis,
		snURL: "http://snow.loadtest", fdURL: "http://fd.loadtest",
	}
	w.snTap = newTap(w.sn, snowKey)
	w.fdTap = newTap(w.fd, fdKey)
	return w
}

// serve puts both simulators (behind their taps) on loopback ports.
func (w *world) serve(t testing.TB) {
	t.Helper()
	sn := httptest.NewServer(w.snTap)
	fd := httptest.NewServer(w.fdTap)
	w.snURL, w.fdURL = sn.URL, fd.URL
	t.Cleanup(func() { sn.Close(); fd.Close() })
}

// daemonOptions configures an in-process poller.
type daemonOptions struct {
	inProcess   bool // serve HTTP in-process (the simulators' Transport) instead of loopback
	concurrency int
	schedule    string // both poll schedules; empty means the default (@every 30s)
	redisURL    string // empty means w.redis.URL()
	realClock   bool   // the poller and the state read the wall clock even inside a synctest bubble
	log         io.Writer
	debug       bool // log at debug level (otherwise warnings only)
}

// newPoller builds the real poller against w, with the defaults the daemon
// uses except where do says otherwise.
func (w *world) newPoller(t testing.TB, do daemonOptions) *poller.Poller {
	t.Helper()
	out := do.log
	if out == nil {
		out = io.Discard
	}
	level := slog.LevelWarn
	if do.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level}))
	reg := prometheus.NewRegistry()
	metrics := poller.NewMetrics(reg)
	var snT, fdT http.RoundTripper
	if do.inProcess {
		snT, fdT = w.sn.Transport(), w.fd.Transport()
		if w.snT != nil {
			snT = w.snT
		}
	}
	fast := httpx.Backoff{Base: 200 * time.Millisecond, Max: 2 * time.Second}
	snc, err := servicenow.New(servicenow.Options{BaseURL: w.snURL, Username: snowsim.DefaultUser, Password: snowsim.DefaultPassword,
		AllowHTTP: true, Transport: snT, Logger: log, Observer: metrics.ObserveCall, Backoff: fast})
	if err != nil {
		t.Fatal(err)
	}
	fdc, err := flashduty.New(flashduty.Options{BaseURL: w.fdURL, AppKey: w.fd.AppKey(), AllowHTTP: true, Transport: fdT,
		Logger: log, Observer: metrics.ObserveCall, Backoff: fast})
	if err != nil {
		t.Fatal(err)
	}
	rURL := do.redisURL
	if rURL == "" {
		rURL = w.redis.URL()
	}
	so := state.Options{URL: rURL, Logger: log, Prefix: statePrefix}
	if do.realClock {
		// A long lease: RunOnce does not renew it, and one pass over
		// 100,000 pairs outlasts the default TTL (reported bug).
		so.Clock, so.LeaseTTL, so.LeaseRenew = realNow, time.Hour, time.Minute
	}
	store, err := state.Open(t.Context(), so)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	o := poller.DefaultOptions()
	o.Logger, o.Registry, o.Metrics = log, reg, metrics
	o.ServiceNow, o.Flashduty, o.Store = snc, fdc, store
	o.Policy = diff.Policy{Direction: diff.TwoWay, Conflict: diff.ConflictNewest, Mapping: diff.DefaultMapping()}
	o.Identity = state.Identity{ServiceNowURL: w.snURL}
	o.CreateChannelID = fdsim.OpsChannelID
	o.HolderID = "loadtest"
	if do.concurrency > 0 {
		o.Concurrency = do.concurrency
	}
	if do.realClock {
		o.Clock = realNow
	}
	if do.schedule != "" {
		o.Schedules.ServiceNow, o.Schedules.Flashduty = do.schedule, do.schedule
	}
	p, err := poller.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// snowKey names the ServiceNow incident a request writes ("" for reads).
func snowKey(r *http.Request, _ []byte) string {
	if r.Method != http.MethodPatch && r.Method != http.MethodPut {
		return ""
	}
	const p = "/api/now/table/incident/"
	if !strings.HasPrefix(r.URL.Path, p) {
		return ""
	}
	return strings.TrimPrefix(r.URL.Path, p)
}

// fdReads are the Flashduty endpoints that write nothing.
var fdReads = map[string]bool{
	"/incident/list": true, "/incident/list-by-ids": true, "/incident/info": true, "/incident/feed": true,
	"/member/info": true, "/person/infos": true, "/field/list": true, "/channel/list": true, "/channel/infos": true,
	"/audit/search": true, "/member/list": true,
}

// isFDWrite reports whether a Flashduty path writes.
func isFDWrite(path string) bool {
	return !fdReads[path] && !strings.HasPrefix(path, fdsim.ControlPrefix)
}

// isSnowWrite reports whether a ServiceNow request writes.
func isSnowWrite(method string) bool {
	return method == http.MethodPost || method == http.MethodPatch || method == http.MethodPut || method == http.MethodDelete
}

// discardLogger is a logger that drops everything.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
