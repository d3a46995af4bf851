package poller_test

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state"
	"github.com/snowduty/snowduty/state/redistest"
)

// sweepOpts: 5-second polls, a resync every minute, no feed budget, so
// that only the resync sweep can find a comment that does not bump
// updated_at.
func sweepOpts(holder string) func(*poller.Options) {
	return func(o *poller.Options) {
		fast(holder)(o)
		o.FeedBudget = 0
	}
}

// The resync sweep is carried out a slice at a time by the Flashduty
// passes (60 pairs, 6 passes in half a minute: slices of 10), so it never
// stalls them: an edit made during the sweep arrives by the next pass. It
// finds every quiet comment exactly once, finishes within half its
// interval, and a restart continues the schedule instead of starting
// another sweep.
func TestResyncSweepSpreadsOverPasses(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(redis)
		w.fd.SetCommentsBumpUpdatedAt(false)
		e := w.newEnv(t, sweepOpts("sweeper"))
		const n = 60
		ids := make([]string, n)
		for i := range ids {
			ids[i] = e.newFD(fdsim.IncidentSpec{Title: fmt.Sprintf("Swept %02d", i), Severity: "Warning"})
		}
		e.settle(4)
		time.Sleep(5 * time.Second)
		for i, id := range ids {
			e.must(e.fd.Comment(fdsim.Alice, id, fmt.Sprintf("quiet remark %02d", i)))
		}
		mirrored := func() int { return e.mirroredOnce(ids, "quiet remark %02d") }
		if got := mirrored(); got != 0 {
			t.Fatalf("%d quiet comments mirrored before the daemon ran", got)
		}

		e.fd.ResetCalls()
		stop := e.start()
		time.Sleep(6 * time.Second) // the start-up passes and one scheduled pass
		if got, reads := mirrored(), e.fd.Count("POST", "/incident/feed"); got > 20 || reads > 20 {
			t.Fatalf("after two passes the sweep mirrored %d comments with %d feed reads, want slices of 10", got, reads)
		}
		sw, err := e.store.Sweep(t.Context())
		if err != nil || !sw.Running {
			t.Fatalf("sweep after start-up = %+v %v, want running", sw, err)
		}
		started := sw.Started

		// An edit during the sweep waits for no more than the next pass.
		e.must(e.fd.EditIncident(fdsim.Alice, ids[n-1], fdsim.Edit{Title: ptr("Edited during the sweep")}))
		time.Sleep(6 * time.Second)
		if got := e.snowOf(e.linkOf(ids[n-1]).SysID)["short_description"]; got != "Edited during the sweep" {
			t.Fatalf("short_description = %q one pass after the edit, during the sweep", got)
		}

		time.Sleep(25 * time.Second) // half the resync interval, plus a pass
		if got := mirrored(); got != n {
			t.Fatalf("%d of %d quiet comments mirrored after half the resync interval", got, n)
		}
		if sw, err := e.store.Sweep(t.Context()); err != nil || sw.Running || !sw.Started.Equal(started) {
			t.Fatalf("sweep = %+v %v, want done, started at %v", sw, err, started)
		}
		if metricValue(t, e, "snowduty_resync_completed_timestamp_seconds") == 0 {
			t.Fatal("no sweep completion in the metrics")
		}
		stop()

		// A restart within the interval starts no sweep: nothing is read.
		e2 := w.newEnv(t, sweepOpts("sweeper"))
		e.fd.ResetCalls()
		stop = e2.start()
		time.Sleep(20 * time.Second)
		if sw, err := e2.store.Sweep(t.Context()); err != nil || sw.Running || !sw.Started.Equal(started) {
			t.Fatalf("sweep after a restart = %+v %v, want the last one, not a new one", sw, err)
		}
		if got := e.fd.Count("POST", "/incident/feed"); got != 0 {
			t.Fatalf("%d feed reads after a restart with nothing to do, want 0", got)
		}
		// The schedule's next tick (a minute after the restart) starts one.
		time.Sleep(45 * time.Second)
		sw, err = e2.store.Sweep(t.Context())
		stop()
		if err != nil || !sw.Started.After(started) {
			t.Fatalf("sweep a minute after the restart = %+v %v, want a new one", sw, err)
		}
		if got := mirrored(); got != n {
			t.Fatalf("%d quiet comments after the second sweep, want %d (each once)", got, n)
		}
	})
}

// A sweep over an empty active set ends at once; the state keeps when.
func TestResyncSweepOfNothing(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t, sweepOpts("empty"))
		stop := e.start()
		time.Sleep(11 * time.Second)
		stop()
		sw, err := e.store.Sweep(t.Context())
		if err != nil || sw.Running || sw.Started.IsZero() || sw == (state.Sweep{}) {
			t.Fatalf("sweep over nothing = %+v %v, want started and done", sw, err)
		}
	})
}

// A sweep that outlasts its interval (here the Flashduty passes run
// hourly) is continued, not restarted, and the operator is told.
func TestResyncSweepOutlastingItsInterval(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(redis)
		e := w.newEnv(t, sweepOpts("slow"))
		for i := range 30 {
			e.newFD(fdsim.IncidentSpec{Title: fmt.Sprintf("Slow sweep %02d", i), Severity: "Info"})
		}
		e.settle(4)
		slow := w.newEnv(t, sweepOpts("slow"), func(o *poller.Options) { o.Schedules.Flashduty = "@every 1h" })
		stop := slow.start()
		time.Sleep(5 * time.Second) // the start-up passes: the sweep starts (a slice of 10 may be done)
		first, err := slow.store.Sweep(t.Context())
		if err != nil || !first.Running {
			t.Fatalf("sweep after start-up = %+v %v, want running", first, err)
		}
		time.Sleep(61 * time.Second) // the resync tick, with no Flashduty pass in between
		stop()
		again, err := slow.store.Sweep(t.Context())
		if err != nil || again != first {
			t.Fatalf("sweep after its interval = %+v %v, want the same one continued: %+v", again, err, first)
		}
		if !contains(slow.logs.String(), "outlasted its interval") {
			t.Fatal("no warning that the sweep outlasted its interval")
		}
	})
}

// mirroredOnce counts the Flashduty incidents (ids) whose comment
// fmt.Sprintf(format, i) reached their ServiceNow partner; a comment there
// twice fails the test.
func (e *env) mirroredOnce(ids []string, format string) (total int) {
	e.t.Helper()
	for i, id := range ids {
		switch c := countJournal(e.sn.Journal(e.linkOf(id).SysID), fmt.Sprintf(format, i)); c {
		case 0:
		case 1:
			total++
		default:
			e.t.Fatalf("%q mirrored %d times", fmt.Sprintf(format, i), c)
		}
	}
	return total
}
