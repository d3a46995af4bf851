package poller_test

import (
	"context"
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
		e.must(e.fd.InjectFault(fdsim.Fault{Path: "/incident/ack", Status: 500, Count: 50}))
		if err := e.passErr(); err == nil {
			t.Fatal("the pass succeeded although every ack failed")
		}
		if got := e.fdOf(id); got.Title != "title from servicenow" || got.Progress != "Triggered" {
			t.Fatalf("after the failed pass flashduty has title %q, progress %s; want the new title and no ack", got.Title, got.Progress)
		}
		e.fd.ClearFaults()

		time.Sleep(2 * time.Second)
		e.must(e.fd.EditIncident(fdsim.Alice, id, fdsim.Edit{Title: ptr("title from flashduty")}))
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

// TestKilledBatchKeepsFinishedPairsBase: a pass writes two pairs' new
// titles to Flashduty; one write lands, the other hangs, and the process
// dies (the pass is cancelled) before the batch is recorded. The pair whose
// write landed must already have its new base: a person's later Flashduty
// edit of that title then wins, instead of meeting our own earlier write as
// a "conflict" that ServiceNow's newer update would win.
func TestKilledBatchKeepsFinishedPairsBase(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		idA, sysA := e.linkedPair("first pair")
		idB, sysB := e.linkedPair("second pair")
		time.Sleep(10 * time.Second)
		e.editSN(sysA, map[string]string{"short_description": "first pair, from servicenow"})
		e.editSN(sysB, map[string]string{"short_description": "second pair, from servicenow"})
		time.Sleep(3 * time.Second)
		e.must(e.fd.InjectFault(fdsim.Fault{Path: "/incident/reset", Delay: time.Hour}))
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(5*time.Second, cancel) // the process dies mid-batch
		if err := e.p.RunOnce(ctx); err == nil {
			t.Fatal("the cancelled pass reported success")
		}
		e.fd.ClearFaults()
		landed, sys, id := "", "", ""
		for _, c := range []struct{ id, sys, title string }{{idA, sysA, "first pair, from servicenow"}, {idB, sysB, "second pair, from servicenow"}} {
			if e.fdOf(c.id).Title == c.title {
				landed, sys, id = c.title, c.sys, c.id
			}
		}
		if landed == "" {
			t.Fatal("neither write landed before the cancel")
		}
		time.Sleep(2 * time.Second)
		e.must(e.fd.EditIncident(fdsim.Alice, id, fdsim.Edit{Title: ptr("retitled in flashduty")}))
		time.Sleep(2 * time.Second)
		e.editSN(sys, map[string]string{"description": "edited later in servicenow"})
		time.Sleep(time.Minute)
		e.converge(8)
		if sn, fd := e.snowOf(sys)["short_description"], e.fdOf(id).Title; sn != "retitled in flashduty" || fd != sn {
			t.Fatalf("titles: servicenow %q, flashduty %q; want the later flashduty edit on both", sn, fd)
		}
	})
}
