package fdsim

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStateRules(t *testing.T) {
	type step func(s *Server, id string) error
	ack := func(as string) step { return func(s *Server, id string) error { return s.Ack(as, id) } }
	unack := func(as string) step { return func(s *Server, id string) error { return s.Unack(as, id) } }
	closeBy := func(as string) step { return func(s *Server, id string) error { return s.Close(as, id, "rc", "fix") } }
	reopen := func(s *Server, id string) error { return s.Reopen(Bob, id, "again") }
	auto := func(s *Server, id string) error { return s.AutoClose(id) }
	tests := []struct {
		name      string
		steps     []step
		progress  string
		closer    int64
		lastFeed  string
		feedActor int64
	}{
		{"ack moves to Processing", []step{ack(Alice)}, ProgressProcessing, 0, "i_ack", AliceID},
		{"unack by the only acker returns to Triggered", []step{ack(Alice), unack(Alice)}, ProgressTriggered, 0, "i_unack", AliceID},
		{"unack keeps Processing while another acker remains", []step{ack(Alice), ack(Bob), unack(Alice)}, ProgressProcessing, 0, "i_unack", AliceID},
		{"all ackers unack", []step{ack(Alice), ack(Bob), unack(Alice), unack(Bob)}, ProgressTriggered, 0, "i_unack", BobID},
		{"resolve closes", []step{ack(Alice), closeBy(Bob)}, ProgressClosed, BobID, "i_rslv", BobID},
		{"auto-close is by the system", []step{auto}, ProgressClosed, 0, "i_rslv", 0},
		{"reopen returns to Triggered", []step{closeBy(Alice), reopen}, ProgressTriggered, 0, "i_reopen", BobID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, Options{})
			id := mustCreate(t, s, IncidentSpec{}).IncidentID
			for _, st := range tt.steps {
				s.Advance(time.Minute)
				if err := st(s, id); err != nil {
					t.Fatal(err)
				}
			}
			inc := s.mustGet(t, id)
			feed, _ := s.Feed(id)
			last := feed[len(feed)-1]
			if inc.Progress != tt.progress || inc.CloserID != tt.closer || last.Type != tt.lastFeed || last.CreatorID != tt.feedActor {
				t.Errorf("progress %s closer %d last feed %s by %d; want %s, %d, %s by %d",
					inc.Progress, inc.CloserID, last.Type, last.CreatorID, tt.progress, tt.closer, tt.lastFeed, tt.feedActor)
			}
			if inc.UpdatedAt != s.Now().Unix() {
				t.Errorf("updated_at %d, want the time of the last change %d", inc.UpdatedAt, s.Now().Unix())
			}
			if (inc.Progress == ProgressClosed) != (inc.CloseTime != 0) {
				t.Errorf("close_time %d with progress %s", inc.CloseTime, inc.Progress)
			}
		})
	}
}

func TestAutoCloseFeedSaysAutorslv(t *testing.T) {
	s := newTestServer(t, Options{})
	id := mustCreate(t, s, IncidentSpec{}).IncidentID
	if err := s.AutoClose(id); err != nil {
		t.Fatal(err)
	}
	feed, _ := s.Feed(id)
	if string(feed[len(feed)-1].Detail) != `{"from":"autorslv"}` {
		t.Errorf("auto-close detail = %s", feed[len(feed)-1].Detail)
	}
	if err := s.AutoClose("000000000000000000000000"); !IsNotFound(err) {
		t.Errorf("AutoClose(unknown) = %v", err)
	}
}

func TestSnoozeExpiryAndWake(t *testing.T) {
	s := newTestServer(t, Options{})
	id := mustCreate(t, s, IncidentSpec{}).IncidentID
	if err := s.Ack(Alice, id); err != nil {
		t.Fatal(err)
	}
	if err := s.Snooze(Alice, id, 60); err != nil {
		t.Fatal(err)
	}
	inc := s.mustGet(t, id)
	until := t0.Add(time.Hour).Unix()
	if inc.SnoozedBefore != until || inc.Progress != ProgressProcessing {
		t.Fatalf("after snooze: snoozed_before %d progress %s", inc.SnoozedBefore, inc.Progress)
	}
	s.Advance(59 * time.Minute)
	if inc := s.mustGet(t, id); inc.Progress != ProgressProcessing {
		t.Fatalf("before expiry: %s", inc.Progress)
	}
	s.Advance(2 * time.Minute)
	inc = s.mustGet(t, id)
	if inc.Progress != ProgressTriggered || inc.UpdatedAt != until || inc.AckTime != 0 {
		t.Errorf("after expiry: progress %s updated_at %d ack_time %d; want Triggered at the expiry time, acks cleared", inc.Progress, inc.UpdatedAt, inc.AckTime)
	}
	// Wake ends a running snooze; out-of-range minutes are refused.
	if err := s.Snooze(Bob, id, 30); err != nil {
		t.Fatal(err)
	}
	if err := s.Wake(Bob, id); err != nil {
		t.Fatal(err)
	}
	feed, _ := s.Feed(id)
	if inc := s.mustGet(t, id); inc.SnoozedBefore != 0 || feed[len(feed)-1].Type != "i_wake" || !strings.Contains(string(feed[len(feed)-1].Detail), "snoozedBefore") {
		t.Errorf("after wake: %d %s", inc.SnoozedBefore, feed[len(feed)-1].Detail)
	}
	for _, m := range []int{0, 1441} {
		post(t, s, "/incident/snooze", map[string]any{"incident_ids": []string{id}, "minutes": m}).fails(t, 400, "InvalidParameter")
	}
}

