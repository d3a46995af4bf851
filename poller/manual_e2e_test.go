package poller_test

import (
	"strings"
	"testing"
	"testing/synctest"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state/redistest"
)

func TestManualTrigger(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t, func(o *poller.Options) {
			o.Trigger = poller.Trigger{Manual: true, ManualField: "sync_to_servicenow", ManualLabel: [2]string{"snowduty", "sync"}}
		})
		plain := e.newFD(fdsim.IncidentSpec{Title: "Not marked", Severity: "Warning"})
		byField := e.newFD(fdsim.IncidentSpec{Title: "Marked by checkbox", Severity: "Warning", Fields: map[string]any{"sync_to_servicenow": true}})
		byLabel := e.newFD(fdsim.IncidentSpec{Title: "Marked by label", Severity: "Warning", Labels: map[string]string{"snowduty": "sync"}})
		later := e.newFD(fdsim.IncidentSpec{Title: "Marked later", Severity: "Warning"})
		snPlain := e.newSN(map[string]string{"short_description": "Plain snow incident", "urgency": "2", "impact": "2"})
		snMarked := e.newSN(map[string]string{"short_description": "Snow incident to mirror", "urgency": "2", "impact": "2"})
		snByNumber := e.newSN(map[string]string{"short_description": "Synced by command", "urgency": "3", "impact": "3"})
		e.settle(4)
		linked := func(id string) bool { _, ok, _ := e.store.LinkByIncidentID(t.Context(), id); return ok }
		snLinked := func(id string) bool { _, ok, _ := e.store.LinkBySysID(t.Context(), id); return ok }
		if linked(plain) || linked(later) || !linked(byField) || !linked(byLabel) || snLinked(snPlain) || snLinked(snMarked) {
			t.Fatalf("links: plain %v later %v field %v label %v snPlain %v snMarked %v", linked(plain), linked(later), linked(byField), linked(byLabel), snLinked(snPlain), snLinked(snMarked))
		}
		if e.fdCreates() != 0 || e.snCreates() != 2 {
			t.Fatalf("creates: flashduty %d, servicenow %d; want 0 and 2", e.fdCreates(), e.snCreates())
		}
		e.after(func() {
			e.must(e.fd.SetField(fdsim.Alice, later, "sync_to_servicenow", true))
			e.editSN(snMarked, map[string]string{"correlation_display": "Flashduty"})
		})
		if !linked(later) || !snLinked(snMarked) || linked(plain) || snLinked(snPlain) {
			t.Fatalf("after marking: later %v snMarked %v plain %v snPlain %v", linked(later), snLinked(snMarked), linked(plain), snLinked(snPlain))
		}
		// snowduty sync <id>, by Flashduty id and by ServiceNow number.
		if _, err := e.p.SyncOne(t.Context(), plain); err != nil {
			t.Fatal(err)
		}
		number := e.snowOf(snByNumber)["number"]
		if _, err := e.p.SyncOne(t.Context(), strings.ToLower(number)); err != nil {
			t.Fatal(err)
		}
		if !linked(plain) || !snLinked(snByNumber) || snLinked(snPlain) {
			t.Fatalf("after sync: plain %v %s %v", linked(plain), number, snLinked(snByNumber))
		}
		if _, err := e.p.SyncOne(t.Context(), "not-an-id"); err == nil || !strings.Contains(err.Error(), "24 hex digits") {
			t.Fatalf("sync of a bad ref: %v", err)
		}
		e.settle(3)
		e.steady(2)
		if e.fdIncidents() != 6 || e.sn.IncidentCount() != 7 {
			t.Fatalf("%d flashduty and %d servicenow incidents, want 6 and 7", e.fdIncidents(), e.sn.IncidentCount())
		}
	})
}
