package poller_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state/redistest"
)

// linkedPair creates a Flashduty incident and syncs it; it returns the
// Flashduty id and the ServiceNow sys_id.
func (e *env) linkedPair(title string) (string, string) {
	e.t.Helper()
	id := e.newFD(fdsim.IncidentSpec{Title: title, Severity: "Warning"})
	e.settle(4)
	return id, e.linkOf(id).SysID
}

func (e *env) fdComments(id, text string) int {
	feed, _ := e.fd.Feed(id)
	return countComments(feed, text)
}

func TestCommentsBothWaysExactlyOnce(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		id, sysID := e.linkedPair("Comment traffic")
		e.after(func() {
			for _, c := range []string{"first from snow", "second from snow", "third from snow"} {
				e.must(e.sn.AddComment(snowsim.Alice, sysID, c))
				time.Sleep(time.Second) // ServiceNow orders by the second only
			}
			e.must(e.fd.Comment(fdsim.Alice, id, "first from flashduty"))
			e.must(e.fd.Comment(fdsim.Bob, id, "second from flashduty"))
		})
		for _, c := range []string{"first from snow", "second from snow", "third from snow"} {
			if n := e.fdComments(id, c); n != 1 {
				t.Fatalf("%q in flashduty %d times, want 1", c, n)
			}
			if n := countJournal(e.sn.Journal(sysID), c); n != 1 {
				t.Fatalf("%q echoed: %d times in servicenow", c, n)
			}
		}
		for _, c := range []string{"first from flashduty", "second from flashduty"} {
			if n := countJournal(e.sn.Journal(sysID), c); n != 1 {
				t.Fatalf("%q in servicenow %d times, want 1", c, n)
			}
			if n := e.fdComments(id, c); n != 1 {
				t.Fatalf("%q echoed: %d times in flashduty", c, n)
			}
		}
		// Attributed by name, also when the feed was read only to check
		// for earlier copies.
		for _, j := range e.sn.Journal(sysID) {
			if contains(j["value"], "second from flashduty") && !contains(j["value"], "Flashduty comment by Bob") {
				t.Fatalf("flashduty comment attributed as %q", j["value"])
			}
		}
		// Oldest first (Flashduty's own comments came after ServiceNow's).
		feed, _ := e.fd.Feed(id)
		var order []string
		for _, it := range feed {
			if it.Type == "i_comm" {
				order = append(order, feedComment(it))
			}
		}
		if len(order) != 5 || !contains(order[2], "first from snow") || !contains(order[4], "third from snow") || order[0] != "first from flashduty" {
			t.Fatalf("flashduty comments in order %q", order)
		}
		// Work notes are not mirrored by default.
		e.after(func() { e.must(e.sn.AddWorkNote(snowsim.Alice, sysID, "internal only")) })
		if n := e.fdComments(id, "internal only"); n != 0 {
			t.Fatalf("a work note reached flashduty %d times without being configured", n)
		}
		e.steady(3)
	})
}

func TestWorkNotesWhenConfigured(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t, func(o *poller.Options) {
			o.Policy.Mapping.CommentJournals = []string{diff.JournalComments, diff.JournalWorkNotes}
			o.Policy.Mapping.CommentTarget = diff.JournalWorkNotes
		})
		id, sysID := e.linkedPair("Work notes")
		e.after(func() {
			e.must(e.sn.AddWorkNote(snowsim.Alice, sysID, "note for the team"))
			e.must(e.fd.Comment(fdsim.Alice, id, "seen from flashduty"))
		})
		if n := e.fdComments(id, "note for the team"); n != 1 {
			t.Fatalf("work note in flashduty %d times, want 1", n)
		}
		var got string
		for _, j := range e.sn.Journal(sysID) {
			if contains(j["value"], "seen from flashduty") {
				got = j["element"]
			}
		}
		if got != "work_notes" {
			t.Fatalf("flashduty comment went to %q, want work_notes", got)
		}
		e.steady(2)
	})
}

// A comment posted to Flashduty whose answer is lost (the pair fails and
// stores nothing) is recognised by its copy on the next attempt: never
// posted twice. Likewise a ServiceNow PATCH that failed is posted once.
func TestCommentsAfterFailuresPostedOnce(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		id, sysID := e.linkedPair("Flaky comments")
		time.Sleep(5 * time.Second)
		e.must(e.fd.InjectFault(fdsim.Fault{Path: "/incident/comment", Status: 500, AfterApply: true}))
		e.must(e.sn.InjectFault(snowsim.Fault{Kind: snowsim.FaultServerError, Method: "PATCH", Count: 5}))
		e.must(e.sn.AddComment(snowsim.Alice, sysID, "posted while flaky"))
		e.must(e.fd.Comment(fdsim.Bob, id, "flashduty side while flaky"))
		time.Sleep(5 * time.Second)
		if err := e.passErr(); err == nil {
			t.Fatal("pass succeeded although both writes failed")
		}
		e.converge(10)
		e.steady(2)
		if n := e.fdComments(id, "posted while flaky"); n != 1 {
			t.Fatalf("servicenow comment in flashduty %d times, want 1", n)
		}
		if n := countJournal(e.sn.Journal(sysID), "flashduty side while flaky"); n != 1 {
			t.Fatalf("flashduty comment in servicenow %d times, want 1", n)
		}
	})
}

// A comment to be mirrored right after a create: the create lands, the
// comment's PATCH (or post) fails. The base stored with the create must not
// count the comment as handled, or it would never be mirrored.
func TestCommentAfterCreateFailurePostedOnce(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		id := e.newFD(fdsim.IncidentSpec{Title: "Commented before its partner exists", Severity: "Warning"})
		e.must(e.fd.Comment(fdsim.Bob, id, "first words"))
		sysID := e.newSN(map[string]string{"short_description": "Commented in servicenow first", "urgency": "2", "impact": "2"})
		e.must(e.sn.AddComment(snowsim.Alice, sysID, "servicenow first words"))
		time.Sleep(3 * time.Second)
		e.must(e.sn.InjectFault(snowsim.Fault{Kind: snowsim.FaultLoginPage, Method: "PATCH", Count: 1}))
		e.must(e.fd.InjectFault(fdsim.Fault{Path: "/incident/comment", Status: 500, Count: 20}))
		if err := e.passErr(); err == nil {
			t.Fatal("the pass succeeded although the comments failed")
		}
		e.sn.ClearFaults()
		e.fd.ClearFaults()
		e.converge(10)
		e.steady(2)
		if n := countJournal(e.sn.Journal(e.linkOf(id).SysID), "first words"); n != 1 {
			t.Fatalf("flashduty comment in servicenow %d times, want 1", n)
		}
		if n := e.fdComments(e.linkOfSN(sysID).IncidentID, "servicenow first words"); n != 1 {
			t.Fatalf("servicenow comment in flashduty %d times, want 1", n)
		}
	})
}