func TestCommentsAndUpdatedAt(t *testing.T) {
	for _, bump := range []bool{false, true} {
		s := newTestServer(t, Options{CommentsBumpUpdatedAt: bump})
		id := mustCreate(t, s, IncidentSpec{}).IncidentID
		s.Advance(time.Hour)
		post(t, s, "/incident/comment", map[string]any{"incident_ids": []string{id}, "comment": "\n  rolled back  \t", "mute_reply": true}).ok(t, nil)
		inc := s.mustGet(t, id)
		if got := inc.UpdatedAt == s.Now().Unix(); got != bump {
			t.Errorf("bump=%v: updated_at %d, now %d", bump, inc.UpdatedAt, s.Now().Unix())
		}
		feed, _ := s.Feed(id)
		var d struct {
			Comment   string `json:"comment"`
			MuteReply bool   `json:"mute_reply"`
		}
		_ = json.Unmarshal(feed[len(feed)-1].Detail, &d)
		if d.Comment != "rolled back" || !d.MuteReply || feed[len(feed)-1].CreatorID != DefaultKeyMemberID {
			t.Errorf("comment stored as %+v by %d", d, feed[len(feed)-1].CreatorID)
		}
	}
	s := newTestServer(t, Options{})
	id := mustCreate(t, s, IncidentSpec{}).IncidentID
	for _, c := range []string{"   ", strings.Repeat("x", 1025)} {
		post(t, s, "/incident/comment", map[string]any{"incident_ids": []string{id}, "comment": c}).fails(t, 400, "InvalidParameter")
	}
	post(t, s, "/incident/comment", map[string]any{"incident_ids": []string{id}, "comment": " " + strings.Repeat("é", 1024) + " "}).ok(t, nil)
	s.SetCommentsBumpUpdatedAt(true)
	s.Advance(time.Minute)
	if err := s.Comment(Alice, id, "bumps now"); err != nil || s.mustGet(t, id).UpdatedAt != s.Now().Unix() {
		t.Errorf("switch at run time did not take: %v", err)
	}
}

func TestResetLengthLimits(t *testing.T) {
	s := newTestServer(t, Options{})
	id := mustCreate(t, s, IncidentSpec{}).IncidentID
	tests := []struct {
		body map[string]any
		ok   bool
	}{
		{map[string]any{}, false},
		{map[string]any{"title": "ab"}, false},
		{map[string]any{"title": strings.Repeat("t", 201)}, false},
		{map[string]any{"title": strings.Repeat("t", 200)}, true},
		{map[string]any{"description": ""}, false},
		{map[string]any{"description": strings.Repeat("d", 6145)}, false},
		{map[string]any{"description": "new text"}, true},
		{map[string]any{"incident_severity": "critical"}, false},
		{map[string]any{"incident_severity": "Info"}, true},
	}
	for _, tt := range tests {
		tt.body["incident_id"] = id
		a := post(t, s, "/incident/reset", tt.body)
		if tt.ok {
			a.ok(t, nil)
		} else {
			a.fails(t, 400, "InvalidParameter")
		}
	}
	inc := s.mustGet(t, id)
	if inc.Title != strings.Repeat("t", 200) || inc.Description != "new text" || inc.Severity != "Info" {
		t.Errorf("after resets: %q %q %q", inc.Title, inc.Description, inc.Severity)
	}
	feed, _ := s.Feed(id)
	var types []string
	for _, f := range feed {
		types = append(types, f.Type)
	}
	if strings.Join(types, ",") != "i_new,i_r_title,i_r_desc,i_r_severity" {
		t.Errorf("feed types = %v", types)
	}
	post(t, s, "/incident/reset", map[string]any{"incident_id": "000000000000000000000000", "title": "abc"}).fails(t, 400, "ResourceNotFound")
}

