package fdsim

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestResetAllSixFields(t *testing.T) {
	s := newTestServer(t, Options{})
	inc := mustCreate(t, s, IncidentSpec{Severity: SeverityWarning})
	// Each of the three alone is enough, and none is dropped.
	for _, f := range []struct{ key, feed string }{{"impact", "i_r_impact"}, {"root_cause", "i_r_rc"}, {"resolution", "i_r_rsltn"}} {
		post(t, s, "/incident/reset", map[string]any{"incident_id": inc.IncidentID, f.key: "set " + f.key}).ok(t, nil)
		if feed, _ := s.Feed(inc.IncidentID); feed[len(feed)-1].Type != f.feed {
			t.Errorf("reset %s: last feed entry %s, want %s", f.key, feed[len(feed)-1].Type, f.feed)
		}
		post(t, s, "/incident/reset", map[string]any{"incident_id": inc.IncidentID, f.key: "ab"}).fails(t, 400, "InvalidParameter")
		post(t, s, "/incident/reset", map[string]any{"incident_id": inc.IncidentID, f.key: strings.Repeat("x", 6145)}).fails(t, 400, "InvalidParameter")
	}
	var info map[string]any
	post(t, s, "/incident/info", map[string]any{"incident_id": inc.IncidentID}).ok(t, &info)
	var list struct{ Items []map[string]any }
	post(t, s, "/incident/list", window(t0.Add(-60e9), t0.Add(60e9), nil)).ok(t, &list)
	for what, body := range map[string]map[string]any{"info": info, "list": list.Items[0]} {
		for _, k := range []string{"impact", "root_cause", "resolution"} {
			if body[k] != "set "+k {
				t.Errorf("%s %s = %v, want %q", what, k, body[k], "set "+k)
			}
		}
	}
	post(t, s, "/incident/reset", map[string]any{"incident_id": inc.IncidentID}).fails(t, 400, "InvalidParameter")
}

func TestCreateAssignedTo(t *testing.T) {
	s := newTestServer(t, Options{})
	var got struct {
		IncidentID string `json:"incident_id"`
	}
	post(t, s, "/incident/create", map[string]any{"incident_severity": "Critical", "title": "assigned",
		"assigned_to": map[string]any{"type": "assign", "person_ids": []int64{AliceID, BobID}}}).ok(t, &got)
	var info map[string]any
	post(t, s, "/incident/info", map[string]any{"incident_id": got.IncidentID}).ok(t, &info)
	rs := info["responders"].([]any)
	if len(rs) != 2 || rs[0].(map[string]any)["person_id"] != float64(AliceID) || rs[1].(map[string]any)["person_id"] != float64(BobID) {
		t.Errorf("responders = %v, want Alice and Bob", rs)
	}
	at := info["assigned_to"].(map[string]any)
	docAt := fixtureJSON(t, "incident_list.response.json")["data"].(map[string]any)["items"].([]any)[0].(map[string]any)["assigned_to"].(map[string]any)
	sameShape(t, "assigned_to", at, docAt)
	if len(at) != len(docAt) || at["type"] != "assign" || !reflect.DeepEqual(at["person_ids"], []any{float64(AliceID), float64(BobID)}) {
		t.Errorf("assigned_to = %v, want the documented shape with Alice and Bob", at)
	}
	// By email; an unknown person is refused.
	post(t, s, "/incident/create", map[string]any{"incident_severity": "Info", "title": "by email",
		"assigned_to": map[string]any{"emails": []string{"bob@example.com", "nobody@example.com"}}}).ok(t, &got)
	if inc, _ := s.Incident(got.IncidentID); len(inc.Responders) != 1 || inc.Responders[0].PersonID != BobID {
		t.Errorf("responders by email = %+v, want Bob", inc.Responders)
	}
	post(t, s, "/incident/create", map[string]any{"incident_severity": "Info", "title": "x",
		"assigned_to": map[string]any{"person_ids": []int64{42}}}).fails(t, 400, "InvalidParameter")
	// Unassigned: assigned_to is present, null.
	plain := mustCreate(t, s, IncidentSpec{})
	post(t, s, "/incident/info", map[string]any{"incident_id": plain.IncidentID}).ok(t, &info)
	if v, ok := info["assigned_to"]; !ok || v != nil {
		t.Errorf("unassigned assigned_to = %v (present %v), want null", v, ok)
	}
}

