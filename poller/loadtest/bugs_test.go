//go:build bugs

// Minimal reproductions of bugs the load runs and the soak found. They fail
// until the bugs are fixed; run them with
//
//	go test -tags bugs -run TestBug ./poller/loadtest/
//
// and move each into the regular suite of its package once it passes.
package loadtest

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/state/redistest"
)

// Bug 2 (poller/sources.go advanceSnowCursor): the ServiceNow cursor only
// moves to the last row read, so once changes stop, every pass re-reads the
// last burst (all rows in the Overlap window before it) — 3 extra pages per
// pass here, ~100 at 10,000 pairs — instead of one empty page.
func TestBugIdlePassRereadsLastBurst(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, redis)
		p := w.newPoller(t, daemonOptions{inProcess: true})
		if _, err := w.sn.CreateIncidents(snowsim.Bob, 300, map[string]string{"urgency": "2", "impact": "2"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		w.settle(t, t.Context(), p, 10)
		time.Sleep(10 * time.Minute) // long quiet: nothing changed since
		w.sn.ResetCalls()
		if err := p.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := w.sn.Count("GET", "/api/now/table/incident"); n != 1 {
			t.Fatalf("an idle pass 10 minutes after the last change read the change feed %d times, want 1", n)
		}
	})
}
