package servicenow

import (
	"strings"
	"testing"
	"time"

	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

// drain pages through the feed from the start and returns every sys_id in
// order, the pages and the number of pages that came back short.
func drain(t *testing.T, e *env, q ChangeQuery) (ids []string, pages []ChangePage) {
	t.Helper()
	for range 1000 {
		p, err := e.c.Changes(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
		for _, inc := range p.Incidents {
			ids = append(ids, inc.SysID)
		}
		if !p.More {
			return ids, pages
		}
		q.After = p.Next
	}
	t.Fatal("feed did not end")
	return nil, nil
}

func exactlyOnce(t *testing.T, got, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	for _, id := range want {
		if seen[id] != 1 {
			t.Errorf("%s seen %d times", id, seen[id])
		}
		delete(seen, id)
	}
	if len(seen) > 0 {
		t.Errorf("unexpected rows: %v", seen)
	}
}

func TestChangesManyRowsInOneSecond(t *testing.T) {
	e := newEnv(t, snowsim.Options{})
	ids, err := e.sim.CreateIncidents(snowsim.Alice, 250, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, pages := drain(t, e, ChangeQuery{PageSize: 50})
	exactlyOnce(t, got, ids)
	for _, p := range pages {
		if len(p.Incidents) > 50 {
			t.Fatalf("page of %d rows exceeds the page size", len(p.Incidents))
		}
		if !p.ServerTime.Equal(t0) {
			t.Fatalf("server time %v, want the simulator's %v", p.ServerTime, t0)
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("rows out of (sys_updated_on, sys_id) order at %d", i)
		}
	}
	for _, r := range e.sim.Requests() {
		if strings.Contains(r.Query, "sysparm_offset") || strings.Contains(r.Query, "%5ENQ") {
			t.Fatalf("feed used offset paging or ^NQ: %s", r.Query)
		}
		if !strings.Contains(r.Query, "sysparm_display_value=false") || !strings.Contains(r.Query, "sysparm_exclude_reference_link=true") {
			t.Fatalf("feed did not ask for raw values: %s", r.Query)
		}
	}
	if n := len(e.sim.Requests()); n > 7 {
		t.Fatalf("%d requests for 250 rows in pages of 50", n)
	}
}

func TestChangesShortPageFromACLDoesNotEndFeed(t *testing.T) {
	e := newEnv(t, snowsim.Options{})
	var visible []string
	for i := range 40 {
		e.sim.Advance(time.Second)
		r, _ := e.sim.CreateIncident(snowsim.Alice, map[string]string{"short_description": "x"})
		// Rows 5..24 (a run longer than several pages) and every 7th row
		// are hidden from the integration user.
		if (i >= 5 && i < 25) || i%7 == 0 {
			if err := e.sim.Hide("incident", r["sys_id"]); err != nil {
				t.Fatal(err)
			}
			continue
		}
		visible = append(visible, r["sys_id"])
	}
	got, pages := drain(t, e, ChangeQuery{PageSize: 4})
	exactlyOnce(t, got, visible)
	short := 0
	for _, p := range pages[:len(pages)-1] {
		if len(p.Incidents) < 4 {
			short++
		}
	}
	if short == 0 {
		t.Fatal("no short page happened; the test does not test anything")
	}
}

func TestChangesSeesRowsUpdatedWhilePaging(t *testing.T) {
	e := newEnv(t, snowsim.Options{})
	var ids []string
	for range 12 {
		e.sim.Advance(time.Second)
		x, _ := e.sim.CreateIncidents(snowsim.Bob, 3, nil)
		ids = append(ids, x...)
	}
	q := ChangeQuery{PageSize: 5}
	p, err := e.c.Changes(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, inc := range p.Incidents {
		seen[inc.SysID] = inc.SysModCount
	}
	// A person edits a row already read and one not yet read.
	e.sim.Advance(time.Minute)
	first, last := p.Incidents[0].SysID, ids[len(ids)-1]
	_ = e.sim.AddComment(snowsim.Alice, first, "later")
	_ = e.sim.AddComment(snowsim.Alice, last, "later")
	q.After = p.Next
	rest, _ := drain(t, e, q)
	var all []string
	for id := range seen {
		all = append(all, id)
	}
	all = append(all, rest...)
	// Every row seen, the edited-and-already-read one twice (its new
	// version), nothing else repeated.
	count := map[string]int{}
	for _, id := range all {
		count[id]++
	}
	for _, id := range ids {
		want := 1
		if id == first {
			want = 2
		}
		if count[id] != want {
			t.Errorf("%s seen %d times, want %d", id, count[id], want)
		}
	}
}

func TestChangesOverlapBeforeAndScope(t *testing.T) {
	e := newEnv(t, snowsim.Options{})
	a, _ := e.sim.CreateIncident(snowsim.Alice, map[string]string{"short_description": "a", "impact": "1", "urgency": "1"})
	e.sim.Advance(time.Second)
	b, _ := e.sim.CreateIncident(snowsim.Alice, map[string]string{"short_description": "b"})
	e.sim.Advance(time.Second)
	c, _ := e.sim.CreateIncident(snowsim.Alice, map[string]string{"short_description": "c", "impact": "1", "urgency": "1"})
	at := func(r map[string]string) time.Time { tm, _ := ParseTime(r["sys_updated_on"]); return tm }

	// An empty SysID re-reads the cursor's second (overlap).
	got, _ := drain(t, e, ChangeQuery{After: Cursor{UpdatedOn: at(b)}})
	exactlyOnce(t, got, []string{b["sys_id"], c["sys_id"]})
	// With a SysID, the cursor row itself is not repeated.
	got, _ = drain(t, e, ChangeQuery{After: Cursor{UpdatedOn: at(b), SysID: b["sys_id"]}})
	exactlyOnce(t, got, []string{c["sys_id"]})
	// Before keeps rows of the current second out.
	got, _ = drain(t, e, ChangeQuery{Before: at(c)})
	exactlyOnce(t, got, []string{a["sys_id"], b["sys_id"]})
	// Scope is ANDed in; extra columns land in Columns.
	p, err := e.c.Changes(t.Context(), ChangeQuery{Scope: "priority=1^ORpriority=2", Columns: []string{"caller_id", "opened_at"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Incidents) != 2 || p.Incidents[0].SysID != a["sys_id"] || p.Incidents[1].SysID != c["sys_id"] || p.More {
		t.Fatalf("scoped page = %+v", p)
	}
	inc := p.Incidents[0]
	if inc.Columns["opened_at"] != a["opened_at"] || inc.Priority != "1" || inc.SysModCount != 0 || !inc.SysCreatedOn.Equal(t0) {
		t.Fatalf("incident = %+v", inc)
	}
	if _, ok := inc.Columns["caller_id"]; !ok {
		t.Fatal("extra column caller_id missing")
	}
}

func TestChangesRejectsHostileInput(t *testing.T) {
	e := newEnv(t, snowsim.Options{})
	bad := []ChangeQuery{
		{Scope: "active=true^NQactive=false"},
		{Scope: "NQactive=false"},
		{Scope: "ORactive=false"},
		{Scope: "active=true^ORDERBYnumber"},
		{Scope: "active=true^EQ"},
		{Scope: "active=true^^priority=1"},
		{Scope: "active=true^"},
		{Scope: "active=true^RLQUERYsys_journal_field.element_id,>=1^ENDRLQUERY"},
		{After: Cursor{UpdatedOn: t0, SysID: "x^NQactive=true"}},
		{Columns: []string{"number^NQ"}},
		{PageSize: MaxPageSize + 1},
	}
	for _, q := range bad {
		if _, err := e.c.Changes(t.Context(), q); err == nil {
			t.Errorf("Changes(%+v) accepted hostile input", q)
		}
	}
	if _, err := e.c.FindByCorrelationIDs(t.Context(), []string{"fd-1^NQactive=true"}); err == nil {
		t.Error("correlation id with ^NQ accepted")
	}
	if _, err := e.c.FindByCorrelationIDs(t.Context(), []string{"a,b"}); err == nil {
		t.Error("correlation id with a comma accepted")
	}
	if _, err := e.c.GetMany(t.Context(), []string{"0123456789abcdef0123456789abcde^"}, nil); err == nil {
		t.Error("bad sys_id accepted")
	}
	if _, err := e.c.Update(t.Context(), "0123456789abcdef0123456789abcdef", map[string]string{"state^NQ": "1"}); err == nil {
		t.Error("bad field name accepted")
	}
	if n := len(e.sim.Requests()); n != 0 {
		t.Fatalf("hostile input reached the instance: %d requests", n)
	}
}

func TestChangesTenThousandIncidents(t *testing.T) {
	e := newEnv(t, snowsim.Options{})
	var want []string
	for range 100 {
		e.sim.Advance(time.Second)
		ids, _ := e.sim.CreateIncidents(snowsim.Alice, 100, nil)
		want = append(want, ids...)
	}
	start := time.Now()
	got, pages := drain(t, e, ChangeQuery{PageSize: 100})
	t.Logf("10,000 incidents in %d pages: %v", len(pages), time.Since(start))
	exactlyOnce(t, got, want)
}
