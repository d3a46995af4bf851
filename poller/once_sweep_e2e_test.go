package poller_test

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/state/redistest"
)

// A deployment that runs `snowduty once` from cron every 5 seconds (a new
// process each time) with a resync every minute: comments that do not bump
// Flashduty's updated_at (and no feed budget to find them otherwise) are
// found only by the resync sweep. With RunOnce alone they never are; with
// the pass `once` runs, every one is mirrored once within the interval,
// each run carrying its slice of the sweep.
func TestCronOnceRepairsDrift(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(redis)
		w.fd.SetCommentsBumpUpdatedAt(false)
		cron := func(withResync bool) {
			e := w.newEnv(t, sweepOpts("cron"))
			run := e.p.RunOnce
			if withResync {
				run = e.p.RunOnceWithResync
			}
			if err := run(t.Context()); err != nil {
				t.Fatalf("once: %v", err)
			}
		}
		e := w.newEnv(t, sweepOpts("setup"))
		const n = 150
		ids := make([]string, n)
		for i := range ids {
			ids[i] = e.newFD(fdsim.IncidentSpec{Title: fmt.Sprintf("Cron pair %02d", i), Severity: "Warning"})
		}
		e.settle(4)
		time.Sleep(5 * time.Second)
		for i, id := range ids {
			e.must(e.fd.Comment(fdsim.Alice, id, fmt.Sprintf("quiet note %02d", i)))
		}
		mirrored := func() int { return e.mirroredOnce(ids, "quiet note %02d") }
		for range 24 { // two resync intervals of plain passes
			time.Sleep(5 * time.Second)
			cron(false)
		}
		if got := mirrored(); got != 0 {
			t.Fatalf("%d quiet comments mirrored without a sweep: the test cannot tell the sweep's work", got)
		}
		for range 12 { // one resync interval of `once` runs
			time.Sleep(5 * time.Second)
			cron(true)
		}
		if got := mirrored(); got != n {
			t.Fatalf("%d of %d quiet comments mirrored after a resync interval of cron-driven once runs", got, n)
		}
	})
}
