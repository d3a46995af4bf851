package poller_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state/redistest"
)

// snowCallsBesidesChangeFeed returns the ServiceNow requests since the last
// ResetCalls other than reads of the change feed (incident reads ordered by
// sys_updated_on), which every pass makes.
func (e *env) snowCallsBesidesChangeFeed() []string {
	e.t.Helper()
	var out []string
	for _, r := range e.sn.Requests() {
		if r.Method == "GET" && r.Path == "/api/now/table/incident" {
			v, err := url.ParseQuery(r.Query)
			if err != nil {
				e.t.Fatalf("request query %q: %v", r.Query, err)
			}
			if strings.Contains(v.Get("sysparm_query"), "ORDERBYsys_updated_on") {
				continue
			}
		}
		out = append(out, r.Method+" "+r.Path+"?"+r.Query)
	}
	return out
}

// feedChecked returns when the pair's Flashduty feed was last read, as the
// active set records it.
func (e *env) feedChecked(pairID string) time.Time {
	e.t.Helper()
	page, _, err := e.store.ActivePairs(e.t.Context(), "", 100)
	e.must(err)
	for _, a := range page {
		if a.PairID == pairID {
			return a.FeedChecked
		}
	}
	e.t.Fatalf("pair %s is not active", pairID)
	return time.Time{}
}

// quietBudgetPasses runs n passes on an unchanged world and fails if they
// read anything from ServiceNow besides the change feed, or if the feed
// budget did not read the pair's feed (and record it) every pass.
func (e *env) quietBudgetPasses(n int, pairID string) {
	e.t.Helper()
	e.sn.ResetCalls()
	e.fd.ResetCalls()
	before := e.writes()
	for range n {
		time.Sleep(7 * time.Second)
		start := time.Now()
		e.pass()
		if at := e.feedChecked(pairID); at.Before(start.Truncate(time.Second)) {
			e.t.Fatalf("feed check recorded at %v, before the pass at %v", at, start)
		}
	}
	if other := e.snowCallsBesidesChangeFeed(); len(other) != 0 {
		e.t.Fatalf("quiet budget passes called servicenow besides the change feed: %q", other)
	}
	if got := e.fd.Count("POST", "/incident/feed"); got != n {
		e.t.Fatalf("the feed budget read the feed %d times in %d passes, want %d", got, n, n)
	}
	if got := e.writes() - before; got != 0 {
		e.t.Fatalf("quiet passes wrote %d times", got)
	}
}

// A Flashduty comment that does not bump updated_at is found by the feed
// budget alone and mirrored exactly once; budget passes that find no new
// comment make no ServiceNow call besides the change feed.
func TestFeedBudgetMirrorsQuietComment(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(redis)
		w.fd.SetCommentsBumpUpdatedAt(false)
		e := w.newEnv(t)
		id, sysID := e.linkedPair("Quiet comments")
		pairID := e.linkOf(id).PairID()
		e.steady(2)
		e.quietBudgetPasses(3, pairID)
		// Snowduty's own comment is read by the budget and left alone.
		e.must(e.fd.Comment(fdsim.DefaultKeyUser, id, "written as snowduty"))
		e.quietBudgetPasses(3, pairID)

		time.Sleep(5 * time.Second)
		updated := e.fdOf(id).UpdatedAt
		e.must(e.fd.Comment(fdsim.Alice, id, "said quietly in flashduty"))
		if got := e.fdOf(id).UpdatedAt; got != updated {
			t.Fatalf("the comment moved updated_at from %d to %d: not the case under test", updated, got)
		}

		e.sn.ResetCalls()
		e.fd.ResetCalls()
		time.Sleep(5 * time.Second)
		e.pass()
		if n := countJournal(e.sn.Journal(sysID), "said quietly in flashduty"); n != 1 {
			t.Fatalf("quiet comment in servicenow %d times after the budget pass, want 1", n)
		}
		if got := e.fd.Count("POST", "/incident/feed"); got != 1 {
			t.Fatalf("the pass read the feed %d times, want 1 (read by the budget, kept for reconcile)", got)
		}

		e.steady(2)
		e.quietBudgetPasses(3, pairID)
		if n := countJournal(e.sn.Journal(sysID), "said quietly in flashduty"); n != 1 {
			t.Fatalf("quiet comment in servicenow %d times, want 1", n)
		}
		if n := countJournal(e.sn.Journal(sysID), "written as snowduty"); n != 0 {
			t.Fatalf("own comment mirrored %d times", n)
		}
	})
}

// A budget feed read that fails keeps the pair's failure: it is queued for
// retry (the feed not read a second time in the pass), and the comment
// still reaches ServiceNow once.
func TestFeedBudgetReadFailure(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(redis)
		w.fd.SetCommentsBumpUpdatedAt(false)
		w.fdOpts = func(o *flashduty.Options) { o.MaxAttempts = 1 }
		e := w.newEnv(t)
		id, sysID := e.linkedPair("Flaky feed")
		pairID := e.linkOf(id).PairID()
		e.steady(2)
		e.must(e.fd.Comment(fdsim.Bob, id, "said while the feed fails"))
		e.must(e.fd.InjectFault(fdsim.Fault{Path: "/incident/feed", Status: 500}))
		e.fd.ResetCalls()
		time.Sleep(5 * time.Second)
		err := e.passErr()
		var pe *poller.PassError
		if !errors.As(err, &pe) || len(pe.Failures) != 1 || pe.Failures[0].Pair != pairID || pe.Failures[0].Side != "flashduty" {
			t.Fatalf("pass error %v, want the pair %s failed on flashduty", err, pairID)
		}
		if got := e.fd.Count("POST", "/incident/feed"); got != 1 {
			t.Fatalf("the pass read the feed %d times, want 1", got)
		}
		st, err := e.store.Status(t.Context())
		e.must(err)
		if st.RetryQueue != 1 {
			t.Fatalf("retry queue holds %d pairs, want 1", st.RetryQueue)
		}
		e.converge(10)
		e.steady(2)
		if n := countJournal(e.sn.Journal(sysID), "said while the feed fails"); n != 1 {
			t.Fatalf("comment in servicenow %d times, want 1", n)
		}
	})
}
