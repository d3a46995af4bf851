package poller_test

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/state/redistest"
)

func TestEndToEndStory(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(redis)
		e := w.newEnv(t)

		// A Flashduty incident becomes a ServiceNow incident, once.
		inc, err := e.fd.CreateIncident(fdsim.IncidentSpec{Title: "Checkout latency above SLO", Description: "p99 > 2s for 10 minutes", Severity: "Critical", ChannelID: fdsim.OpsChannelID})
		if err != nil {
			t.Fatal(err)
		}
		e.settle(4)
		l := e.linkOf(inc.IncidentID)
		sn := e.snowOf(l.SysID)
		if sn["short_description"] != "Checkout latency above SLO" || sn["urgency"] != "1" || sn["impact"] != "1" || sn["correlation_id"] != inc.IncidentID || sn["correlation_display"] != "Flashduty" {
			t.Fatalf("servicenow incident = %v", sn)
		}
		if n := e.sn.IncidentCount(); n != 1 {
			t.Fatalf("%d servicenow incidents, want 1", n)
		}

		// Echo-free steady state: more passes write nothing at all.
		before := e.writes()
		for range 3 {
			time.Sleep(10 * time.Second)
			e.pass()
		}
		if got := e.writes(); got != before {
			t.Fatalf("steady state made %d write calls", got-before)
		}

		// A ServiceNow comment and an urgency change reach Flashduty.
		if err := e.sn.AddComment(snowsim.Alice, l.SysID, "Rolled back release 42"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.sn.UpdateIncident(snowsim.Alice, l.SysID, map[string]string{"urgency": "2"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		e.settle(4)
		fd := e.fdOf(inc.IncidentID)
		if fd.Severity != "Warning" {
			t.Fatalf("flashduty severity = %s, want Warning", fd.Severity)
		}
		feed, _ := e.fd.Feed(inc.IncidentID)
		if n := countComments(feed, "Rolled back release 42"); n != 1 {
			t.Fatalf("comment mirrored %d times, want 1", n)
		}

		// A Flashduty comment reaches ServiceNow, once, and is not echoed.
		if err := e.fd.Comment(fdsim.Alice, inc.IncidentID, "Error rate back to normal"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		e.settle(4)
		if n := countJournal(e.sn.Journal(l.SysID), "Error rate back to normal"); n != 1 {
			t.Fatalf("flashduty comment in servicenow %d times, want 1", n)
		}
		feed, _ = e.fd.Feed(inc.IncidentID)
		if n := countComments(feed, "Error rate back to normal"); n != 1 {
			t.Fatalf("flashduty comment echoed back: %d copies", n)
		}

		// On Hold in ServiceNow snoozes Flashduty.
		if _, err := e.sn.UpdateIncident(snowsim.Alice, l.SysID, map[string]string{"state": "3", "hold_reason": "1"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		e.settle(4)
		if fd := e.fdOf(inc.IncidentID); fd.SnoozedBefore <= time.Now().Unix() {
			t.Fatalf("flashduty not snoozed: %+v", fd)
		}

		// Closing in Flashduty resolves ServiceNow with close code and notes.
		if err := e.fd.Close(fdsim.Alice, inc.IncidentID, "bad deploy", "Rolled back"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		e.settle(4)
		sn = e.snowOf(l.SysID)
		if sn["state"] != "6" || sn["close_code"] == "" || sn["close_notes"] != "Rolled back" {
			t.Fatalf("servicenow after close: state %s close_code %q close_notes %q", sn["state"], sn["close_code"], sn["close_notes"])
		}
		if n := e.sn.IncidentCount(); n != 1 {
			t.Fatalf("%d servicenow incidents, want 1", n)
		}
		if strings.Contains(e.logs.String(), snowsim.DefaultPassword) || strings.Contains(e.logs.String(), e.fd.AppKey()) {
			t.Fatal("a secret reached the logs")
		}
	})
}

func countComments(feed []fdsim.FeedItem, text string) int {
	n := 0
	for _, it := range feed {
		if it.Type == "i_comm" && strings.Contains(feedComment(it), text) {
			n++
		}
	}
	return n
}

func countJournal(entries []map[string]string, text string) int {
	n := 0
	for _, e := range entries {
		if strings.Contains(e["value"], text) {
			n++
		}
	}
	return n
}

// feedComment extracts the text of an i_comm entry.
func feedComment(it fdsim.FeedItem) string {
	var d struct {
		Comment string `json:"comment"`
	}
	_ = json.Unmarshal(it.Detail, &d)
	return d.Comment
}
