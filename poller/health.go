package poller

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Health tracks what /livez and /readyz report. Liveness means the loop is
// attempting its passes on time (a ServiceNow outage must not restart the
// pod); readiness means Redis answers and the first pass has finished (or
// this replica is a standby follower).
type Health struct {
	mu          sync.Mutex
	now         func() time.Time
	nextDue     time.Time // when the loop must have attempted its next pass by
	grace       time.Duration
	firstPassOK bool
	standby     bool
	started     bool
	ping        func(context.Context) error
}

// NewHealth returns a Health whose readiness pings Redis with ping. grace
// is how late a pass may start before liveness fails.
func NewHealth(now func() time.Time, grace time.Duration, ping func(context.Context) error) *Health {
	return &Health{now: now, grace: grace, ping: ping}
}

// Attempted records that the loop started work and when it must start again.
func (h *Health) Attempted(next time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.started = true
	if next.After(h.nextDue) {
		h.nextDue = next
	}
}

// FirstPassDone marks the first full pass as finished.
func (h *Health) FirstPassDone() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.firstPassOK = true
}

// SetStandby records whether this replica is a follower waiting for the lease.
func (h *Health) SetStandby(standby bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.standby = standby
}

// Live reports nil when the loop is on time.
func (h *Health) Live() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.started {
		return nil // starting up; the startup probe covers this
	}
	if late := h.now().Sub(h.nextDue); late > h.grace {
		return fmt.Errorf("check liveness: the sync loop is %v late (last expected by %s)", late.Round(time.Second), h.nextDue.UTC().Format(time.RFC3339))
	}
	return nil
}

// Ready reports nil when Redis answers and the first pass finished (or this
// replica is a standby).
func (h *Health) Ready(ctx context.Context) error {
	if err := h.ping(ctx); err != nil {
		return fmt.Errorf("check readiness: redis: %w", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.firstPassOK && !h.standby {
		return fmt.Errorf("check readiness: the first pass has not finished yet")
	}
	return nil
}

// Handler serves /livez, /readyz and /metrics (from gatherer).
func (h *Health) Handler(gatherer prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) { writeProbe(w, h.Live()) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		writeProbe(w, h.Ready(ctx))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	return mux
}

func writeProbe(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, err.Error())
		return
	}
	fmt.Fprintln(w, "ok")
}
