package poller_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/state"
	"github.com/snowduty/snowduty/state/redistest"
)

// Redis is flushed mid-run: every link is rebuilt from correlation_id, no
// incident is created twice and no comment is posted twice.
func TestRedisFlushedMidRun(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		fdIDs := []string{
			e.newFD(fdsim.IncidentSpec{Title: "From flashduty one", Severity: "Critical"}),
			e.newFD(fdsim.IncidentSpec{Title: "From flashduty two", Severity: "Info"}),
		}
		snIDs := []string{
			e.newSN(map[string]string{"short_description": "From servicenow one", "urgency": "2", "impact": "2"}),
			e.newSN(map[string]string{"short_description": "From servicenow two", "urgency": "3", "impact": "3"}),
		}
		e.settle(4)
		for _, id := range fdIDs {
			e.must(e.fd.Comment(fdsim.Alice, id, "fd note on "+id))
		}
		for _, id := range snIDs {
			e.must(e.sn.AddComment(snowsim.Alice, id, "snow note on "+id))
		}
		time.Sleep(5 * time.Second)
		e.settle(4)
		want := map[string]string{} // incident id → sys_id
		for _, id := range fdIDs {
			want[id] = e.linkOf(id).SysID
		}
		for _, id := range snIDs {
			want[e.linkOfSN(id).IncidentID] = id
		}
		snCreates, fdCreates := e.snCreates(), e.fdCreates()

		redis.Flush()
		// A change on each side while the state is gone.
		e.must(e.fd.Comment(fdsim.Bob, fdIDs[0], "after the flush"))
		e.editSN(snIDs[0], map[string]string{"urgency": "1"})
		time.Sleep(5 * time.Second)
		e.settle(6)
		e.steady(2)

		if e.snCreates() != snCreates || e.fdCreates() != fdCreates || e.sn.IncidentCount() != 4 || e.fdIncidents() != 4 {
			t.Fatalf("creates after the flush: servicenow %d→%d, flashduty %d→%d", snCreates, e.snCreates(), fdCreates, e.fdCreates())
		}
		for id, sysID := range want {
			l := e.linkOf(id)
			if l.SysID != sysID || l.Origin != state.OriginAdopted {
				t.Fatalf("link of %s = %+v, want %s adopted", id, l, sysID)
			}
		}
		for id, sysID := range want {
			for _, it := range e.sn.Journal(sysID) {
				if n := countJournal(e.sn.Journal(sysID), it["value"]); n != 1 {
					t.Fatalf("servicenow journal of %s holds %q %d times", sysID, it["value"], n)
				}
			}
			feed, _ := e.fd.Feed(id)
			for _, it := range feed {
				if it.Type == "i_comm" {
					if n := countComments(feed, feedComment(it)); n != 1 {
						t.Fatalf("flashduty feed of %s holds %q %d times", id, feedComment(it), n)
					}
				}
			}
		}
		if n := countJournal(e.sn.Journal(want[fdIDs[0]]), "after the flush"); n != 1 {
			t.Fatalf("comment made while the state was gone reached servicenow %d times", n)
		}
		if fd := e.fdOf(e.linkOfSN(snIDs[0]).IncidentID); fd.Severity != "Critical" {
			t.Fatalf("urgency change made while the state was gone: severity %s", fd.Severity)
		}
	})
}

// 250 ServiceNow incidents created in one second are all mirrored, each
// exactly once (keyset paging through a shared sys_updated_on).
func TestBurstOf250ServiceNowIncidents(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		ids, err := e.sn.CreateIncidents(snowsim.Alice, 250, map[string]string{"urgency": "2", "impact": "2"})
		if err != nil {
			t.Fatal(err)
		}
		e.settle(4)
		e.steady(1)
		if e.fdIncidents() != 250 || e.fdCreates() != 250 {
			t.Fatalf("%d flashduty incidents after %d creates, want 250 and 250", e.fdIncidents(), e.fdCreates())
		}
		seen := map[string]bool{}
		for _, sysID := range ids {
			l := e.linkOfSN(sysID)
			if seen[l.IncidentID] {
				t.Fatalf("flashduty incident %s linked twice", l.IncidentID)
			}
			seen[l.IncidentID] = true
			if e.snowOf(sysID)["correlation_id"] != l.IncidentID {
				t.Fatalf("%s correlation_id not set", sysID)
			}
		}
	})
}

// A Flashduty incident that started 40 days ago (beyond the 31-day list
// window) stays tracked: later edits on either side still sync.
func TestOldFlashdutyIncidentStillTracked(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		id, sysID := e.linkedPair("Long-running incident")
		time.Sleep(40 * 24 * time.Hour)
		e.settle(3)
		e.after(func() {
			e.must(e.fd.EditIncident(fdsim.Alice, id, fdsim.Edit{Title: ptr("Long-running incident, still open")}))
		})
		if got := e.snowOf(sysID)["short_description"]; got != "Long-running incident, still open" {
			t.Fatalf("short_description = %q", got)
		}
		e.after(func() { e.must(e.sn.AddComment(snowsim.Alice, sysID, "day 40 update")) })
		e.after(func() { e.must(e.fd.Comment(fdsim.Alice, id, "day 40 from flashduty")) })
		if e.fdComments(id, "day 40 update") != 1 || countJournal(e.sn.Journal(sysID), "day 40 from flashduty") != 1 {
			t.Fatal("comments on the 40-day-old pair did not sync exactly once")
		}
		e.steady(2)
	})
}
