package poller_test

import (
	"testing"
	"testing/synctest"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state/redistest"
)

// The ServiceNow incident created for a Flashduty incident gets a sys_id
// derived from the Flashduty id, so a create sent again cannot make a
// second record. Here an earlier create landed but nothing finds it: its
// correlation_id was cleared, it is outside the feed's scope, and Redis
// knows nothing. The second POST is refused, the record is found by its
// sys_id and linked, and there is still one ServiceNow incident.
func TestServiceNowCreateIsIdempotentBySysID(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t, func(o *poller.Options) { o.Scope = "short_description!=Certificate expires in 3 days" })
		id := e.newFD(fdsim.IncidentSpec{Title: "Certificate expires in 3 days", Severity: "Info"})
		earlier, err := e.sn.CreateIncident(snowsim.Alice, map[string]string{"sys_id": diff.ServiceNowSysID(id), "short_description": "Certificate expires in 3 days"})
		if err != nil {
			t.Fatal(err)
		}
		e.settle(4)
		if n := e.sn.IncidentCount(); n != 1 {
			t.Fatalf("%d servicenow incidents, want the earlier one only", n)
		}
		if l := e.linkOf(id); l.SysID != earlier["sys_id"] {
			t.Fatalf("linked to %s, want the earlier create %s", l.SysID, earlier["sys_id"])
		}
		if sn := e.snowOf(earlier["sys_id"]); sn["correlation_id"] != id {
			t.Fatalf("the adopted incident's correlation_id = %q, want %s", sn["correlation_id"], id)
		}
		e.steady(2)

		// A new Flashduty incident: its ServiceNow partner carries the
		// derived sys_id.
		next := e.newFD(fdsim.IncidentSpec{Title: "Disk latency on db-3", Severity: "Warning"})
		e.settle(4)
		if got := e.linkOf(next).SysID; got != diff.ServiceNowSysID(next) {
			t.Fatalf("created with sys_id %s, want %s", got, diff.ServiceNowSysID(next))
		}
	})
}