func TestListMoreFilters(t *testing.T) {
	s := newTestServer(t, Options{Channels: append(DefaultChannels(), Channel{ChannelID: 7, ChannelName: "Other", Status: "enabled", TeamID: 20})})
	alert := mustCreate(t, s, IncidentSpec{ChannelID: OpsChannelID})
	byAlice := mustCreate(t, s, IncidentSpec{As: Alice, ChannelID: 7})
	if err := s.Ack(Bob, alert.IncidentID); err != nil {
		t.Fatal(err)
	}
	post(t, s, "/incident/assign", map[string]any{"incident_id": byAlice.IncidentID, "assigned_to": map[string]any{"person_ids": []int64{AliceID}}}).ok(t, nil)
	ids := func(extra map[string]any) []string {
		t.Helper()
		var got struct{ Items []Incident }
		post(t, s, "/incident/list", window(t0.Add(-60e9), t0.Add(60e9), extra)).ok(t, &got)
		out := []string{}
		for _, it := range got.Items {
			out = append(out, it.IncidentID)
		}
		return out
	}
	tests := []struct {
		name   string
		filter map[string]any
		want   []string
	}{
		{"creator", map[string]any{"creator_ids": []int64{AliceID}}, []string{byAlice.IncidentID}},
		{"system creator", map[string]any{"creator_ids": []int64{0}}, []string{alert.IncidentID}},
		{"nums", map[string]any{"nums": []string{strings.ToLower(alert.Num)}}, []string{alert.IncidentID}},
		{"acker", map[string]any{"acker_ids": []int64{BobID}}, []string{alert.IncidentID}},
		{"responder", map[string]any{"responder_ids": []int64{AliceID}}, []string{byAlice.IncidentID}},
		{"team", map[string]any{"team_ids": []int64{20}}, []string{byAlice.IncidentID}},
		{"no creator", map[string]any{"creator_ids": []int64{BobID}}, []string{}},
		{"no num", map[string]any{"nums": []string{"ZZZZZZ"}}, []string{}},
		{"no acker", map[string]any{"acker_ids": []int64{AliceID}}, []string{}},
		{"no responder", map[string]any{"responder_ids": []int64{DefaultKeyMemberID}}, []string{}},
		{"no team", map[string]any{"team_ids": []int64{999}}, []string{}},
	}
	for _, tt := range tests {
		if got := ids(tt.filter); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestChannelListFilters(t *testing.T) {
	s := newTestServer(t, Options{})
	list := func(body map[string]any) map[string]any {
		t.Helper()
		var got map[string]any
		post(t, s, "/channel/list", body).ok(t, &got)
		return got
	}
	got := list(map[string]any{"channel_ids": []int64{ProdChannelID}})
	if items := got["items"].([]any); len(items) != 1 || items[0].(map[string]any)["channel_id"] != float64(ProdChannelID) {
		t.Errorf("channel_ids = %v", got)
	}
	if v, ok := got["has_next_page"]; !ok || v != false {
		t.Errorf("has_next_page = %v (present %v), want false, present", v, ok)
	}
	if items := list(map[string]any{"channel_name": "Ops Channel"})["items"].([]any); len(items) != 1 || items[0].(map[string]any)["channel_id"] != float64(OpsChannelID) {
		t.Errorf("channel_name = %v", items)
	}
	none := list(map[string]any{"channel_name": "Ops"}) // exact, not a substring
	if len(none["items"].([]any)) != 0 || none["total"] != float64(0) || none["has_next_page"] != false {
		t.Errorf("channel_name Ops = %v, want nothing", none)
	}
	if got := list(map[string]any{"limit": 1}); got["has_next_page"] != true {
		t.Errorf("limit 1 = %v, want has_next_page", got)
	}
}

func TestAlertListAndTeamInfos(t *testing.T) {
	s := newTestServer(t, Options{})
	alert := mustCreate(t, s, IncidentSpec{ChannelID: OpsChannelID, Labels: map[string]string{"host": "db-1"}})
	manual := mustCreate(t, s, IncidentSpec{As: Alice})
	var got struct {
		Items       []map[string]any `json:"items"`
		Total       int              `json:"total"`
		HasNextPage *bool            `json:"has_next_page"`
	}
	post(t, s, "/incident/alert/list", map[string]any{"incident_id": alert.IncidentID, "p": 1, "limit": 20}).ok(t, &got)
	if len(got.Items) != 1 || got.Total != 1 || got.HasNextPage == nil || *got.HasNextPage {
		t.Fatalf("alerts = %+v", got)
	}
	a := got.Items[0]
	if !hex24.MatchString(a["alert_id"].(string)) || a["incident_id"] != alert.IncidentID || a["alert_severity"] != SeverityWarning ||
		a["progress"] != ProgressTriggered || a["labels"].(map[string]any)["host"] != "db-1" {
		t.Errorf("alert = %v", a)
	}
	post(t, s, "/incident/alert/list", map[string]any{"incident_id": alert.IncidentID, "is_active": false}).ok(t, &got)
	if len(got.Items) != 0 {
		t.Errorf("recovered alerts of an open incident = %v", got.Items)
	}
	if err := s.AutoClose(alert.IncidentID); err != nil {
		t.Fatal(err)
	}
	post(t, s, "/incident/alert/list", map[string]any{"incident_id": alert.IncidentID, "is_active": false}).ok(t, &got)
	if len(got.Items) != 1 || got.Items[0]["progress"] != ProgressClosed || got.Items[0]["alert_status"] != "Ok" {
		t.Errorf("alerts after recovery = %v", got.Items)
	}
	post(t, s, "/incident/alert/list", map[string]any{"incident_id": manual.IncidentID}).ok(t, &got)
	if len(got.Items) != 0 || got.Total != 0 {
		t.Errorf("alerts of a manual incident = %v", got.Items)
	}
	post(t, s, "/incident/alert/list", map[string]any{"incident_id": "000000000000000000000000"}).fails(t, 400, "ResourceNotFound")
	post(t, s, "/incident/alert/list", "{}").fails(t, 400, "InvalidParameter")

	var teams struct{ Items []Team }
	post(t, s, "/team/infos", map[string]any{"team_ids": []int64{10, 999}}).ok(t, &teams)
	if !reflect.DeepEqual(teams.Items, []Team{{10, "Ops Team"}}) {
		t.Errorf("/team/infos = %+v", teams.Items)
	}
	post(t, s, "/team/infos", "{}").fails(t, 400, "InvalidParameter")
}

func TestAssignResponderAddMergeRemove(t *testing.T) {
	s := newTestServer(t, Options{})
	inc := mustCreate(t, s, IncidentSpec{Severity: SeverityCritical})
	a := post(t, s, "/incident/assign", withID(t, "incident_assign.request.json", inc.IncidentID))
	a.ok(t, nil)
	if string(a.Env.Data) != "{}" {
		t.Errorf("assign data = %s, documented {}", a.Env.Data)
	}
	got, _ := s.Incident(inc.IncidentID)
	if got.AssignedTo == nil || !reflect.DeepEqual(got.AssignedTo.PersonIDs, []int64{AliceID}) || len(got.Responders) != 1 || got.Responders[0].PersonID != AliceID {
		t.Errorf("after assign: assigned_to %+v, responders %+v", got.AssignedTo, got.Responders)
	}
	if feed, _ := s.Feed(inc.IncidentID); feed[len(feed)-1].Type != "i_assign" || feed[len(feed)-1].CreatorID != DefaultKeyMemberID {
		t.Errorf("feed = %+v", feed[len(feed)-1])
	}
	post(t, s, "/incident/assign", map[string]any{"incident_id": inc.IncidentID}).fails(t, 400, "InvalidParameter")
	post(t, s, "/incident/assign", map[string]any{"incident_id": inc.IncidentID, "assigned_to": map[string]any{"escalate_rule_id": "6a0000000000000000000009"}}).fails(t, 400, "InvalidParameter")

	post(t, s, "/incident/responder/add", map[string]any{"incident_id": inc.IncidentID, "person_ids": []int64{BobID, AliceID}}).ok(t, nil)
	if got, _ = s.Incident(inc.IncidentID); len(got.Responders) != 2 || got.Responders[1].PersonID != BobID {
		t.Errorf("after responder/add: %+v", got.Responders)
	}

	src1, src2 := mustCreate(t, s, IncidentSpec{}), mustCreate(t, s, IncidentSpec{})
	body := strings.NewReplacer("69da451ef77b1b51f40e83ee", inc.IncidentID, "69da451ef77b1b51f40e83ef", src1.IncidentID,
		"69da451ef77b1b51f40e83f0", src2.IncidentID).Replace(string(fixture(t, "incident_merge.request.json")))
	post(t, s, "/incident/merge", body).ok(t, nil)
	for _, id := range []string{src1.IncidentID, src2.IncidentID} {
		src, _ := s.Incident(id)
		feed, _ := s.Feed(id)
		var detail map[string]any
		_ = json.Unmarshal(feed[1].Detail, &detail)
		if src.Progress != ProgressClosed || feed[1].Type != "i_merge" || detail["target_incident"] != inc.IncidentID {
			t.Errorf("merged source %s: %s, feed %+v", id, src.Progress, feed)
		}
	}
	if feed, _ := s.Feed(inc.IncidentID); feed[len(feed)-1].Type != "i_comm" {
		t.Errorf("target feed = %+v, want the merge comment", feed[len(feed)-1])
	}

	post(t, s, "/incident/remove", map[string]any{"incident_ids": []string{src1.IncidentID}}).ok(t, nil)
	post(t, s, "/incident/info", map[string]any{"incident_id": src1.IncidentID}).fails(t, 400, "ResourceNotFound")
	var list struct{ Total int }
	post(t, s, "/incident/list", window(t0.Add(-60e9), t0.Add(60e9), nil)).ok(t, &list)
	if list.Total != 2 {
		t.Errorf("total after remove = %d, want 2", list.Total)
	}
}

func TestPastListAndWebhookHistory(t *testing.T) {
	s := newTestServer(t, Options{})
	inc := mustCreate(t, s, IncidentSpec{})
	var past struct{ Items []any }
	post(t, s, "/incident/past/list", map[string]any{"incident_id": inc.IncidentID}).ok(t, &past)
	if past.Items == nil || len(past.Items) != 0 {
		t.Errorf("past = %+v, want an empty list", past)
	}
	var hist map[string]any
	post(t, s, "/webhook/history/list", string(fixture(t, "webhook_history_list.request.json"))).ok(t, &hist)
	sameShape(t, "/webhook/history/list", hist, fixtureJSON(t, "webhook_history_list.response.json")["data"].(map[string]any))
	post(t, s, "/webhook/history/list", "{}").fails(t, 400, "InvalidParameter")
}
