package snowsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func (s *sim) ctl(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, s.ts.URL+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

func TestControlHTTP(t *testing.T) {
	s := newSim(t, Options{})
	code, inc := s.ctl(t, "POST", "/_sim/incidents", `{"as":"bob","fields":{"short_description":"VPN down","urgency":"1"}}`)
	if code != 201 || inc["sys_created_by"] != Bob || inc["priority"] != "3" {
		t.Fatalf("create = %d %v", code, inc)
	}
	id := inc["sys_id"].(string)
	if code, _ := s.ctl(t, "POST", "/_sim/incidents/"+id+"/comments", `{"as":"alice","text":"Looking"}`); code != 201 {
		t.Fatalf("comment = %d", code)
	}
	if code, m := s.ctl(t, "PATCH", "/_sim/incidents/"+id, `{"as":"alice","fields":{"state":"6"}}`); code != 422 || !strings.Contains(m["error"].(string), "Resolution code") {
		t.Fatalf("data policy via control = %d %v", code, m)
	}
	code, got := s.ctl(t, "GET", "/_sim/incidents/"+id, "")
	j := got["journal"].([]any)
	if code != 200 || len(j) != 1 || j[0].(map[string]any)["sys_created_by"] != Alice {
		t.Fatalf("get = %d %v", code, got)
	}
	if code, m := s.ctl(t, "POST", "/_sim/clock", `{"advance":"90s"}`); code != 200 || m["now"] != "2026-01-15 12:01:30" {
		t.Fatalf("clock = %d %v", code, m)
	}
	if code, m := s.ctl(t, "POST", "/_sim/incidents/bulk", `{"count":3}`); code != 201 || len(m["sys_ids"].([]any)) != 3 {
		t.Fatalf("bulk = %d %v", code, m)
	}
	if code, _ := s.ctl(t, "POST", "/_sim/acl/hide", `{"sys_id":"`+id+`"}`); code != 204 {
		t.Fatalf("hide = %d", code)
	}
	if a := s.call(t, "GET", "/api/now/table/incident/"+id, ""); a.status != 404 {
		t.Fatalf("hidden = %d", a.status)
	}
	if code, _ := s.ctl(t, "POST", "/_sim/faults", `{"kind":"hibernating","count":2}`); code != 201 {
		t.Fatalf("fault = %d", code)
	}
	for range 2 {
		if a := s.call(t, "GET", "/api/now/table/incident", ""); a.status != 200 || !strings.Contains(string(a.body), "Instance Hibernating page") {
			t.Fatalf("hibernating = %d %s", a.status, a.body)
		}
	}
	if a := s.call(t, "GET", "/api/now/table/incident", ""); a.status != 200 || strings.Contains(string(a.body), "Hibernating") {
		t.Fatal("fault outlived its count")
	}
	if code, m := s.ctl(t, "POST", "/_sim/faults", `{"kind":"nope"}`); code != 400 || !strings.Contains(m["error"].(string), "rate_limit") {
		t.Fatalf("bad fault = %d %v", code, m)
	}
	// The fault vocabulary is fdsim's: count and skip, durations as "3s".
	if code, m := s.ctl(t, "POST", "/_sim/faults", `{"kind":"rate_limit","times":2}`); code != 400 || !strings.Contains(m["error"].(string), `unknown field "times"`) {
		t.Fatalf("outdated fault field = %d %v", code, m)
	}
	if code, m := s.ctl(t, "POST", "/_sim/faults", `{"kind":"rate_limit","method":"POST","path":"/oauth_token.do","count":2,"skip":1,"retry_after":"3s"}`); code != 201 {
		t.Fatalf("rate limit fault = %d %v", code, m)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", s.ts.URL+"/_sim/faults", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	jsonEqual(t, b, []byte(`[{"kind":"rate_limit","method":"POST","path":"/oauth_token.do","count":2,"skip":1,"retry_after":"3s"}]`))
	if code, _ := s.ctl(t, "DELETE", "/_sim/faults", ""); code != 204 {
		t.Fatalf("clear faults = %d", code)
	}
	if code, m := s.ctl(t, "GET", "/_sim/calls", ""); code != 200 || m["GET /api/now/table/incident"] != float64(3) || m["GET /api/now/table/incident/{sys_id}"] != float64(1) {
		t.Fatalf("calls = %v", m)
	}
	if code, m := s.ctl(t, "GET", "/_sim/dump", ""); code != 200 || len(m["incidents"].([]any)) != 4 || len(m["hidden"].([]any)) != 1 {
		t.Fatalf("dump = %d %v", code, m)
	}
	if code, _ := s.ctl(t, "POST", "/_sim/reset", ""); code != 204 || s.IncidentCount() != 0 || len(s.Calls()) != 0 {
		t.Fatal("reset did not reset")
	}
	if code, _ := s.ctl(t, "GET", "/_sim/nope", ""); code != 404 {
		t.Fatalf("unknown control endpoint = %d", code)
	}
	// The control API is never counted as a Table API call.
	if len(s.Calls()) != 0 {
		t.Fatalf("control calls counted: %v", s.Calls())
	}
}

func TestDeterministicIDs(t *testing.T) {
	a, b := New(Options{Seed: 7, Start: t0}), New(Options{Seed: 7, Start: t0})
	x, _ := a.CreateIncidents(Alice, 5, nil)
	y, _ := b.CreateIncidents(Alice, 5, nil)
	if strings.Join(x, ",") != strings.Join(y, ",") {
		t.Fatal("same seed, different ids")
	}
	c := New(Options{Seed: 8, Start: t0})
	z, _ := c.CreateIncidents(Alice, 5, nil)
	if strings.Join(x, ",") == strings.Join(z, ",") {
		t.Fatal("different seeds, same ids")
	}
}

func TestConcurrentUse(t *testing.T) {
	s := newSim(t, Options{})
	ids, _ := s.CreateIncidents(Alice, 20, nil)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 10 {
				id := ids[(i+j)%len(ids)]
				s.call(t, "PATCH", "/api/now/table/incident/"+id, fmt.Sprintf(`{"comments":"c%d-%d"}`, i, j))
				s.call(t, "GET", "/api/now/table/incident?sysparm_query=ORDERBYsys_updated_on^ORDERBYsys_id", "")
				_ = s.AddWorkNote(Bob, id, "note")
				s.Advance(1)
				_ = s.Dump()
			}
		})
	}
	wg.Wait()
	if n := s.Count("PATCH", "/api/now/table/incident/{sys_id}"); n != 80 {
		t.Fatalf("PATCH count = %d", n)
	}
	total := 0
	for _, id := range ids {
		total += len(s.Journal(id))
	}
	if total != 160 {
		t.Fatalf("journal rows = %d, want 160", total)
	}
}