func TestCustomFieldTypeChecks(t *testing.T) {
	s := newTestServer(t, Options{})
	inc := mustCreate(t, s, IncidentSpec{})
	if inc.Fields["sync_to_servicenow"] != false {
		t.Errorf("default value not applied: %v", inc.Fields)
	}
	id := inc.IncidentID
	tests := []struct {
		name  string
		value any
		ok    bool
	}{
		{"affected_service", "payment-service", true},
		{"affected_service", 42, false},
		{"affected_service", strings.Repeat("x", 3001), false},
		{"environment", "staging", true},
		{"environment", "moon", false},
		{"tags", []string{"db", "app"}, true},
		{"tags", []string{"db", "cake"}, false},
		{"tags", "db", false},
		{"sync_to_servicenow", true, true},
		{"sync_to_servicenow", "yes", false},
		{"no_such_field", "x", false},
	}
	for _, tt := range tests {
		a := post(t, s, "/incident/field/reset", map[string]any{"incident_id": id, "field_name": tt.name, "field_value": tt.value})
		if tt.ok {
			a.ok(t, nil)
		} else {
			a.fails(t, 400, "InvalidParameter")
		}
	}
	got := s.mustGet(t, id).Fields
	if got["affected_service"] != "payment-service" || got["environment"] != "staging" || got["sync_to_servicenow"] != true ||
		strings.Join(got["tags"].([]string), ",") != "db,app" {
		t.Errorf("fields = %v", got)
	}
	post(t, s, "/incident/field/reset", map[string]any{"incident_id": id, "field_name": "environment"}).ok(t, nil)
	if _, has := s.mustGet(t, id).Fields["environment"]; has {
		t.Error("omitting field_value did not clear the field")
	}
	if _, err := s.CreateIncident(IncidentSpec{Title: "x", Fields: map[string]any{"environment": "moon"}}); err == nil {
		t.Error("create with a bad field value succeeded")
	}
}

func TestCreateRules(t *testing.T) {
	s := newTestServer(t, Options{})
	tests := []map[string]any{
		{"title": "x"}, // no severity
		{"incident_severity": "Critical"},
		{"incident_severity": "Ok", "title": "x"},
		{"incident_severity": "Info", "title": strings.Repeat("t", 513)},
		{"incident_severity": "Info", "title": "x", "description": strings.Repeat("d", 1025)},
		{"incident_severity": "Info", "title": "x", "channel_id": 42},
	}
	for _, body := range tests {
		post(t, s, "/incident/create", body).fails(t, 400, "InvalidParameter")
	}
	if n := len(s.IncidentIDs()); n != 0 {
		t.Errorf("%d incidents created by rejected requests", n)
	}
}

func TestActAsUnknownMember(t *testing.T) {
	s := newTestServer(t, Options{})
	id := mustCreate(t, s, IncidentSpec{}).IncidentID
	if err := s.Ack("mallory", id); err == nil || !strings.Contains(err.Error(), "not a member") || !strings.Contains(err.Error(), "alice, bob, snowduty") {
		t.Errorf("Ack as a stranger = %v", err)
	}
	if err := s.Ack("", id); err == nil {
		t.Error("Ack as nobody succeeded")
	}
	if err := s.Ack(Alice, "000000000000000000000000"); !IsNotFound(err) {
		t.Errorf("Ack(unknown incident) = %v", err)
	}
}

func TestDeterministicIDs(t *testing.T) {
	run := func() []string {
		s := newTestServer(t, Options{Seed: 7})
		var ids []string
		for range 3 {
			ids = append(ids, mustCreate(t, s, IncidentSpec{}).IncidentID)
		}
		ids = append(ids, post(t, s, "/incident/list", "{}").Env.RequestID)
		return ids
	}
	a, b := run(), run()
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("same seed, different ids: %v vs %v", a, b)
	}
	other := newTestServer(t, Options{Seed: 8})
	if mustCreate(t, other, IncidentSpec{}).IncidentID == a[0] {
		t.Error("different seeds gave the same id")
	}
	s := newTestServer(t, Options{Seed: 7})
	mustCreate(t, s, IncidentSpec{})
	s.Reset()
	if id := mustCreate(t, s, IncidentSpec{}).IncidentID; id != a[0] {
		t.Errorf("after Reset the first id is %s, want %s", id, a[0])
	}
}

func TestConcurrentUse(t *testing.T) {
	s := newTestServer(t, Options{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				inc, err := s.CreateIncident(IncidentSpec{Title: "c"})
				if err != nil {
					t.Error(err)
					return
				}
				_ = s.Ack(Alice, inc.IncidentID)
				post(t, s, "/incident/comment", map[string]any{"incident_ids": []string{inc.IncidentID}, "comment": "hi"})
				post(t, s, "/incident/list", window(t0.Add(-time.Hour), t0.Add(time.Hour), nil))
				if i%10 == 0 {
					s.Advance(time.Second)
					_ = s.Dump()
				}
				_ = g
			}
		})
	}
	wg.Wait()
	if n := len(s.IncidentIDs()); n != 200 {
		t.Errorf("%d incidents, want 200", n)
	}
}
