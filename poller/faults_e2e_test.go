package poller_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/state"
	"github.com/snowduty/snowduty/state/redistest"
)

// ServiceNow read faults: the pass fails, nothing is written, the cursor
// stays put, and once the faults stop the change arrives exactly once.
func TestServiceNowReadFaults(t *testing.T) {
	for _, c := range []struct {
		name  string
		fault snowsim.Fault
	}{
		{"429 storm", snowsim.Fault{Kind: snowsim.FaultRateLimit, Method: "GET", RetryAfter: 3 * time.Second, Count: 12}},
		{"5xx", snowsim.Fault{Kind: snowsim.FaultServerError, Method: "GET", Count: 12}},
		{"503 page", snowsim.Fault{Kind: snowsim.FaultUnavailable, Method: "GET", Count: 12}},
		{"hibernating", snowsim.Fault{Kind: snowsim.FaultHibernating, Count: 12}},
		{"slow past the timeout", snowsim.Fault{Kind: snowsim.FaultSlow, Method: "GET", Delay: time.Minute, Count: 12}},
		{"partial journal", snowsim.Fault{Kind: snowsim.FaultPartialResult, Path: "/api/now/table/sys_journal_field", Count: 12}},
	} {
		t.Run(c.name, func(t *testing.T) {
			redis := redistest.Start(t)
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(redis)
				w.snOpts = func(o *servicenow.Options) { o.Timeout = 5 * time.Second }
				e := w.newEnv(t)
				id, sysID := e.linkedPair("Fault target")
				time.Sleep(10 * time.Second)
				e.pass()
				cur0 := e.cursors()
				e.editSN(sysID, map[string]string{"urgency": "1"})
				e.must(e.sn.AddComment(snowsim.Alice, sysID, "during the storm"))
				time.Sleep(5 * time.Second)
				e.must(e.sn.InjectFault(c.fault))
				writes := e.writes()
				for range 2 {
					if err := e.passErr(); err == nil {
						t.Fatal("pass succeeded during the fault")
					}
					if cur := e.cursors(); cur.ServiceNow.UpdatedOn.After(cur0.ServiceNow.UpdatedOn) {
						t.Fatalf("cursor moved from %v to %v over unprocessed work", cur0.ServiceNow, cur.ServiceNow)
					}
					if got := e.writes() - writes; got != 0 {
						t.Fatalf("%d writes after bad reads", got)
					}
					time.Sleep(5 * time.Second)
				}
				e.sn.ClearFaults()
				e.converge(8)
				e.steady(2)
				if fd := e.fdOf(id); fd.Severity != "Critical" || e.fdComments(id, "during the storm") != 1 {
					t.Fatalf("after the faults: severity %s, comment copies %d", fd.Severity, e.fdComments(id, "during the storm"))
				}
				if cur := e.cursors(); !cur.ServiceNow.UpdatedOn.After(cur0.ServiceNow.UpdatedOn) {
					t.Fatalf("cursor did not move after recovery: %v", cur.ServiceNow)
				}
			})
		})
	}
}

// Flashduty read faults: no ServiceNow writes while Flashduty cannot be
// read, the discovery window stays, and everything converges afterwards.
func TestFlashdutyReadFaults(t *testing.T) {
	for _, c := range []struct {
		name  string
		fault fdsim.Fault
	}{
		{"429 storm", fdsim.Fault{Status: 429, RetryAfter: 3 * time.Second, Count: 30}},
		{"5xx", fdsim.Fault{Status: 500, Count: 30}},
		{"error envelope on 200", fdsim.Fault{Status: 200, Code: "InternalError", Count: 30}},
		{"slow past the timeout", fdsim.Fault{Delay: time.Minute, Count: 30}},
	} {
		t.Run(c.name, func(t *testing.T) {
			redis := redistest.Start(t)
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(redis)
				w.fdOpts = func(o *flashduty.Options) { o.Timeout = 5 * time.Second }
				e := w.newEnv(t)
				id, sysID := e.linkedPair("Fault target")
				time.Sleep(10 * time.Second)
				e.pass()
				win0 := e.cursors().FlashdutyWindow
				e.must(e.fd.Ack(fdsim.Alice, id))
				e.must(e.fd.Comment(fdsim.Bob, id, "fd during the storm"))
				fresh := e.newFD(fdsim.IncidentSpec{Title: "Born during the storm", Severity: "Info"})
				time.Sleep(5 * time.Second)
				e.must(e.fd.InjectFault(c.fault))
				writes := e.writes()
				if err := e.passErr(); err == nil {
					t.Fatal("pass succeeded during the fault")
				}
				if got := e.writes() - writes; got != 0 {
					t.Fatalf("%d writes after bad reads", got)
				}
				if win := e.cursors().FlashdutyWindow; !win.Equal(win0) {
					t.Fatalf("discovery window moved from %v to %v", win0, win)
				}
				e.fd.ClearFaults()
				e.converge(8)
				e.steady(2)
				if sn := e.snowOf(sysID); sn["state"] != "2" || countJournal(e.sn.Journal(sysID), "fd during the storm") != 1 {
					t.Fatalf("after the faults: state %s, comment copies %d", sn["state"], countJournal(e.sn.Journal(sysID), "fd during the storm"))
				}
				if e.linkOf(fresh).SysID == "" || e.sn.IncidentCount() != 2 {
					t.Fatalf("%d servicenow incidents, want 2", e.sn.IncidentCount())
				}
			})
		})
	}
}

func (e *env) cursors() state.Cursors {
	e.t.Helper()
	c, err := e.store.Cursors(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// A Flashduty discovery that fails does not keep a linked pair's change
// from being synced in the same pass; the pass still reports the failure.
func TestDiscoveryFailureStillSyncsChanges(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		id := e.newFD(fdsim.IncidentSpec{Title: "Linked before the outage", Severity: "Warning"})
		e.settle(4)
		sysID := e.linkOf(id).SysID
		time.Sleep(5 * time.Second)
		e.must(e.fd.EditIncident(fdsim.Alice, id, fdsim.Edit{Title: ptr("Edited while discovery fails")}))
		e.must(e.fd.InjectFault(fdsim.Fault{Path: "/incident/list", Status: 500, Count: 50}))
		err := e.passErr()
		if err == nil || !contains(err.Error(), "discover flashduty incidents") {
			t.Fatalf("pass = %v, want the discovery failure reported", err)
		}
		if got := e.snowOf(sysID)["short_description"]; got != "Edited while discovery fails" {
			t.Fatalf("short_description = %q, want the edit synced despite the failed discovery", got)
		}
		e.fd.ClearFaults()
		e.settle(3)
	})
}
