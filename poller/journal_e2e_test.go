package poller_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/state/redistest"
)

// On a hardened instance the integration user may not read
// sys_journal_field: a 403 on every read. One refused read used to abort
// the whole batch, so nothing synced either way. Now every field still
// syncs both ways, comments to ServiceNow still go (once), comments from
// ServiceNow wait, and the daemon says so: one ERROR a pass, a metric, the
// state `status` shows. Once the role is granted, the waiting comment is
// mirrored, and nothing twice.
func TestUnreadableJournalDegrades(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		id, sysID := e.linkedPair("Queue consumer stalled")
		e.after(func() { e.must(e.fd.Comment(fdsim.Alice, id, "earlier note from flashduty")) })

		e.sn.DenyTable("sys_journal_field", snowsim.DenyForbidden)
		time.Sleep(5 * time.Second)
		e.editSN(sysID, map[string]string{"short_description": "Queue consumer stalled on orders-2"})
		e.must(e.sn.AddComment(snowsim.Alice, sysID, "caller: orders are stuck"))
		sev := "Critical"
		e.must(e.fd.EditIncident(fdsim.Bob, id, fdsim.Edit{Severity: &sev}))
		e.must(e.fd.Comment(fdsim.Alice, id, "restarting the consumer"))
		time.Sleep(5 * time.Second)
		before := strings.Count(e.logs.String(), "servicenow journal unreadable")
		e.pass()
		time.Sleep(5 * time.Second)
		e.pass()

		if got := e.fdOf(id).Title; got != "Queue consumer stalled on orders-2" {
			t.Fatalf("the servicenow title did not reach flashduty: %q", got)
		}
		if sn := e.snowOf(sysID); sn["urgency"] != "1" || sn["impact"] != "1" {
			t.Fatalf("the flashduty severity did not reach servicenow: urgency %q impact %q", sn["urgency"], sn["impact"])
		}
		if n := countJournal(e.sn.Journal(sysID), "restarting the consumer"); n != 1 {
			t.Fatalf("the flashduty comment is in servicenow %d times, want once", n)
		}
		if n := countJournal(e.sn.Journal(sysID), "earlier note from flashduty"); n != 1 {
			t.Fatalf("the earlier flashduty comment is in servicenow %d times, want once", n)
		}
		if n := e.fdComments(id, "caller: orders are stuck"); n != 0 {
			t.Fatalf("a servicenow comment was mirrored though the journal is unreadable (%d)", n)
		}
		if got := strings.Count(e.logs.String(), "servicenow journal unreadable") - before; got != 2 {
			t.Fatalf("%d ERROR lines about the journal in two passes, want one a pass", got)
		}
		if !strings.Contains(e.logs.String(), "audit_viewer") {
			t.Fatalf("the log does not name the fix (audit_viewer)")
		}
		if v := metricValue(t, e, "snowduty_servicenow_journal_readable"); v != 0 {
			t.Fatalf("snowduty_servicenow_journal_readable = %v, want 0", v)
		}
		st, err := e.store.Status(t.Context())
		if err != nil || !st.Journal.Unreadable() || !strings.Contains(st.Journal.Reason, "403") {
			t.Fatalf("status journal = %+v (err %v), want unreadable with the 403", st.Journal, err)
		}

		// The role is granted: the waiting comment arrives, nothing twice.
		e.sn.DenyTable("sys_journal_field", snowsim.DenyNone)
		time.Sleep(5 * time.Second)
		e.converge(6)
		if n := e.fdComments(id, "caller: orders are stuck"); n != 1 {
			t.Fatalf("the servicenow comment is on flashduty %d times after the fix, want once", n)
		}
		if n := countJournal(e.sn.Journal(sysID), "restarting the consumer"); n != 1 {
			t.Fatalf("the flashduty comment is in servicenow %d times after the fix, want once", n)
		}
		if v := metricValue(t, e, "snowduty_servicenow_journal_readable"); v != 1 {
			t.Fatalf("snowduty_servicenow_journal_readable = %v after the fix, want 1", v)
		}
		if st, err := e.store.Status(t.Context()); err != nil || st.Journal.Unreadable() {
			t.Fatalf("status journal after the fix = %+v (err %v)", st.Journal, err)
		}
		e.steady(2)
	})
}

// Rows hidden by a row-level ACL come back as an empty answer, which alone
// looks like "no comments". After Redis is lost, an adopted pair would then
// post every Flashduty comment to ServiceNow again. The incident's own
// comments field still shows the history, which gives the hidden rows
// away: the comments are held back, not duplicated, until the journal can
// be read.
func TestHiddenJournalRowsDoNotDuplicateAfterAFlush(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		id, sysID := e.linkedPair("Search index lagging")
		e.after(func() {
			e.must(e.fd.Comment(fdsim.Alice, id, "reindex started"))
			e.must(e.fd.Comment(fdsim.Bob, id, "reindex at 40%"))
		})
		e.sn.DenyTable("sys_journal_field", snowsim.DenyRows)
		redis.Flush()
		time.Sleep(10 * time.Second)
		e.editSN(sysID, map[string]string{"description": "the index is 20 minutes behind"})
		time.Sleep(5 * time.Second)
		for range 3 {
			e.pass()
			time.Sleep(5 * time.Second)
		}
		for _, c := range []string{"reindex started", "reindex at 40%"} {
			if n := countJournal(e.sn.Journal(sysID), c); n != 1 {
				t.Fatalf("%q is in servicenow %d times after the flush with hidden journal rows, want once", c, n)
			}
		}
		if !strings.Contains(e.fdOf(id).Description, "the index is 20 minutes behind") {
			t.Fatalf("the servicenow field edit did not sync: %q", e.fdOf(id).Description)
		}
		st, err := e.store.Status(t.Context())
		if err != nil || !st.Journal.Unreadable() || !strings.Contains(st.Journal.Reason, "hidden") {
			t.Fatalf("status journal = %+v (err %v), want unreadable, rows hidden", st.Journal, err)
		}
		e.sn.DenyTable("sys_journal_field", snowsim.DenyNone)
		e.converge(6)
		for _, c := range []string{"reindex started", "reindex at 40%"} {
			if n := countJournal(e.sn.Journal(sysID), c); n != 1 {
				t.Fatalf("%q is in servicenow %d times once readable, want once", c, n)
			}
		}
	})
}
