package fdsim

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestFaults(t *testing.T) {
	tests := []struct {
		name       string
		fault      Fault
		status     int
		code       string
		retryAfter string
	}{
		{"429 with Retry-After", Fault{Status: 429, RetryAfter: 3 * time.Second}, 429, "RequestTooFrequently", "3"},
		{"500", Fault{Status: 500}, 500, "InternalError", ""},
		{"503", Fault{Status: 503}, 503, "ServiceUnavailable", ""},
		{"error envelope on 200", Fault{Status: 200, Code: "InternalError"}, 200, "InternalError", ""},
		{"AccessDenied", Fault{Status: 403}, 403, "AccessDenied", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, Options{})
			f := tt.fault
			f.Count, f.Path = 2, "/incident/list"
			if err := s.InjectFault(f); err != nil {
				t.Fatal(err)
			}
			// Another endpoint is not affected.
			post(t, s, "/member/info", "{}").ok(t, nil)
			for range 2 {
				a := post(t, s, "/incident/list", "{}")
				a.fails(t, tt.status, tt.code)
				if got := a.Header.Get("Retry-After"); got != tt.retryAfter {
					t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
				}
				if a.Env.RequestID == "" || a.Header.Get("Flashcat-Request-Id") != a.Env.RequestID {
					t.Error("fault answer lacks a request id")
				}
			}
			// Count used up: the request is served normally again.
			post(t, s, "/incident/list", "{}").fails(t, 400, "InvalidParameter")
			if got := s.Count("POST", "/incident/list"); got != 3 {
				t.Errorf("calls = %d, want 3", got)
			}
		})
	}
}

func TestFaultAfterApply(t *testing.T) {
	s := newTestServer(t, Options{})
	id := mustCreate(t, s, IncidentSpec{}).IncidentID
	mustInject(t, s, Fault{Path: "/incident/comment", Status: 500, AfterApply: true})
	post(t, s, "/incident/comment", map[string]any{"incident_ids": []string{id}, "comment": "did it land?"}).fails(t, 500, "InternalError")
	feed, _ := s.Feed(id)
	if feed[len(feed)-1].Type != "i_comm" {
		t.Error("an AfterApply fault must apply the write before failing")
	}
}

func TestFaultSlowAndHangup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestServer(t, Options{})
		mustInject(t, s, Fault{Delay: 5 * time.Second})
		start := time.Now()
		post(t, s, "/member/info", "{}").ok(t, nil)
		if d := time.Since(start); d != 5*time.Second {
			t.Errorf("slow answer took %v, want 5s", d)
		}
		// A caller that gives up sees its context error, promptly.
		mustInject(t, s, Fault{Delay: time.Hour})
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://fdsim/member/info?app_key="+s.AppKey(), strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		if _, err := s.Transport().RoundTrip(req); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("cancelled slow call = %v", err)
		}
		mustInject(t, s, Fault{Hangup: true})
		req, _ = http.NewRequest(http.MethodPost, "http://fdsim/member/info?app_key="+s.AppKey(), strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		if _, err := s.Transport().RoundTrip(req); !errors.Is(err, ErrHangup) {
			t.Errorf("hangup = %v, want ErrHangup", err)
		}
	})
}

func TestRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestServer(t, Options{RateLimit: true})
		for i := range 50 {
			if a := post(t, s, "/member/info", "{}"); a.Status != 200 {
				t.Fatalf("request %d: %s", i, a.Raw)
			}
		}
		a := post(t, s, "/member/info", "{}")
		a.fails(t, 429, "RequestTooFrequently")
		if a.Header.Get("Retry-After") != "1" {
			t.Errorf("Retry-After = %q, want 1", a.Header.Get("Retry-After"))
		}
		time.Sleep(time.Second)
		// 1000 per minute: 50 per second for 19 more seconds fills it.
		for sec := range 19 {
			for i := range 50 {
				if a := post(t, s, "/member/info", "{}"); a.Status != 200 {
					t.Fatalf("second %d request %d: %s", sec+1, i, a.Raw)
				}
			}
			time.Sleep(time.Second)
		}
		a = post(t, s, "/member/info", "{}")
		a.fails(t, 429, "RequestTooFrequently")
		if a.Header.Get("Retry-After") != "40" {
			t.Errorf("per-minute Retry-After = %q, want 40", a.Header.Get("Retry-After"))
		}
		time.Sleep(40 * time.Second)
		post(t, s, "/member/info", "{}").ok(t, nil)
		s.SetRateLimit(false)
		for range 200 {
			post(t, s, "/member/info", "{}").ok(t, nil)
		}
	})
}

