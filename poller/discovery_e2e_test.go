package poller_test

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/state/redistest"
)

// Discovery re-lists a minute behind its window on most passes and the
// whole overlap (10 minutes, plus the 5 between deep passes) every 5
// minutes: 300 incidents that started in the last minutes cost one list
// page per regular pass, not three, and an incident created with a start
// time 8 minutes in the past is still found and linked exactly once.
func TestDiscoveryOverlapIsDeepEveryFiveMinutes(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		for i := range 300 {
			e.newFD(fdsim.IncidentSpec{Title: fmt.Sprintf("Storm %03d", i), Severity: "Info",
				StartTime: time.Now().Add(-time.Duration(i) * time.Second)})
		}
		e.settle(6)
		if got := e.sn.IncidentCount(); got != 300 {
			t.Fatalf("%d servicenow incidents after the storm, want 300", got)
		}
		time.Sleep(30 * time.Second)
		e.fd.ResetCalls()
		e.pass()
		if got := e.fd.Count("POST", "/incident/list"); got != 1 {
			t.Fatalf("a regular discovery made %d list calls over 300 recent incidents, want 1", got)
		}

		late := e.newFD(fdsim.IncidentSpec{Title: "Alert from 8 minutes ago", Severity: "Warning",
			StartTime: time.Now().Add(-8 * time.Minute)})
		linkedAt := time.Duration(0)
		for step := 30 * time.Second; linkedAt == 0 && step <= 7*time.Minute; step += 30 * time.Second {
			time.Sleep(30 * time.Second)
			e.pass()
			if _, ok, err := e.store.LinkByIncidentID(t.Context(), late); err != nil {
				t.Fatal(err)
			} else if ok {
				linkedAt = step
			}
		}
		if linkedAt == 0 {
			t.Fatal("the backdated incident was never discovered")
		}
		if linkedAt > 5*time.Minute+30*time.Second {
			t.Fatalf("the backdated incident was discovered after %v, want within the 5-minute deep interval", linkedAt)
		}
		if got := e.sn.IncidentCount(); got != 301 {
			t.Fatalf("%d servicenow incidents, want 301 (each once)", got)
		}
	})
}
