package poller_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state/redistest"
)

// A create that failed is queued under the unlinked pair's id; when the
// pair is then linked under another id (a person linked it by hand), the
// queued retry is cleared, not retried forever.
func TestRetryOfUnlinkedPairClearedAfterAdoption(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		e.must(e.sn.InjectFault(snowsim.Fault{Kind: snowsim.FaultRateLimit, Method: "POST", RetryAfter: time.Second, Count: 4}))
		id := e.newFD(fdsim.IncidentSpec{Title: "Linked by hand", Severity: "Warning"})
		var pe *poller.PassError
		if err := e.passErr(); !errors.As(err, &pe) || pe.Failures[0].Pair != "fd:"+id {
			t.Fatalf("first pass: %v, want the create of fd:%s to fail", err, id)
		}
		if st, _ := e.store.Status(t.Context()); st.RetryQueue != 1 {
			t.Fatalf("retry queue %d, want 1", st.RetryQueue)
		}
		sysID := e.newSN(map[string]string{"short_description": "Linked by hand", "urgency": "2", "impact": "2", "correlation_id": id, "correlation_display": "Flashduty"})
		time.Sleep(20 * time.Second)
		e.settle(4)
		e.steady(2)
		if l := e.linkOf(id); l.SysID != sysID {
			t.Fatalf("linked to %s, want %s", l.SysID, sysID)
		}
		if st, _ := e.store.Status(t.Context()); st.RetryQueue != 0 || st.DeadLetters != 0 {
			t.Fatalf("retry queue %d, dead letters %d after the pair synced; want 0 and 0", st.RetryQueue, st.DeadLetters)
		}
		if e.sn.IncidentCount() != 1 {
			t.Fatalf("%d servicenow incidents, want 1", e.sn.IncidentCount())
		}
	})
}

// A pair whose write keeps failing is retried on the queue's backoff (first
// retry no sooner than 10 s, then doubling), not by every regular pass;
// once the fault stops it converges and leaves the queue. The ServiceNow
// half that did succeed is not reverted.
func TestFailingPairBacksOffAndConverges(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		id, sysID := e.linkedPair("Backoff target")
		time.Sleep(10 * time.Second)
		e.must(e.fd.InjectFault(fdsim.Fault{Path: "/incident/reset", Status: 500, Count: 1000}))
		e.must(e.fd.Ack(fdsim.Alice, id))
		e.editSN(sysID, map[string]string{"short_description": "Backoff target, renamed"})
		time.Sleep(2 * time.Second)
		start := time.Now()
		for time.Since(start) < 2*time.Minute {
			_ = e.passErr()
			time.Sleep(5 * time.Second)
		}
		due, err := e.store.Due(t.Context(), time.Now().Add(24*time.Hour), 10)
		if err != nil || len(due) != 1 {
			t.Fatalf("retry queue %+v (%v), want the one pair", due, err)
		}
		// Failures at 0, ≥10 s, ≥30 s, ≥70 s: four attempts in two minutes,
		// although 24 passes ran.
		if due[0].Attempt > 4 {
			t.Fatalf("%d attempts in two minutes of 5-second passes, want at most 4 (backoff)", due[0].Attempt)
		}
		if st := e.snowOf(sysID)["state"]; st != "2" {
			t.Fatalf("servicenow state %s, want 2 (the ack was written before the flashduty write failed)", st)
		}
		e.fd.ClearFaults()
		time.Sleep(3 * time.Minute)
		e.converge(6)
		e.steady(2)
		if fd, sn := e.fdOf(id), e.snowOf(sysID); fd.Title != "Backoff target, renamed" || fd.Progress != "Processing" || sn["state"] != "2" {
			t.Fatalf("after recovery: flashduty %q/%s, servicenow state %s", fd.Title, fd.Progress, sn["state"])
		}
		if st, _ := e.store.Status(t.Context()); st.RetryQueue != 0 || st.DeadLetters != 0 {
			t.Fatalf("retry queue %d, dead letters %d; want 0 and 0", st.RetryQueue, st.DeadLetters)
		}
	})
}

// TestDeadLetterClearsWhenPairSyncsAgain: a pair fails until it is
// dead-lettered; once the cause is gone and the pair syncs on a later
// change, its dead letter is dropped, so the count shows only pairs that
// still need an operator.
func TestDeadLetterClearsWhenPairSyncsAgain(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		id, sysID := e.linkedPair("Dead letter target")
		time.Sleep(10 * time.Second)
		e.must(e.fd.InjectFault(fdsim.Fault{Path: "/incident/reset", Status: 400, Code: "InvalidParameter", Count: 100000}))
		e.editSN(sysID, map[string]string{"short_description": "Dead letter target, renamed"})
		time.Sleep(2 * time.Second)
		for i := 0; i < 200; i++ {
			_ = e.passErr()
			if st, _ := e.store.Status(t.Context()); st.DeadLetters == 1 {
				break
			}
			time.Sleep(time.Minute)
		}
		if st, _ := e.store.Status(t.Context()); st.DeadLetters != 1 {
			t.Fatalf("dead letters %d after the retries ran out, want 1", st.DeadLetters)
		}
		e.fd.ClearFaults()
		e.editSN(sysID, map[string]string{"short_description": "Dead letter target, fixed"})
		// The pair keeps being retried with backoff after its dead letter;
		// the next retry is due within a minute.
		time.Sleep(time.Minute)
		e.pass()
		if got := e.fdOf(id).Title; got != "Dead letter target, fixed" {
			t.Fatalf("flashduty title %q after the fix", got)
		}
		if st, _ := e.store.Status(t.Context()); st.DeadLetters != 0 {
			t.Fatalf("dead letters %d after the pair synced again, want 0", st.DeadLetters)
		}
	})
}
