package poller_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state"
	"github.com/snowduty/snowduty/state/redistest"
)

// cursorOpts are the daemon's defaults for the change-feed cursor (the
// harness shrinks them).
func cursorOpts(o *poller.Options) { o.Overlap, o.Lag = 5*time.Second, 2*time.Second }

// updatedOn parses a ServiceNow sys_updated_on.
func updatedOn(t *testing.T, v string) time.Time {
	t.Helper()
	at, err := time.Parse(time.DateTime, v)
	if err != nil {
		t.Fatalf("sys_updated_on %q: %v", v, err)
	}
	return at
}

// An idle pass moves the cursor on to ServiceNow's clock minus Lag (not
// further), and a row committed late, whose sys_updated_on is older than
// that cursor but inside the Overlap the next pass re-reads, is still
// synced: moving the cursor when nothing changed skips no row.
func TestLateRowBehindIdleCursorIsRead(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t, cursorOpts)
		early := e.newSN(map[string]string{"short_description": "Early", "urgency": "2", "impact": "2"})
		time.Sleep(3 * time.Second)
		e.settle(6)
		e.linkOfSN(early)
		time.Sleep(time.Minute)
		e.pass()

		// The late row: updated now, but not visible (still committing)
		// when the next pass reads the feed.
		late := e.newSN(map[string]string{"short_description": "Committed late", "urgency": "2", "impact": "2"})
		e.must(e.sn.Hide("incident", late))
		at := updatedOn(t, e.snowOf(late)["sys_updated_on"])
		time.Sleep(6 * time.Second) // past Overlap, within Overlap+Lag

		e.sn.ResetCalls()
		clock := e.sn.Now()
		e.pass()
		if n := e.changeFeedReads(); n != 1 {
			t.Fatalf("idle pass read the change feed %d times, want 1", n)
		}
		cur := e.cursors().ServiceNow
		if want := clock.Add(-2 * time.Second); !cur.UpdatedOn.Equal(want) || cur.SysID != "" {
			t.Fatalf("cursor after an idle pass at %v is %v/%q, want %v (clock minus Lag)", clock, cur.UpdatedOn, cur.SysID, want)
		}
		if !cur.UpdatedOn.After(at) {
			t.Fatalf("cursor %v is not past the late row's sys_updated_on %v: the test proves nothing", cur.UpdatedOn, at)
		}
		if _, ok, err := e.store.LinkBySysID(t.Context(), late); err != nil || ok {
			t.Fatalf("hidden row linked (ok %v, err %v)", ok, err)
		}

		// It commits; the next pass re-reads Overlap behind the cursor.
		e.must(e.sn.Unhide("incident", late))
		time.Sleep(30 * time.Second)
		e.pass()
		e.linkOfSN(late)
		if got := e.fdCreates(); got != 2 {
			t.Fatalf("%d flashduty creates, want 2", got)
		}
		prev := e.cursors().ServiceNow
		for range 3 {
			time.Sleep(30 * time.Second)
			clock := e.sn.Now()
			e.pass()
			cur := e.cursors().ServiceNow
			if cur.UpdatedOn.Before(prev.UpdatedOn) || cur.UpdatedOn.After(clock.Add(-2*time.Second)) {
				t.Fatalf("idle cursor went from %v to %v at clock %v", prev.UpdatedOn, cur.UpdatedOn, clock)
			}
			prev = cur
		}
	})
}

// A pass that fails on a later page of the change feed keeps the cursor
// at the last page it processed: it neither moves on to ServiceNow's clock
// nor past the unread rows, which the next pass then syncs.
func TestFailedPageKeepsCursorAtLastProcessedRow(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(redis)
		ft := &feedFault{left: -1}
		w.snOpts = func(o *servicenow.Options) { ft.next, o.Transport = o.Transport, ft }
		e := w.newEnv(t, cursorOpts, func(o *poller.Options) { o.PageSize = 1 })
		a := e.newSN(map[string]string{"short_description": "A", "urgency": "2", "impact": "2"})
		b := e.newSN(map[string]string{"short_description": "B", "urgency": "2", "impact": "2"})
		time.Sleep(3 * time.Second)
		e.settle(6)
		time.Sleep(time.Minute)
		e.pass()
		start := e.cursors().ServiceNow

		e.editSN(a, map[string]string{"urgency": "1"})
		time.Sleep(time.Second)
		e.editSN(b, map[string]string{"urgency": "1"})
		time.Sleep(10 * time.Second)
		ft.failAfter(1)
		if err := e.passErr(); err == nil {
			t.Fatal("pass succeeded although its second change-feed page failed")
		}
		first := state.SNCursor{UpdatedOn: updatedOn(t, e.snowOf(a)["sys_updated_on"]), SysID: a}
		if cur := e.cursors().ServiceNow; !cur.UpdatedOn.Equal(first.UpdatedOn) || cur.SysID != first.SysID {
			t.Fatalf("cursor after a failed second page is %v/%q, want the first page's row %v/%q (started from %v)", cur.UpdatedOn, cur.SysID, first.UpdatedOn, first.SysID, start.UpdatedOn)
		}
		if e.fdOf(e.linkOfSN(b).IncidentID).Severity == "Critical" {
			t.Fatal("the unread row was synced")
		}

		ft.failAfter(-1)
		time.Sleep(30 * time.Second)
		e.pass()
		if sev := e.fdOf(e.linkOfSN(b).IncidentID).Severity; sev != "Critical" {
			t.Fatalf("B's severity %q after recovery, want Critical", sev)
		}
		if cur := e.cursors().ServiceNow; !cur.UpdatedOn.Equal(e.sn.Now().Add(-2 * time.Second)) {
			t.Fatalf("cursor %v after a complete pass, want the clock %v minus Lag", cur.UpdatedOn, e.sn.Now())
		}
	})
}

// changeFeedReads counts the change feed reads (incident reads ordered by
// sys_updated_on) since the last ResetCalls.
func (e *env) changeFeedReads() int {
	n := 0
	for _, r := range e.sn.Requests() {
		if r.Method == http.MethodGet && r.Path == "/api/now/table/incident" && strings.Contains(r.Query, "ORDERBYsys_updated_on") {
			n++
		}
	}
	return n
}

// feedFault fails change-feed reads once a given number of them went
// through (per arming).
type feedFault struct {
	next http.RoundTripper
	mu   sync.Mutex
	left int // reads still allowed; negative means no limit
}

// failAfter lets n more change-feed reads through and fails the rest; a
// negative n lets all through.
func (f *feedFault) failAfter(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.left = n
}

// RoundTrip implements http.RoundTripper.
func (f *feedFault) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && r.URL.Path == "/api/now/table/incident" && strings.Contains(r.URL.Query().Get("sysparm_query"), "ORDERBYsys_updated_on") {
		f.mu.Lock()
		fail := f.left == 0
		if f.left > 0 {
			f.left--
		}
		f.mu.Unlock()
		if fail {
			return nil, errors.New("injected change feed failure")
		}
	}
	return f.next.RoundTrip(r)
}
