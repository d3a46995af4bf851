package poller_test

import (
	"testing"
	"testing/synctest"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state/redistest"
)

func TestDirectionToServiceNow(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t, func(o *poller.Options) { o.Policy.Direction = diff.ToServiceNow })
		id := e.newFD(fdsim.IncidentSpec{Title: "Flows to ServiceNow", Severity: "Critical"})
		lone := e.newSN(map[string]string{"short_description": "Stays in ServiceNow", "urgency": "1", "impact": "1"})
		e.settle(4)
		sysID := e.linkOf(id).SysID
		if _, ok, _ := e.store.LinkBySysID(t.Context(), lone); ok || e.fdCreates() != 0 || e.fdIncidents() != 1 {
			t.Fatalf("a flashduty incident was created under to_servicenow (%d creates)", e.fdCreates())
		}
		fdWrites := func() int { return e.fdWritesOnly() }
		before := fdWrites()
		e.after(func() {
			e.editSN(sysID, map[string]string{"short_description": "edited in servicenow", "urgency": "3", "state": "2"})
			e.must(e.sn.AddComment("alice", sysID, "snow comment stays"))
		})
		if got := fdWrites() - before; got != 0 {
			t.Fatalf("%d flashduty writes under to_servicenow", got)
		}
		if fd := e.fdOf(id); fd.Title != "Flows to ServiceNow" || fd.Severity != "Critical" || fd.Progress != "Triggered" || e.fdComments(id, "snow comment stays") != 0 {
			t.Fatalf("flashduty changed under to_servicenow: %+v", fd)
		}
		e.after(func() { e.must(e.fd.Comment(fdsim.Alice, id, "fd comment flows")) })
		if n := countJournal(e.sn.Journal(sysID), "fd comment flows"); n != 1 {
			t.Fatalf("flashduty comment in servicenow %d times, want 1", n)
		}
		if got := fdWrites() - before; got != 0 {
			t.Fatalf("%d flashduty writes under to_servicenow", got)
		}
		e.steady(2)
	})
}

func TestDirectionFromServiceNow(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t, func(o *poller.Options) { o.Policy.Direction = diff.FromServiceNow })
		sysID := e.newSN(map[string]string{"short_description": "Flows to Flashduty", "urgency": "2", "impact": "2"})
		lone := e.newFD(fdsim.IncidentSpec{Title: "Stays in Flashduty", Severity: "Info"})
		e.settle(4)
		l := e.linkOfSN(sysID)
		if _, ok, _ := e.store.LinkByIncidentID(t.Context(), lone); ok || e.snCreates() != 0 || e.sn.IncidentCount() != 1 {
			t.Fatalf("a servicenow incident was created under from_servicenow (%d creates)", e.snCreates())
		}
		snWrites := func() int { return e.writes() - e.fdWritesOnly() }
		before := snWrites()
		e.after(func() {
			e.must(e.fd.EditIncident(fdsim.Alice, l.IncidentID, fdsim.Edit{Title: ptr("edited in flashduty")}))
			e.must(e.fd.Ack(fdsim.Alice, l.IncidentID))
			e.must(e.fd.Comment(fdsim.Alice, l.IncidentID, "fd comment stays"))
		})
		if got := snWrites() - before; got != 0 {
			t.Fatalf("%d servicenow writes under from_servicenow", got)
		}
		if sn := e.snowOf(sysID); sn["short_description"] != "Flows to Flashduty" || sn["state"] != "1" || countJournal(e.sn.Journal(sysID), "fd comment stays") != 0 {
			t.Fatalf("servicenow changed under from_servicenow: %v", sn)
		}
		e.after(func() { e.editSN(sysID, map[string]string{"urgency": "1"}) })
		if fd := e.fdOf(l.IncidentID); fd.Severity != "Critical" {
			t.Fatalf("flashduty severity %s, want Critical", fd.Severity)
		}
		if got := snWrites() - before; got != 0 {
			t.Fatalf("%d servicenow writes under from_servicenow", got)
		}
		e.steady(2)
	})
}
