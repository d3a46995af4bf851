package poller_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/state/redistest"
)

// TestPartialWriteKeepsLaterEdit: a pass writes ServiceNow's new title to
// Flashduty, then a later call of the same plan (the ack) fails. Someone
// then edits the title in Flashduty, and ServiceNow is updated after that.
// The title written by snowduty must count as synced (a partial base is
// stored), so the person's newer Flashduty title wins — not a "conflict"
// decided by which incident was updated last.
func TestPartialWriteKeepsLaterEdit(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		id, sysID := e.linkedPair("original title")
		time.Sleep(10 * time.Second)

		e.editSN(sysID, map[string]string{"short_description": "title from servicenow", "state": "2"})
		time.Sleep(3 * time.Second)
		e.fd.InjectFault(fdsim.Fault{Endpoint: "/incident/ack", Status: 500, Count: 50})
		if err := e.passErr(); err == nil {
			t.Fatal("the pass succeeded although every ack failed")
		}
		if got := e.fdOf(id); got.Title != "title from servicenow" || got.Progress != "Triggered" {
			t.Fatalf("after the failed pass flashduty has title %q, progress %s; want the new title and no ack", got.Title, got.Progress)
		}
		e.fd.ClearFaults()

		time.Sleep(2 * time.Second)
		e.must(e.fd.EditIncident(fdsim.AliceID, id, fdsim.Edit{Title: ptr("title from flashduty")}))
		time.Sleep(2 * time.Second)
		e.editSN(sysID, map[string]string{"description": "edited later in servicenow"})
		time.Sleep(time.Minute) // past the failed pair's retry delay
		e.settle(6)

		if sn, fd := e.snowOf(sysID)["short_description"], e.fdOf(id).Title; sn != "title from flashduty" || fd != "title from flashduty" {
			t.Fatalf("titles: servicenow %q, flashduty %q; want the newer flashduty edit on both", sn, fd)
		}
		if got := e.fdOf(id); got.Progress != "Processing" || got.Description != "edited later in servicenow" {
			t.Fatalf("flashduty progress %s, description %q; want the ack and the servicenow description", got.Progress, got.Description)
		}
		e.steady(2)
	})
}
