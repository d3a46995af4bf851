package poller_test

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state"
	"github.com/snowduty/snowduty/state/redistest"
)

func TestCreateFromFlashdutyExactlyOnce(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		id := e.newFD(fdsim.IncidentSpec{Title: "Disk full on db-1", Description: "90% used", Severity: "Info"})
		e.settle(4)
		e.steady(4)
		if n := e.sn.IncidentCount(); n != 1 || e.snCreates() != 1 {
			t.Fatalf("%d servicenow incidents after %d creates, want 1 and 1", n, e.snCreates())
		}
		sn := e.snowOf(e.linkOf(id).SysID)
		if sn["correlation_id"] != id || sn["correlation_display"] != "Flashduty" || sn["urgency"] != "3" || sn["impact"] != "3" || sn["description"] != "90% used" {
			t.Fatalf("servicenow incident = %v", sn)
		}
		if e.fdIncidents() != 1 || e.fdCreates() != 0 {
			t.Fatalf("flashduty: %d incidents, %d creates; want 1 and 0", e.fdIncidents(), e.fdCreates())
		}
	})
}

func TestCreateFromServiceNowExactlyOnce(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		sysID := e.newSN(map[string]string{"short_description": "VPN down in Berlin", "description": "No tunnel since 09:00", "urgency": "1", "impact": "2"})
		e.settle(4)
		e.steady(4)
		if n := e.fdIncidents(); n != 1 || e.fdCreates() != 1 {
			t.Fatalf("%d flashduty incidents after %d creates, want 1 and 1", n, e.fdCreates())
		}
		l := e.linkOfSN(sysID)
		fd := e.fdOf(l.IncidentID)
		sn := e.snowOf(sysID)
		if fd.Title != "VPN down in Berlin" || fd.Severity != "Critical" || !strings.Contains(fd.Description, "No tunnel since 09:00") ||
			!strings.Contains(fd.Description, "[ServiceNow: "+sn["number"]+"]") || fd.ChannelID != fdsim.OpsChannelID {
			t.Fatalf("flashduty incident = %+v", fd)
		}
		if sn["correlation_id"] != l.IncidentID || sn["correlation_display"] != "Flashduty" {
			t.Fatalf("servicenow correlation = %q/%q, want %s/Flashduty", sn["correlation_id"], sn["correlation_display"], l.IncidentID)
		}
		if e.snCreates() != 0 || e.sn.IncidentCount() != 1 {
			t.Fatalf("servicenow: %d creates, %d incidents; want 0 and 1", e.snCreates(), e.sn.IncidentCount())
		}
	})
}

// The create reaches Flashduty but its answer is lost (HTTP 500 after the
// write): the next attempt finds the incident by the ServiceNow number in
// its description and links it instead of creating a second one.
func TestCreateFlashdutyAnswerLostIsFoundBySearch(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		e.must(e.fd.InjectFault(fdsim.Fault{Path: "/incident/create", Status: 500, AfterApply: true}))
		sysID := e.newSN(map[string]string{"short_description": "Payment API errors", "urgency": "2", "impact": "2"})
		var pe *poller.PassError
		if err := e.passErr(); !errors.As(err, &pe) || len(pe.Failures) != 1 || pe.Failures[0].Class != "unknown_outcome" {
			t.Fatalf("first pass: %v, want one unknown_outcome failure", err)
		}
		if e.fdIncidents() != 1 {
			t.Fatalf("%d flashduty incidents after the lost answer, want 1", e.fdIncidents())
		}
		// The same pass's Flashduty discovery may already adopt it (its
		// description names the ServiceNow number).
		e.converge(10)
		e.steady(3)
		if e.fdIncidents() != 1 || e.fdCreates() != 1 {
			t.Fatalf("%d flashduty incidents after %d creates, want 1 and 1", e.fdIncidents(), e.fdCreates())
		}
		l := e.linkOfSN(sysID)
		if sn := e.snowOf(sysID); sn["correlation_id"] != l.IncidentID || sn["correlation_display"] != "Flashduty" {
			t.Fatalf("servicenow correlation = %q/%q, want %s/Flashduty", sn["correlation_id"], sn["correlation_display"], l.IncidentID)
		}
		if intents, _ := e.store.Intents(t.Context()); len(intents) != 0 {
			t.Fatalf("intents left: %+v", intents)
		}
	})
}

