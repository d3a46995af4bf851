package loadtest

import (
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/state/redistest"
)

// Once changes stop, a pass reads one empty page of ServiceNow's change
// feed: the cursor moves on with ServiceNow's clock (minus Lag) instead of
// staying at the last row read, which made every idle pass re-read the
// last burst (all rows in the Overlap window before it).
func TestIdlePassReadsChangeFeedOnce(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, redis)
		p := w.newPoller(t, daemonOptions{inProcess: true})
		if _, err := w.sn.CreateIncidents(snowsim.Bob, 300, map[string]string{"urgency": "2", "impact": "2"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		w.settle(t, t.Context(), p, 10)
		lastChange := lastSnowChange(t, w.sn)
		// Long quiet: nothing changes while the daemon keeps polling on
		// its default schedule (@every 30s).
		for range 20 {
			time.Sleep(30 * time.Second)
			if err := p.RunOnce(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(30 * time.Second)
		w.sn.ResetCalls()
		if err := p.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		feed := changeFeedReads(t, w.sn)
		if len(feed) != 1 {
			t.Fatalf("an idle pass 10 minutes after the last change read the change feed %d times, want 1: %q", len(feed), feed)
		}
		// Not just one page: an empty one, whose window starts after the
		// last change (it read none of the burst again).
		from, ok := feedStart(feed[0])
		if !ok {
			t.Fatalf("change feed query %q has no lower bound on sys_updated_on", feed[0])
		}
		if !from.After(lastChange) {
			t.Fatalf("idle pass read the change feed from %v, at or before the last change at %v", from, lastChange)
		}
		if got := w.sn.Count("GET", "/api/now/table/incident") - len(feed); got != 0 {
			// The Flashduty side's feed budget reads ServiceNow only for a
			// pair whose feed holds a comment to mirror: none here.
			t.Fatalf("idle pass made %d incident table reads besides the change feed, want none", got)
		}
	})
}

// lastSnowChange is the latest sys_updated_on of any incident.
func lastSnowChange(t testing.TB, sn *snowsim.Server) time.Time {
	t.Helper()
	var last time.Time
	for _, inc := range sn.Dump().Incidents {
		at, err := time.Parse(time.DateTime, inc["sys_updated_on"])
		if err != nil {
			t.Fatalf("incident %s: sys_updated_on: %v", inc["sys_id"], err)
		}
		if at.After(last) {
			last = at
		}
	}
	return last
}

// changeFeedReads returns the encoded queries of the change feed reads
// (incident reads ordered by sys_updated_on) since the last ResetCalls.
func changeFeedReads(t testing.TB, sn *snowsim.Server) []string {
	t.Helper()
	var out []string
	for _, r := range sn.Requests() {
		if r.Method != "GET" || r.Path != "/api/now/table/incident" {
			continue
		}
		v, err := url.ParseQuery(r.Query)
		if err != nil {
			t.Fatalf("request query %q: %v", r.Query, err)
		}
		if q := v.Get("sysparm_query"); strings.Contains(q, "ORDERBYsys_updated_on") {
			out = append(out, q)
		}
	}
	return out
}

// feedStart returns the lower bound a change feed query puts on
// sys_updated_on (">=" or ">").
func feedStart(query string) (time.Time, bool) {
	for tok := range strings.SplitSeq(query, "^") {
		for _, op := range []string{">=", ">"} {
			if v, ok := strings.CutPrefix(tok, "sys_updated_on"+op); ok {
				at, err := time.Parse(time.DateTime, v)
				return at, err == nil
			}
		}
	}
	return time.Time{}, false
}
