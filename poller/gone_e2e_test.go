package poller_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/state"
	"github.com/snowduty/snowduty/state/redistest"
)

// A partner that disappears (a row ACL now hides the ServiceNow incident)
// takes the pair out of the active set, audited, without retries, writes or
// re-creating it; the link stays for explain.
func TestGonePartnerLeavesActiveSet(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		id, sysID := e.linkedPair("Partner will vanish")
		e.must(e.sn.Hide("incident", sysID))
		e.must(e.fd.Comment(fdsim.Alice, id, "nobody will read this in servicenow"))
		time.Sleep(5 * time.Second)
		writes := e.writes()
		e.settle(3)
		e.steady(2)
		if e.writes() != writes || e.sn.IncidentCount() != 1 {
			t.Fatalf("%d writes, %d servicenow incidents after the partner vanished", e.writes()-writes, e.sn.IncidentCount())
		}
		st, err := e.store.Status(t.Context())
		if err != nil || st.RetryQueue != 0 || st.Active != 0 {
			t.Fatalf("status %+v (%v): want no retries and no active pairs", st, err)
		}
		if l := e.linkOf(id); l.SysID != sysID {
			t.Fatalf("link lost: %+v", l)
		}
		audit, _ := e.store.AuditFor(t.Context(), state.PairIDForIncident(id), 10)
		found := false
		for _, a := range audit {
			found = found || a.Kind == "gone"
		}
		if !found {
			t.Fatalf("no gone event in the audit: %+v", audit)
		}
	})
}
