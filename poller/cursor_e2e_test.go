package poller_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state/redistest"
)

// The ServiceNow cursor never passes ServiceNow's clock minus Lag, yet the
// rows inside the lag are synced (and, re-read later, write nothing).
func TestServiceNowCursorStaysBehindItsClock(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t, func(o *poller.Options) { o.Lag = 30 * time.Second })
		sysID := e.newSN(map[string]string{"short_description": "Inside the lag", "urgency": "2", "impact": "2"})
		e.pass()
		if cur := e.cursors().ServiceNow; cur.UpdatedOn.After(e.sn.Now().Add(-30 * time.Second)) {
			t.Fatalf("cursor %v is ahead of servicenow's clock %v minus the lag", cur.UpdatedOn, e.sn.Now())
		}
		e.linkOfSN(sysID)
		e.steady(6)
		if cur := e.cursors().ServiceNow; cur.UpdatedOn.After(e.sn.Now().Add(-30*time.Second)) || cur.UpdatedOn.IsZero() {
			t.Fatalf("cursor %v vs servicenow clock %v", cur.UpdatedOn, e.sn.Now())
		}
		if e.fdCreates() != 1 {
			t.Fatalf("%d flashduty creates, want 1", e.fdCreates())
		}
	})
}

// Explain shows the link, base, both sides and an empty plan for a synced
// pair, and the pending change for an edited one, writing nothing.
func TestExplainWritesNothing(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		id, sysID := e.linkedPair("Explain me")
		ex, err := e.p.Explain(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ex.Link == nil || ex.Link.SysID != sysID || ex.Base == nil || ex.ServiceNow == nil || ex.Flashduty == nil || ex.Plan.Writes() != 0 || len(ex.Audit) == 0 {
			t.Fatalf("explain of a synced pair: %+v", ex)
		}
		e.editSN(sysID, map[string]string{"urgency": "1"})
		writes := e.writes()
		number := e.snowOf(sysID)["number"]
		ex, err = e.p.Explain(t.Context(), number)
		if err != nil {
			t.Fatal(err)
		}
		if ex.Plan.Flashduty.Reset == nil || ex.Plan.Flashduty.Reset.Severity == nil || *ex.Plan.Flashduty.Reset.Severity != "Critical" {
			t.Fatalf("explain plan %+v, want a severity reset to Critical", ex.Plan)
		}
		if e.writes() != writes {
			t.Fatal("explain wrote")
		}
	})
}
