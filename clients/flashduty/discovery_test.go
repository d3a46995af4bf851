package flashduty_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
)

// windowSpy records the windows of every /incident/list request.
type windowSpy struct {
	next    http.RoundTripper
	windows [][2]int64
}

func (w *windowSpy) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/incident/list") {
		body, _ := r.GetBody()
		var req struct {
			Start int64 `json:"start_time"`
			End   int64 `json:"end_time"`
		}
		_ = json.NewDecoder(body).Decode(&req)
		w.windows = append(w.windows, [2]int64{req.Start, req.End})
	}
	return w.next.RoundTrip(r)
}

// TestDiscoveryFortyFiveDays: a 45-day look-back is split into windows the
// server accepts (≤ 31 days) and finds an incident that started 40 days
// ago, next to a recent one and without the one from 50 days ago.
func TestDiscoveryFortyFiveDays(t *testing.T) {
	day := 24 * time.Hour
	sim := fdsim.New(fdsim.Options{Start: t0})
	old, _ := sim.CreateIncident(fdsim.IncidentSpec{Title: "still open", StartTime: t0.Add(-40 * day)})
	recent, _ := sim.CreateIncident(fdsim.IncidentSpec{Title: "new", StartTime: t0.Add(-time.Hour)})
	_, _ = sim.CreateIncident(fdsim.IncidentSpec{Title: "too old", StartTime: t0.Add(-50 * day)})
	spy := &windowSpy{next: sim.Transport()}
	c, err := flashduty.New(flashduty.Options{AppKey: sim.AppKey(), BaseURL: "http://127.0.0.1:9", Transport: spy, Now: sim.Now})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := c.List(t.Context(), flashduty.ListQuery{Since: t0.Add(-45 * day)}, func(p []flashduty.Incident) error {
		for _, inc := range p {
			got = append(got, inc.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != old.IncidentID+","+recent.IncidentID {
		t.Errorf("found %v; want the 40-day-old incident, then the recent one", got)
	}
	if len(spy.windows) != 2 {
		t.Fatalf("windows %v; want 2", spy.windows)
	}
	if w := spy.windows; w[0][0] != t0.Add(-45*day).Unix() || w[1][1] != t0.Unix() || w[1][0] != w[0][1] {
		t.Errorf("windows %v do not cover [now-45d, now] without a gap", w)
	}
	for _, w := range spy.windows {
		if w[1]-w[0] > 31*24*3600 {
			t.Errorf("window %v is longer than 31 days", w)
		}
	}
}

// TestDiscoveryPagesEachIncidentOnce: 1,200 incidents, some exactly on a
// window boundary, are each delivered exactly once, with cursor paging.
func TestDiscoveryPagesEachIncidentOnce(t *testing.T) {
	e := newEnv(t, fdsim.Options{}, flashduty.Options{})
	want := map[string]bool{}
	boundary := t0.Add(-40 * 24 * time.Hour).Add(flashduty.ListWindow)
	for i := range 1200 {
		start := t0.Add(-time.Duration(i) * 40 * time.Minute) // spread over ~33 days
		if i%100 == 0 {
			start = boundary
		}
		want[e.create(t, fdsim.IncidentSpec{StartTime: start}).IncidentID] = true
	}
	seen := map[string]int{}
	pages := 0
	err := e.client.List(t.Context(), flashduty.ListQuery{Since: t0.Add(-40 * 24 * time.Hour), Until: t0.Add(time.Minute)}, func(p []flashduty.Incident) error {
		pages++
		for _, inc := range p {
			seen[inc.ID]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1200 {
		t.Errorf("%d distinct incidents, want 1200", len(seen))
	}
	for id, n := range seen {
		if n != 1 || !want[id] {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
	// 1,200 over two windows at 100 a page: at least 12 requests, and the
	// saturated total (1000) never cut the listing short.
	if calls := e.sim.Count("POST", "/incident/list"); calls < 12 || calls > 15 {
		t.Errorf("%d list requests", calls)
	}
}

func TestListRejectsBadRanges(t *testing.T) {
	e := newEnv(t, fdsim.Options{}, flashduty.Options{})
	noop := func([]flashduty.Incident) error { return nil }
	if err := e.client.List(t.Context(), flashduty.ListQuery{}, noop); err == nil || !strings.Contains(err.Error(), "Since is required") {
		t.Errorf("List without Since = %v", err)
	}
	if err := e.client.List(t.Context(), flashduty.ListQuery{Since: t0, Until: t0.Add(-time.Hour)}, noop); err == nil || !strings.Contains(err.Error(), "must be after") {
		t.Errorf("List with Until before Since = %v", err)
	}
	if n := e.sim.Count("POST", "/incident/list"); n != 0 {
		t.Errorf("bad ranges were sent: %d calls", n)
	}
}
