package fdsim

import (
	"testing"
	"time"
)

// bench10k returns a server holding 10,000 incidents over 30 days, each
// with a comment.
func bench10k(b *testing.B) (*Server, []string) {
	b.Helper()
	s := New(Options{Start: t0})
	ids := make([]string, 0, 10000)
	for i := range 10000 {
		inc, err := s.CreateIncident(IncidentSpec{Title: "load", StartTime: t0.Add(-time.Duration(i) * 4 * time.Minute)})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Comment(Alice, inc.IncidentID, "note"); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, inc.IncidentID)
	}
	return s, ids
}

func BenchmarkListByIDs100Of10k(b *testing.B) {
	s, ids := bench10k(b)
	i := 0
	for b.Loop() {
		batch := ids[(i*100)%10000 : (i*100)%10000+100]
		i++
		if a := postBench(b, s, "/incident/list-by-ids", map[string]any{"incident_ids": batch}); a != 200 {
			b.Fatal(a)
		}
	}
}

func BenchmarkListAllPagesOf10k(b *testing.B) {
	s, _ := bench10k(b)
	for b.Loop() {
		req := map[string]any{"start_time": t0.Add(-30 * 24 * time.Hour).Unix(), "end_time": t0.Unix(), "limit": 100}
		for {
			var p listPage
			if postBenchInto(b, s, "/incident/list", req, &p) != 200 {
				b.Fatal("list failed")
			}
			if !p.HasNextPage {
				break
			}
			req["search_after_ctx"] = p.SearchAfterCtx
		}
	}
}

func BenchmarkFeedOf10k(b *testing.B) {
	s, ids := bench10k(b)
	i := 0
	for b.Loop() {
		i++
		if a := postBench(b, s, "/incident/feed", map[string]any{"incident_id": ids[i%10000], "types": []string{"i_comm"}, "asc": false, "limit": 100}); a != 200 {
			b.Fatal(a)
		}
	}
}
