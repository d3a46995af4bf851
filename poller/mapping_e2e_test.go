package poller_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/state/redistest"
)

// after lets a person's change land, then syncs until nothing is left to
// write.
func (e *env) after(act func()) {
	e.t.Helper()
	time.Sleep(5 * time.Second)
	act()
	time.Sleep(5 * time.Second)
	e.settle(5)
}

func ptr[T any](v T) *T { return &v }

func TestMappingServiceNowToFlashduty(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		sysID := e.newSN(map[string]string{"short_description": "Mail relay slow", "description": "Queue at 5k", "urgency": "3", "impact": "3"})
		e.settle(4)
		id := e.linkOfSN(sysID).IncidentID
		if fd := e.fdOf(id); fd.Severity != "Info" || fd.Progress != "Triggered" {
			t.Fatalf("created as %s/%s, want Info/Triggered", fd.Severity, fd.Progress)
		}
		check := func(what string, ok func(fdsim.Incident) bool) {
			t.Helper()
			if fd := e.fdOf(id); !ok(fd) {
				t.Fatalf("%s: flashduty = %+v", what, fd)
			}
		}
		e.after(func() {
			e.editSN(sysID, map[string]string{"short_description": "Mail relay very slow", "description": "Queue at 50k"})
		})
		check("title and description", func(fd fdsim.Incident) bool {
			return fd.Title == "Mail relay very slow" && len(fd.Description) > 0 && contains(fd.Description, "Queue at 50k")
		})
		for _, c := range []struct{ urgency, severity string }{{"2", "Warning"}, {"1", "Critical"}, {"3", "Info"}} {
			e.after(func() { e.editSN(sysID, map[string]string{"urgency": c.urgency}) })
			check("urgency "+c.urgency, func(fd fdsim.Incident) bool { return fd.Severity == c.severity })
		}
		// An impact-only change does nothing on Flashduty.
		before := e.writes()
		e.after(func() { e.editSN(sysID, map[string]string{"impact": "1"}) })
		if got := e.writes() - before; got != 0 {
			t.Fatalf("impact-only change made %d writes", got)
		}
		check("impact only", func(fd fdsim.Incident) bool { return fd.Severity == "Info" })

		e.after(func() { e.editSN(sysID, map[string]string{"state": "2"}) })
		check("In Progress", func(fd fdsim.Incident) bool { return fd.Progress == "Processing" })
		e.after(func() { e.editSN(sysID, map[string]string{"state": "3", "hold_reason": "1"}) })
		check("On Hold", func(fd fdsim.Incident) bool { return fd.SnoozedBefore > time.Now().Unix()+60*60 })
		e.after(func() { e.editSN(sysID, map[string]string{"state": "2"}) })
		check("back to In Progress", func(fd fdsim.Incident) bool {
			return fd.SnoozedBefore <= time.Now().Unix() && fd.Progress == "Processing"
		})
		e.after(func() {
			e.editSN(sysID, map[string]string{"state": "6", "close_code": "Solution provided", "close_notes": "Relay restarted"})
		})
		check("Resolved", func(fd fdsim.Incident) bool { return fd.Progress == "Closed" })
		e.after(func() { e.editSN(sysID, map[string]string{"state": "2"}) })
		check("reopened", func(fd fdsim.Incident) bool { return fd.Progress != "Closed" })
		e.steady(2)

		// Closed and Canceled close Flashduty too.
		for _, st := range []string{"7", "8"} {
			s := e.newSN(map[string]string{"short_description": "Closed via state " + st, "urgency": "2", "impact": "2"})
			e.settle(4)
			fid := e.linkOfSN(s).IncidentID
			e.after(func() {
				e.editSN(s, map[string]string{"state": st, "close_code": "Solution provided", "close_notes": "done"})
			})
			if fd := e.fdOf(fid); fd.Progress != "Closed" {
				t.Fatalf("state %s: flashduty progress %s, want Closed", st, fd.Progress)
			}
		}
		e.steady(2)
	})
}

func TestMappingFlashdutyToServiceNow(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		id := e.newFD(fdsim.IncidentSpec{Title: "Login errors", Description: "5% of logins fail", Severity: "Warning"})
		e.settle(4)
		sysID := e.linkOf(id).SysID
		check := func(what string, want map[string]string) {
			t.Helper()
			sn := e.snowOf(sysID)
			for k, v := range want {
				if sn[k] != v {
					t.Fatalf("%s: servicenow %s = %q, want %q (record %v)", what, k, sn[k], v, sn)
				}
			}
		}
		check("create", map[string]string{"short_description": "Login errors", "description": "5% of logins fail", "urgency": "2", "impact": "2", "state": "1"})
		e.after(func() {
			e.must(e.fd.EditIncident(fdsim.Alice, id, fdsim.Edit{Title: ptr("Login errors in EU"), Description: ptr("8% of logins fail")}))
		})
		check("title and description", map[string]string{"short_description": "Login errors in EU", "description": "8% of logins fail"})
		for _, c := range []struct{ sev, iu string }{{"Critical", "1"}, {"Info", "3"}, {"Warning", "2"}} {
			e.after(func() { e.must(e.fd.EditIncident(fdsim.Alice, id, fdsim.Edit{Severity: ptr(c.sev)})) })
			check("severity "+c.sev, map[string]string{"urgency": c.iu, "impact": c.iu})
		}
		e.after(func() { e.must(e.fd.Ack(fdsim.Alice, id)) })
		check("ack", map[string]string{"state": "2"})
		e.after(func() { e.must(e.fd.Snooze(fdsim.Alice, id, 60)) })
		check("snooze", map[string]string{"state": "3", "hold_reason": "1"})
		e.after(func() { e.must(e.fd.Wake(fdsim.Alice, id)) })
		if st := e.snowOf(sysID)["state"]; st == "3" {
			t.Fatalf("wake: servicenow still On Hold")
		}
		patches := e.sn.Count("PATCH", "/api/now/table/incident/{sys_id}")
		e.after(func() { e.must(e.fd.Close(fdsim.Alice, id, "expired cert", "Renewed the certificate")) })
		check("close", map[string]string{"state": "6", "close_code": "Solution provided", "close_notes": "Renewed the certificate"})
		if n := e.sn.Count("PATCH", "/api/now/table/incident/{sys_id}") - patches; n != 1 {
			t.Fatalf("close took %d PATCHes, want 1 (state, close_code and close_notes together)", n)
		}
		e.after(func() { e.must(e.fd.Reopen(fdsim.Alice, id, "came back")) })
		check("reopen", map[string]string{"state": "2"})
		e.steady(2)

		// Closed by someone without a resolution: close notes name the closer.
		id2 := e.newFD(fdsim.IncidentSpec{Title: "Second incident", Severity: "Info"})
		e.settle(4)
		e.after(func() { e.must(e.fd.Close(fdsim.Bob, id2, "", "")) })
		sn := e.snowOf(e.linkOf(id2).SysID)
		if sn["state"] != "6" || !contains(sn["close_notes"], "Closed in Flashduty by") {
			t.Fatalf("close without resolution: state %s close_notes %q", sn["state"], sn["close_notes"])
		}
		e.steady(2)
	})
}
