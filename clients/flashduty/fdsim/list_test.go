package fdsim

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

func window(from, to time.Time, extra map[string]any) map[string]any {
	m := map[string]any{"start_time": from.Unix(), "end_time": to.Unix()}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func TestListWindowRules(t *testing.T) {
	s := newTestServer(t, Options{})
	day := 24 * time.Hour
	tests := []struct {
		name string
		body any
		ok   bool
	}{
		{"no window", map[string]any{}, false},
		{"only start", map[string]any{"start_time": t0.Unix()}, false},
		{"end before start", window(t0, t0.Add(-time.Hour), nil), false},
		{"31 days", window(t0.Add(-31*day), t0, nil), true},
		{"31 days and a second", window(t0.Add(-31*day-time.Second), t0, nil), false},
		{"limit 100", window(t0.Add(-day), t0, map[string]any{"limit": 100}), true},
		{"limit 101", window(t0.Add(-day), t0, map[string]any{"limit": 101}), false},
		{"offset 10000", window(t0.Add(-day), t0, map[string]any{"limit": 100, "p": 100}), true},
		{"offset past 10000", window(t0.Add(-day), t0, map[string]any{"limit": 100, "p": 101}), false},
		{"unknown cursor", window(t0.Add(-day), t0, map[string]any{"search_after_ctx": "nope"}), false},
	}
	for _, tt := range tests {
		a := post(t, s, "/incident/list", tt.body)
		if tt.ok {
			a.ok(t, nil)
		} else if a.Status != http.StatusBadRequest || a.code() != "InvalidParameter" || a.Env.Error.Message == "" {
			t.Errorf("%s: HTTP %d %s; want 400 InvalidParameter with a message", tt.name, a.Status, a.Raw)
		}
	}
}

type listPage struct {
	Items          []Incident `json:"items"`
	Total          int        `json:"total"`
	HasNextPage    bool       `json:"has_next_page"`
	SearchAfterCtx string     `json:"search_after_ctx"`
}

func TestListFiltersSortsAndCapsTotal(t *testing.T) {
	s := newTestServer(t, Options{})
	var ids []string
	for i := range 1200 {
		ch := OpsChannelID
		if i%2 == 1 {
			ch = ProdChannelID
		}
		inc := mustCreate(t, s, IncidentSpec{Title: fmt.Sprintf("disk full [%d]", i), ChannelID: ch, StartTime: t0.Add(-time.Duration(i) * time.Minute)})
		ids = append(ids, inc.IncidentID)
	}
	outside := mustCreate(t, s, IncidentSpec{Title: "too old", StartTime: t0.Add(-40 * 24 * time.Hour)})
	win := func(extra map[string]any) map[string]any { return window(t0.Add(-30*24*time.Hour), t0, extra) }

	var p listPage
	post(t, s, "/incident/list", win(map[string]any{"limit": 100})).ok(t, &p)
	if p.Total != 1000 || !p.HasNextPage || len(p.Items) != 100 {
		t.Errorf("total %d, has_next_page %v, %d items; want total saturated at 1000", p.Total, p.HasNextPage, len(p.Items))
	}
	if p.Items[0].IncidentID != ids[0] || !slices.IsSortedFunc(p.Items, func(a, b Incident) int { return int(b.StartTime - a.StartTime) }) {
		t.Error("default order is not newest start_time first")
	}
	post(t, s, "/incident/list", win(map[string]any{"asc": true, "limit": 1})).ok(t, &p)
	if p.Items[0].IncidentID != ids[1199] {
		t.Errorf("asc first = %s, want the oldest in the window", p.Items[0].IncidentID)
	}

	post(t, s, "/incident/list", win(map[string]any{"channel_ids": []int64{ProdChannelID}, "limit": 100})).ok(t, &p)
	if p.Total != 600 || p.Items[0].ChannelID != ProdChannelID {
		t.Errorf("channel_ids filter: total %d, first channel %d", p.Total, p.Items[0].ChannelID)
	}
	post(t, s, "/incident/list", win(map[string]any{"channel_id": ProdChannelID})).ok(t, &p)
	if p.Total != 1000 {
		t.Errorf("singular channel_id must be silently ignored; total = %d", p.Total)
	}
	if err := s.Ack(Alice, ids[3]); err != nil {
		t.Fatal(err)
	}
	post(t, s, "/incident/list", win(map[string]any{"progress": "Processing,Closed"})).ok(t, &p)
	if p.Total != 1 || p.Items[0].IncidentID != ids[3] {
		t.Errorf("progress filter = %+v", p)
	}
	post(t, s, "/incident/list", win(map[string]any{"query": "DISK FULL [77]"})).ok(t, &p)
	if p.Total != 1 || p.Items[0].IncidentID != ids[77] {
		t.Errorf("full-text query: total %d", p.Total)
	}
	post(t, s, "/incident/list", win(map[string]any{"query": s.mustGet(t, ids[5]).Num})).ok(t, &p)
	if p.Total != 1 || p.Items[0].IncidentID != ids[5] {
		t.Errorf("query by num: total %d", p.Total)
	}
	post(t, s, "/incident/list", window(t0.Add(-41*24*time.Hour), t0.Add(-39*24*time.Hour), nil)).ok(t, &p)
	if p.Total != 1 || p.Items[0].IncidentID != outside.IncidentID {
		t.Errorf("an old window finds the old incident: %+v", p)
	}
}

func (s *Server) mustGet(t *testing.T, id string) Incident {
	t.Helper()
	inc, ok := s.Incident(id)
	if !ok {
		t.Fatalf("no incident %s", id)
	}
	return inc
}

// TestListCursorPaging pages through 1,200 incidents with search_after_ctx,
// in both orders, and sees each once, even with identical start times.
func TestListCursorPaging(t *testing.T) {
	s := newTestServer(t, Options{})
	want := map[string]bool{}
	for i := range 1200 {
		inc := mustCreate(t, s, IncidentSpec{StartTime: t0.Add(-time.Duration(i/3) * time.Second)})
		want[inc.IncidentID] = true
	}
	for _, asc := range []bool{false, true} {
		seen := map[string]int{}
		req := window(t0.Add(-time.Hour), t0, map[string]any{"limit": 100, "asc": asc})
		pages := 0
		for {
			var p listPage
			post(t, s, "/incident/list", req).ok(t, &p)
			pages++
			for _, inc := range p.Items {
				seen[inc.IncidentID]++
			}
			if !p.HasNextPage {
				break
			}
			req["search_after_ctx"] = p.SearchAfterCtx
		}
		if pages != 12 || len(seen) != 1200 {
			t.Errorf("asc=%v: %d pages, %d distinct; want 12 and 1200", asc, pages, len(seen))
		}
		for id, n := range seen {
			if n != 1 || !want[id] {
				t.Errorf("asc=%v: %s seen %d times", asc, id, n)
			}
		}
	}
}

func TestListByIDsAndInfo(t *testing.T) {
	s := newTestServer(t, Options{})
	a := mustCreate(t, s, IncidentSpec{StartTime: t0.Add(-400 * 24 * time.Hour)})
	var p listPage
	post(t, s, "/incident/list-by-ids", map[string]any{"incident_ids": []string{a.IncidentID, "000000000000000000000000", a.IncidentID}}).ok(t, &p)
	if len(p.Items) != 1 || p.Items[0].IncidentID != a.IncidentID || p.Total != 1 {
		t.Errorf("list-by-ids = %+v; want the old incident once, unknown ids absent, no window needed", p)
	}
	ids := make([]string, 101)
	post(t, s, "/incident/list-by-ids", map[string]any{"incident_ids": ids}).fails(t, 400, "InvalidParameter")
	post(t, s, "/incident/list-by-ids", map[string]any{}).fails(t, 400, "InvalidParameter")

	var got Incident
	post(t, s, "/incident/info", map[string]any{"num": a.Num}).ok(t, &got)
	if got.IncidentID != a.IncidentID {
		t.Errorf("info by num = %s", got.IncidentID)
	}
	post(t, s, "/incident/info", map[string]any{}).fails(t, 400, "InvalidParameter")

	null := newTestServer(t, Options{InfoUnknownAsNull: true})
	ans := post(t, null, "/incident/info", map[string]any{"incident_id": a.IncidentID})
	if ans.Status != 200 || string(ans.Env.Data) != "null" || ans.Env.Error != nil {
		t.Errorf("InfoUnknownAsNull: %s; want data: null", ans.Raw)
	}
}

func TestFeedPagingAndTypes(t *testing.T) {
	s := newTestServer(t, Options{})
	inc := mustCreate(t, s, IncidentSpec{})
	for i := range 25 {
		s.Advance(time.Second)
		if err := s.Comment(Bob, inc.IncidentID, fmt.Sprintf("note %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Ack(Alice, inc.IncidentID); err != nil {
		t.Fatal(err)
	}
	var f struct {
		Items       []FeedItem `json:"items"`
		HasNextPage bool       `json:"has_next_page"`
	}
	post(t, s, "/incident/feed", map[string]any{"incident_id": inc.IncidentID, "types": []string{"i_comm"}, "asc": true, "limit": 10, "p": 3}).ok(t, &f)
	if len(f.Items) != 5 || f.HasNextPage || f.Items[0].Type != "i_comm" || f.Items[0].CreatedAt != t0.Add(21*time.Second).UnixMilli() {
		t.Errorf("page 3 of comments = %+v", f)
	}
	post(t, s, "/incident/feed", map[string]any{"incident_id": inc.IncidentID, "asc": false, "limit": 1}).ok(t, &f)
	if f.Items[0].Type != "i_ack" || f.Items[0].CreatorID != AliceID || !f.HasNextPage {
		t.Errorf("newest entry = %+v", f.Items[0])
	}
	post(t, s, "/incident/feed", map[string]any{"incident_id": "000000000000000000000000"}).fails(t, 400, "ResourceNotFound")
	post(t, s, "/incident/feed", map[string]any{"incident_id": inc.IncidentID, "limit": 101}).fails(t, 400, "InvalidParameter")
}

func TestAPIGuards(t *testing.T) {
	s := newTestServer(t, Options{})
	postKey(t, s, "/incident/list", "wrong", "{}").fails(t, 401, "Unauthorized")
	post(t, s, "/incident/nope", "{}").fails(t, 404, "RouteNotFound")
	// Every known route is served: a missing parameter is a validation
	// error, never a "not simulated" answer the live API cannot give.
	for path := range routes {
		if a := post(t, s, path, "{}"); contains(string(a.Raw), "simulate") {
			t.Errorf("%s answers %s", path, a.Raw)
		}
	}
	post(t, s, "/incident/merge", "{}").fails(t, 400, "InvalidParameter")
	post(t, s, "/incident/list", "{not json").fails(t, 400, "InvalidParameter")

	req, _ := http.NewRequest(http.MethodGet, "/incident/list?app_key="+s.AppKey(), nil)
	rec := newRecorder(s, req)
	if rec.Code != 405 {
		t.Errorf("GET = %d, want 405", rec.Code)
	}
	req, _ = http.NewRequest(http.MethodPost, "/incident/list?app_key="+s.AppKey(), nil)
	req.Header.Set("Content-Type", "text/plain")
	if rec := newRecorder(s, req); rec.Code != 400 || !contains(rec.Body.String(), "InvalidContentType") {
		t.Errorf("text/plain = %d %s, want 400 InvalidContentType", rec.Code, rec.Body)
	}
	if s.Count("POST", "/incident/list") != 4 || s.Count("GET", "/incident/list") != 1 || s.Count("POST", "/incident/nope") != 1 {
		t.Errorf("calls = %v", s.Calls())
	}
}