func TestControlHTTP(t *testing.T) {
	s := newTestServer(t, Options{})
	code, inc := ctl(t, s, "POST", "/_sim/incidents", `{"title":"Disk full on db-1","severity":"Critical","channel_id":2551105804131,"labels":{"host":"db-1"},"fields":{"environment":"production"},"start_time":"2026-04-12T08:00:00Z"}`)
	if code != 200 || inc["start_time"] != float64(t0.Add(-time.Hour).Unix()) || inc["labels"].(map[string]any)["host"] != "db-1" {
		t.Fatalf("create = %d %v", code, inc)
	}
	id := inc["incident_id"].(string)
	steps := []struct{ action, body, progress string }{
		{"ack", `{"as":"alice"}`, ProgressProcessing},
		{"comment", `{"as":"alice","text":"on it"}`, ProgressProcessing},
		{"snooze", `{"as":"alice","minutes":30}`, ProgressProcessing},
		{"wake", `{"as":"alice"}`, ProgressProcessing},
		{"edit", `{"as":"bob","title":"Disk full on db-1 (primary)","severity":"Warning"}`, ProgressProcessing},
		{"field", `{"as":"bob","field_name":"environment","field_value":"staging"}`, ProgressProcessing},
		{"unack", `{"as":"alice"}`, ProgressTriggered},
		{"close", `{"as":"bob","resolution":"freed space"}`, ProgressClosed},
		{"reopen", `{"as":"bob"}`, ProgressTriggered},
		{"autoclose", `{}`, ProgressClosed},
	}
	for _, st := range steps {
		code, got := ctl(t, s, "POST", "/_sim/incidents/"+id+"/"+st.action, st.body)
		if code != 200 || got["progress"] != st.progress {
			t.Fatalf("%s = %d %v; want progress %s", st.action, code, got, st.progress)
		}
	}
	_, got := ctl(t, s, "GET", "/_sim/incidents/"+id, "")
	if inc := got["incident"].(map[string]any); inc["title"] != "Disk full on db-1 (primary)" || inc["fields"].(map[string]any)["environment"] != "staging" {
		t.Errorf("incident = %v", inc)
	}
	if feed := got["feed"].([]any); len(feed) != 12 {
		t.Errorf("feed has %d entries, want 12", len(feed))
	}
	if code, _ := ctl(t, s, "POST", "/_sim/incidents/"+id+"/dance", `{}`); code != 404 {
		t.Errorf("unknown action = %d", code)
	}
	if code, body := ctl(t, s, "POST", "/_sim/incidents/"+id+"/ack", `{"as":"mallory"}`); code != 400 || !strings.Contains(body["error"].(string), "not a member") {
		t.Errorf("ack as a stranger = %d %v", code, body)
	}
	if code, body := ctl(t, s, "POST", "/_sim/incidents/"+id+"/ack", `{"member_id":2476444212131}`); code != 400 || !strings.Contains(body["error"].(string), `unknown field "member_id"`) {
		t.Errorf("ack by member id = %d %v", code, body)
	}
	if code, got := ctl(t, s, "POST", "/_sim/incidents", `{"title":"By Bob","as":"bob"}`); code != 200 || got["creator_id"] != float64(BobID) {
		t.Errorf("create as bob = %d %v", code, got)
	}
	if code, _ := ctl(t, s, "GET", "/_sim/incidents/000000000000000000000000", ""); code != 404 {
		t.Errorf("unknown incident = %d", code)
	}

	if _, c := ctl(t, s, "POST", "/_sim/clock", `{"advance":"90m"}`); c["now"] != t0.Add(90*time.Minute).Format(time.RFC3339) {
		t.Errorf("advance: %v", c)
	}
	if _, c := ctl(t, s, "POST", "/_sim/clock", `{"set":"2026-05-01T00:00:00Z"}`); c["now"] != "2026-05-01T00:00:00Z" {
		t.Errorf("set: %v", c)
	}
	if code, _ := ctl(t, s, "POST", "/_sim/clock", `{"advance":"soon"}`); code != 400 {
		t.Errorf("bad advance = %d", code)
	}

	if code, _ := ctl(t, s, "POST", "/_sim/faults", `{"path":"/member/info","status":429,"retry_after":"7s","count":1}`); code != 200 {
		t.Fatal("inject fault failed")
	}
	a := post(t, s, "/member/info", "{}")
	if a.Status != 429 || a.Header.Get("Retry-After") != "7" {
		t.Errorf("injected fault answer = %d %q", a.Status, a.Header.Get("Retry-After"))
	}
	// The fault vocabulary is snowsim's: path, not endpoint.
	if code, body := ctl(t, s, "POST", "/_sim/faults", `{"endpoint":"/member/info","status":500}`); code != 400 || !strings.Contains(body["error"].(string), `unknown field "endpoint"`) {
		t.Errorf("outdated fault field = %d %v", code, body)
	}
	if code, body := ctl(t, s, "POST", "/_sim/faults", `{"status":500,"count":-1}`); code != 400 {
		t.Errorf("negative count = %d %v", code, body)
	}
	ctl(t, s, "POST", "/_sim/faults", `{"status":500,"count":5}`)
	ctl(t, s, "DELETE", "/_sim/faults", "")
	post(t, s, "/member/info", "{}").ok(t, nil)
	if _, calls := ctl(t, s, "GET", "/_sim/calls", ""); calls["POST /member/info"] != float64(2) {
		t.Errorf("calls = %v", calls)
	}
	if _, cfg := ctl(t, s, "POST", "/_sim/config", `{"comments_bump_updated_at":true}`); cfg["comments_bump_updated_at"] != true || cfg["rate_limit"] != false {
		t.Errorf("config = %v", cfg)
	}
	if _, d := ctl(t, s, "GET", "/_sim/dump", ""); len(d["incidents"].([]any)) != 2 {
		t.Errorf("dump = %v", d)
	}
	ctl(t, s, "POST", "/_sim/reset", "")
	if _, d := ctl(t, s, "GET", "/_sim/dump", ""); len(d["incidents"].([]any)) != 0 || d["now"] != t0.Format(time.RFC3339) {
		t.Errorf("after reset: %v", d)
	}
	if code, _ := ctl(t, s, "GET", "/_sim/nothing", ""); code != 404 {
		t.Errorf("unknown control path = %d", code)
	}
	// The control API is never mistaken for the Open API: no envelope, no key.
	if code, body := ctl(t, s, "GET", "/_sim/clock?app_key=wrong", ""); code != 200 || body["request_id"] != nil {
		t.Errorf("control answer = %d %v", code, body)
	}
}

func TestLiveClock(t *testing.T) {
	wall := t0
	s := New(Options{Now: func() time.Time { return wall }})
	wall = wall.Add(time.Minute)
	if got := s.Now(); !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("live clock = %v", got)
	}
	s.Advance(time.Hour)
	if got := s.Now(); !got.Equal(t0.Add(61 * time.Minute)) {
		t.Errorf("advanced live clock = %v", got)
	}
}