// A ServiceNow create that failed ambiguously (HTTP 500 on the POST) keeps
// its intent: nothing is created again until a search proves it did not
// land, and then exactly one incident is created.
func TestCreateServiceNowUncertainIsNotRepeatedBlindly(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		e.must(e.sn.InjectFault(snowsim.Fault{Kind: snowsim.FaultServerError, Method: "POST", Path: "/api/now/table/incident", Count: 4}))
		id := e.newFD(fdsim.IncidentSpec{Title: "Queue backlog growing", Severity: "Warning"})
		if err := e.passErr(); err == nil {
			t.Fatal("first pass succeeded although every create answered 500")
		}
		if n := e.snCreates(); n != 1 {
			t.Fatalf("%d create calls after an ambiguous failure, want 1 (never re-sent blindly)", n)
		}
		// While the intent is young, passes do not create again.
		time.Sleep(20 * time.Second)
		_ = e.passErr()
		if n := e.snCreates(); n != 1 {
			t.Fatalf("%d create calls while the intent is unresolved, want 1", n)
		}
		e.sn.ClearFaults()
		time.Sleep(2 * time.Minute)
		e.converge(12)
		e.steady(3)
		if n := e.sn.IncidentCount(); n != 1 {
			t.Fatalf("%d servicenow incidents, want 1", n)
		}
		if sn := e.snowOf(e.linkOf(id).SysID); sn["correlation_id"] != id {
			t.Fatalf("correlation_id = %q, want %s", sn["correlation_id"], id)
		}
	})
}

// A crash between the ServiceNow create and the link write leaves the
// intent and an incident that names its partner in correlation_id: the next
// pass adopts it, creating nothing.
func TestCrashBetweenCreateAndLinkAdopts(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		id := e.newFD(fdsim.IncidentSpec{Title: "Cache hit rate dropped", Severity: "Warning"})
		// What the crashed daemon left: an intent, and the incident it
		// created (with correlation_id, as the POST carries it), no link.
		e.must(e.p.Prepare(t.Context()))
		f, ok, err := e.store.AcquireLease(t.Context(), "crashed")
		if err != nil || !ok {
			t.Fatalf("lease: %v %v", ok, err)
		}
		if _, err := e.store.BeginCreate(t.Context(), f, state.PairIDForIncident(id), state.SideServiceNow, time.Now()); err != nil {
			t.Fatal(err)
		}
		e.must(e.store.ReleaseLease(t.Context(), f))
		sysID := e.newSN(map[string]string{"short_description": "Cache hit rate dropped", "urgency": "2", "impact": "2", "correlation_id": id, "correlation_display": "Flashduty"})
		e.settle(4)
		e.steady(2)
		if e.snCreates() != 0 || e.sn.IncidentCount() != 1 || e.fdCreates() != 0 || e.fdIncidents() != 1 {
			t.Fatalf("creates: servicenow %d (%d incidents), flashduty %d (%d incidents); want 0 (1), 0 (1)", e.snCreates(), e.sn.IncidentCount(), e.fdCreates(), e.fdIncidents())
		}
		if l := e.linkOf(id); l.SysID != sysID {
			t.Fatalf("linked to %s, want %s", l.SysID, sysID)
		}
		if intents, _ := e.store.Intents(t.Context()); len(intents) != 0 {
			t.Fatalf("intents left: %+v", intents)
		}
	})
}

// TestCrashBeforeCorrelationAndRedisLostNoDuplicate: snowduty created the
// Flashduty partner of a ServiceNow incident, then crashed before writing
// correlation_id back, and Redis was lost too. Nothing in ServiceNow or
// Redis remembers the partner; only its "[ServiceNow: INC…]" line does. The
// next pass must find it, not create a second one.
func TestCrashBeforeCorrelationAndRedisLostNoDuplicate(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		sysID := e.newSN(map[string]string{"short_description": "Queue backlog growing", "urgency": "1", "impact": "1"})
		number := e.snowOf(sysID)["number"]
		inc, err := e.fd.CreateIncident(fdsim.IncidentSpec{Title: "Queue backlog growing", Severity: "Critical", ChannelID: fdsim.OpsChannelID,
			Description: "[ServiceNow: " + number + "]", As: fdsim.DefaultKeyUser})
		if err != nil {
			t.Fatal(err)
		}
		e.settle(4)
		e.steady(2)
		if e.fdCreates() != 0 || e.fdIncidents() != 1 {
			t.Fatalf("flashduty creates %d (%d incidents); want 0 (1): a duplicate partner was created", e.fdCreates(), e.fdIncidents())
		}
		if l := e.linkOf(inc.IncidentID); l.SysID != sysID {
			t.Fatalf("linked to %s, want %s", l.SysID, sysID)
		}
		if got := e.snowOf(sysID)["correlation_id"]; got != inc.IncidentID {
			t.Fatalf("correlation_id = %q, want %s", got, inc.IncidentID)
		}
	})
}
