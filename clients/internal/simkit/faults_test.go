package simkit

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		m            Match
		method, path string
		want         bool
	}{
		{Match{}, "GET", "/anything", true},
		{Match{Method: "patch"}, "PATCH", "/x", true},
		{Match{Method: "PATCH"}, "GET", "/x", false},
		{Match{Path: "/api/now/table/incident"}, "GET", "/api/now/table/incident", true},
		{Match{Path: "/api/now/table/incident"}, "GET", "/api/now/table/incident/0123", true},
		{Match{Path: "/api/now/table/incident"}, "GET", "/api/now/table/incident_task", false},
		{Match{Path: "/api/now/table/incident/"}, "GET", "/api/now/table/incident", false},
		{Match{Path: "/api/now/table/incident/"}, "GET", "/api/now/table/incident/0123", true},
		{Match{Path: "/incident/list"}, "POST", "/incident/list-by-ids", false},
		{Match{Path: "/incident/list"}, "POST", "/incident/list", true},
		{Match{Method: "POST", Path: "/incident/list"}, "GET", "/incident/list", false},
	}
	for _, tt := range tests {
		if got := tt.m.Matches(tt.method, tt.path); got != tt.want {
			t.Errorf("%+v.Matches(%s %s) = %v, want %v", tt.m, tt.method, tt.path, got, tt.want)
		}
	}
}

func TestQueueCountSkipAndOrder(t *testing.T) {
	var q Queue[string]
	if err := q.Add(Match{Path: "/a", Count: 2, Skip: 1}, "a"); err != nil {
		t.Fatal(err)
	}
	if err := q.Add(Match{}, "any"); err != nil { // Count 0 means 1
		t.Fatal(err)
	}
	var got []string
	for _, p := range []string{"/b", "/a", "/a", "/a", "/a", "/b"} {
		f, ok := q.Take("GET", p)
		if !ok {
			f = "-"
		}
		got = append(got, p+":"+f)
	}
	// /b takes "any" (the first fault that matches it); the first /a is
	// skipped, the next two fail, then /a passes.
	if want := "/b:any /a:- /a:a /a:a /a:- /b:-"; strings.Join(got, " ") != want {
		t.Errorf("takes = %s, want %s", strings.Join(got, " "), want)
	}
	if n := len(q.Pending()); n != 0 {
		t.Errorf("%d faults left", n)
	}
}

func TestQueueSkipStopsTheSearch(t *testing.T) {
	var q Queue[int]
	_ = q.Add(Match{Path: "/x", Skip: 1}, 1)
	_ = q.Add(Match{}, 2)
	// The first matching fault skips this request: the second fault, which
	// matches too, does not get it.
	if _, ok := q.Take("POST", "/x"); ok {
		t.Fatal("a skipping fault let a later one take the request")
	}
	if f, ok := q.Take("POST", "/x"); !ok || f != 1 {
		t.Fatalf("after the skip = %v %v, want 1", f, ok)
	}
	if f, ok := q.Take("POST", "/x"); !ok || f != 2 {
		t.Fatalf("then = %v %v, want 2", f, ok)
	}
}

func TestQueuePendingAndClear(t *testing.T) {
	var q Queue[string]
	_ = q.Add(Match{Count: 3, Skip: 1}, "a")
	q.Take("GET", "/")
	q.Take("GET", "/")
	p := q.Pending()
	if len(p) != 1 || p[0].Match.Count != 2 || p[0].Match.Skip != 0 || p[0].Fault != "a" {
		t.Fatalf("pending = %+v", p)
	}
	p[0].Match.Count = 99 // a copy
	if q.Pending()[0].Match.Count != 2 {
		t.Fatal("Pending returned the queue's own entry")
	}
	q.Clear()
	if _, ok := q.Take("GET", "/"); ok || len(q.Pending()) != 0 {
		t.Fatal("Clear left a fault")
	}
	if err := q.Add(Match{Count: -1}, "x"); !errors.Is(err, ErrNegative) {
		t.Errorf("negative count = %v", err)
	}
	if err := q.Add(Match{Skip: -1}, "x"); !errors.Is(err, ErrNegative) {
		t.Errorf("negative skip = %v", err)
	}
}

// wire is a fault's JSON form without its durations, as a simulator's
// Fault declares it (durations tagged json:"-").
type wire struct {
	Kind  string `json:"kind"`
	Count int    `json:"count,omitempty"`
}

func TestFaultJSON(t *testing.T) {
	for _, tt := range []struct {
		w            wire
		retry, delay time.Duration
		want         string
	}{
		{wire{Kind: "slow", Count: 2}, 0, 5 * time.Second, `{"kind":"slow","count":2,"delay":"5s"}`},
		{wire{Kind: "rate_limit"}, 3 * time.Second, time.Minute, `{"kind":"rate_limit","retry_after":"3s","delay":"1m0s"}`},
		{wire{Kind: "x"}, 0, 0, `{"kind":"x"}`},
	} {
		b, err := MarshalFault(tt.w, tt.retry, tt.delay)
		if err != nil || string(b) != tt.want {
			t.Errorf("marshal %+v = %s, %v; want %s", tt.w, b, err, tt.want)
		}
		var back wire
		var retry, delay time.Duration
		if err := UnmarshalFault(b, &back, &retry, &delay); err != nil || back != tt.w || retry != tt.retry || delay != tt.delay {
			t.Errorf("round trip of %s = %+v %v %v, %v", b, back, retry, delay, err)
		}
	}
	if _, err := MarshalFault([]int{1}, 0, time.Second); err == nil {
		t.Error("a fault that is no JSON object was marshalled")
	}
	for in, want := range map[string]string{
		`{"kind":"x","times":2}`:        `unknown field "times"`,
		`{"kind":"x","retry_after":3}`:  `parse retry_after: 3 is not a string`,
		`{"kind":"x","delay":"soon"}`:   `parse delay: time: invalid duration`,
		`{"kind":"x","endpoint":"/a"}`:  `unknown field "endpoint"`,
		`["not","an","object"]`:         `cannot unmarshal array`,
		`{"kind":"x","retry_after":""}`: "",
	} {
		var w wire
		var retry, delay time.Duration
		err := UnmarshalFault([]byte(in), &w, &retry, &delay)
		if (want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("unmarshal %s = %v, want %q", in, err, want)
		}
	}
}
