package simkit

import (
	"net/http"
	"sync"
	"time"
)

// Kit is the machinery one simulator holds: its clock, its queue of
// injected faults (F is the simulator's Fault), its call log and its
// control mux. Its parts are safe for concurrent use.
type Kit[F any] struct {
	Clock  *Clock
	Faults Queue[F]
	Calls  *CallLog

	ctlOnce sync.Once
	ctl     http.Handler
}

// NewKit returns a kit whose clock follows live, or is frozen at start
// when that is not zero (see NewClock), and whose call log keeps the last
// keep requests.
func NewKit[F any](live func() time.Time, start time.Time, keep int) *Kit[F] {
	return &Kit[F]{Clock: NewClock(live, start), Calls: NewCallLog(keep)}
}

// Reset puts the clock back, drops every fault and zeroes the call log.
func (k *Kit[F]) Reset() {
	k.Clock.Reset()
	k.Faults.Clear()
	k.Calls.Reset()
}

// ServeControl serves a control API request with the mux build returns,
// built on the first request.
func (k *Kit[F]) ServeControl(w http.ResponseWriter, r *http.Request, build func() http.Handler) {
	k.ctlOnce.Do(func() { k.ctl = build() })
	k.ctl.ServeHTTP(w, r)
}
