package fdsim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// The documented vendor examples (reference §0), copied with their sources
// into ../testdata/fixtures.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fixtureJSON(t *testing.T, name string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(fixture(t, name), &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// withID replaces the documented incident id in a fixture request with id.
func withID(t *testing.T, name, id string) string {
	t.Helper()
	return strings.ReplaceAll(string(fixture(t, name)), "69da451ef77b1b51f40e83ee", id)
}

var hex24 = regexp.MustCompile(`^[0-9a-f]{24}$`)

// jsonKind is the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// sameShape fails unless every key of got exists in want with the same JSON
// type (null in the documented example matches any type): the simulator
// invents no field and types none differently.
func sameShape(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	for k, v := range got {
		w, ok := want[k]
		if !ok {
			t.Errorf("%s: key %q is not in the documented example", what, k)
			continue
		}
		if jsonKind(w) != "null" && jsonKind(v) != "null" && jsonKind(w) != jsonKind(v) {
			t.Errorf("%s: key %q is a %s, documented as a %s", what, k, jsonKind(v), jsonKind(w))
		}
	}
}

// requireIncidentKeys fails unless an incident body carries every key of
// the spec's IncidentInfo.required beyond what the daemon reads
// (vendor-clients fact 7).
func requireIncidentKeys(t *testing.T, what string, got map[string]any) {
	t.Helper()
	for _, k := range []string{"account_locale", "account_name", "account_time_zone", "ai_summary", "alert_event_cnt",
		"assigned_to", "dedup_key", "equals_md5", "images", "integration_id", "integration_ids", "integration_types",
		"post_mortem_id", "silence_url"} {
		if _, ok := got[k]; !ok {
			t.Errorf("%s lacks the required key %q", what, k)
		}
	}
}

func TestFixtureIncidentShape(t *testing.T) {
	s := newTestServer(t, Options{})
	inc := mustCreate(t, s, IncidentSpec{ChannelID: OpsChannelID, Severity: SeverityCritical, Labels: map[string]string{"check": "cpu_usage_high"}})
	doc := fixtureJSON(t, "incident_info.response.json")
	a := post(t, s, "/incident/info", withID(t, "incident_info.request.json", inc.IncidentID))
	var got map[string]any
	a.ok(t, &got)
	sameShape(t, "/incident/info data", got, doc["data"].(map[string]any))
	for _, k := range []string{"incident_id", "num", "channel_id", "title", "description", "incident_severity", "progress",
		"start_time", "updated_at", "close_time", "snoozed_before", "labels", "fields", "detail_url", "creator_id", "closer_id"} {
		if _, ok := got[k]; !ok {
			t.Errorf("/incident/info data lacks %q", k)
		}
	}
	requireIncidentKeys(t, "/incident/info data", got)
	if want := "https://app.flashcat.cloud/channel/detail/2551105804131?tab=alertSuppression&fromIncidentId=" + inc.IncidentID; got["silence_url"] != want {
		t.Errorf("silence_url = %v, want %s (as documented)", got["silence_url"], want)
	}
	if !hex24.MatchString(inc.IncidentID) || inc.Num != strings.ToUpper(inc.IncidentID[18:]) {
		t.Errorf("id %q num %q: want a 24-hex id whose last 6 digits, upper-cased, are num (as in the examples: 0E83EE)", inc.IncidentID, inc.Num)
	}
	if got["detail_url"] != "https://app.flashcat.cloud/incident/detail/"+inc.IncidentID {
		t.Errorf("detail_url = %v", got["detail_url"])
	}
	if a.Header.Get("Flashcat-Request-Id") != a.Env.RequestID || a.Env.RequestID == "" {
		t.Errorf("Flashcat-Request-Id %q, body request_id %q: want the same non-empty value", a.Header.Get("Flashcat-Request-Id"), a.Env.RequestID)
	}
}

func TestFixtureListAndByIDsShape(t *testing.T) {
	s := newTestServer(t, Options{})
	a := mustCreate(t, s, IncidentSpec{ChannelID: OpsChannelID, Severity: SeverityCritical})
	mustCreate(t, s, IncidentSpec{ChannelID: OpsChannelID, Severity: SeverityWarning})

	// The documented request, with its window moved onto the test clock.
	var req map[string]any
	if err := json.Unmarshal(fixture(t, "incident_list.request.json"), &req); err != nil {
		t.Fatal(err)
	}
	span := req["end_time"].(float64) - req["start_time"].(float64)
	req["start_time"], req["end_time"], req["limit"] = float64(t0.Unix())-span/2, float64(t0.Unix())+span/2, 1
	var got map[string]any
	post(t, s, "/incident/list", req).ok(t, &got)
	doc := fixtureJSON(t, "incident_list.response.json")["data"].(map[string]any)
	sameShape(t, "/incident/list data", got, doc)
	if got["has_next_page"] != true || got["total"] != float64(2) || got["search_after_ctx"] == "" {
		t.Errorf("list page = %v; want has_next_page, total 2 and a cursor", got)
	}
	items := got["items"].([]any)
	sameShape(t, "/incident/list item", items[0].(map[string]any), doc["items"].([]any)[0].(map[string]any))
	requireIncidentKeys(t, "/incident/list item", items[0].(map[string]any))

	var byIDs map[string]any
	body := strings.Replace(withID(t, "incident_list_by_ids.request.json", a.IncidentID), "69da451ef77b1b51f40e83ef", "69da451ef77b1b51f40e83ef", 1)
	post(t, s, "/incident/list-by-ids", body).ok(t, &byIDs)
	sameShape(t, "/incident/list-by-ids data", byIDs, fixtureJSON(t, "incident_list_by_ids.response.json")["data"].(map[string]any))
	for _, it := range byIDs["items"].([]any) {
		requireIncidentKeys(t, "/incident/list-by-ids item", it.(map[string]any))
	}
	if n := len(byIDs["items"].([]any)); n != 1 || byIDs["has_next_page"] != false {
		t.Errorf("list-by-ids with one unknown id = %v; want the known one only and has_next_page false", byIDs)
	}
}

func TestFixtureFeedShape(t *testing.T) {
	s := newTestServer(t, Options{})
	inc := mustCreate(t, s, IncidentSpec{Severity: SeverityCritical})
	if err := s.Comment(Alice, inc.IncidentID, "  looking  "); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Items       []map[string]any `json:"items"`
		HasNextPage bool             `json:"has_next_page"`
	}
	post(t, s, "/incident/feed", withID(t, "incident_feed.request.json", inc.IncidentID)).ok(t, &got)
	doc := fixtureJSON(t, "incident_feed.response.json")["data"].(map[string]any)
	docItem := doc["items"].([]any)[0].(map[string]any)
	if len(got.Items) != 2 {
		t.Fatalf("feed = %v", got.Items)
	}
	for _, it := range got.Items {
		sameShape(t, "feed item", it, docItem)
		if len(it) != len(docItem) {
			t.Errorf("feed item keys %v, documented %v", it, docItem)
		}
		// Milliseconds, like the documented 1775912222661.
		if ms := it["created_at"].(float64); ms != float64(t0.UnixMilli()) {
			t.Errorf("created_at = %v, want %d (ms)", ms, t0.UnixMilli())
		}
	}
	// Default order is newest first; the comment is trimmed and by Alice.
	c := got.Items[0]
	if c["type"] != "i_comm" || c["creator_id"] != float64(AliceID) || c["detail"].(map[string]any)["comment"] != "looking" {
		t.Errorf("first item = %v; want Alice's trimmed comment", c)
	}
	if n := got.Items[1]; n["type"] != "i_new" || n["creator_id"] != float64(0) {
		t.Errorf("second item = %v; want i_new by the system", n)
	}
}

// TestFixtureWrites sends each documented write request and expects the
// documented answer (data: {}).
func TestFixtureWrites(t *testing.T) {
	tests := []struct{ name, path, response string }{
		{"incident_ack", "/incident/ack", "incident_ack"},
		{"incident_unack", "/incident/unack", "incident_unack"},
		{"incident_snooze", "/incident/snooze", "incident_snooze"},
		{"incident_wake", "/incident/wake", "incident_wake"},
		{"incident_comment", "/incident/comment", "incident_comment"},
		{"incident_comment_with_mention", "/incident/comment", "incident_comment"},
		{"incident_reset", "/incident/reset", "incident_reset"},
		{"incident_field_reset", "/incident/field/reset", "incident_field_reset"},
		{"incident_resolve", "/incident/resolve", "incident_resolve"},
		{"incident_reopen", "/incident/reopen", "incident_reopen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, Options{})
			inc := mustCreate(t, s, IncidentSpec{Severity: SeverityWarning})
			var err error
			switch tt.name { // preconditions, so that each call changes something
			case "incident_reopen":
				err = s.Close(Alice, inc.IncidentID, "", "")
			case "incident_unack":
				err = s.Ack(DefaultKeyUser, inc.IncidentID)
			case "incident_wake":
				err = s.Snooze(Alice, inc.IncidentID, 30)
			}
			if err != nil {
				t.Fatal(err)
			}
			a := post(t, s, tt.path, withID(t, tt.name+".request.json", inc.IncidentID))
			a.ok(t, nil)
			want := fixtureJSON(t, tt.response+".response.json")
			if string(a.Env.Data) != "{}" || !reflect.DeepEqual(want["data"], map[string]any{}) {
				t.Errorf("data = %s, documented %v", a.Env.Data, want["data"])
			}
			if feed, _ := s.Feed(inc.IncidentID); len(feed) < 2 || feed[len(feed)-1].CreatorID != DefaultKeyMemberID {
				t.Errorf("feed after %s = %+v; want a new entry by the key's member", tt.path, feed)
			}
		})
	}
}

func TestFixtureCreate(t *testing.T) {
	s := newTestServer(t, Options{})
	var got map[string]any
	post(t, s, "/incident/create", string(fixture(t, "incident_create.request.json"))).ok(t, &got)
	sameShape(t, "/incident/create data", got, fixtureJSON(t, "incident_create.response.json")["data"].(map[string]any))
	id, _ := got["incident_id"].(string)
	inc, ok := s.Incident(id)
	if !hex24.MatchString(id) || !ok || inc.Title != "Database connection timeout on prod-db-01" || inc.ChannelID != 2551105804131 ||
		inc.CreatorID != DefaultKeyMemberID || len(inc.Labels) != 0 {
		t.Errorf("created %q = %+v", id, inc)
	}
}

// TestFixtureErrors checks each documented error envelope, byte for byte
// apart from request_id, with its HTTP status.
func TestFixtureErrors(t *testing.T) {
	tests := []struct {
		fixture string
		status  int
		send    func(*Server) *answer
	}{
		{"error_Unauthorized_missingAppKey.response.json", 401, func(s *Server) *answer { return postKey(t, s, "/incident/list", "", "{}") }},
		{"error_NotFound_resourceMissing.response.json", 400, func(s *Server) *answer {
			return post(t, s, "/incident/info", `{"incident_id":"69da451ef77b1b51f40e83ee"}`)
		}},
		{"error_Forbidden_noEditPermission.response.json", 403, func(s *Server) *answer {
			mustInject(t, s, Fault{Status: 403})
			return post(t, s, "/incident/ack", "{}")
		}},
		{"error_TooManyRequests_rateLimited.response.json", 429, func(s *Server) *answer {
			mustInject(t, s, Fault{Status: 429, RetryAfter: 2e9})
			return post(t, s, "/incident/list", "{}")
		}},
		{"error_ServerError_internal.response.json", 500, func(s *Server) *answer {
			mustInject(t, s, Fault{Status: 500})
			return post(t, s, "/incident/list", "{}")
		}},
		{"error_BadRequest_missingParameter.response.json", 400, func(s *Server) *answer {
			mustInject(t, s, Fault{Status: 400})
			return post(t, s, "/incident/list", "{}")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			a := tt.send(newTestServer(t, Options{}))
			want := fixtureJSON(t, tt.fixture)
			var got map[string]any
			if err := json.Unmarshal(a.Raw, &got); err != nil {
				t.Fatal(err)
			}
			if a.Status != tt.status || !reflect.DeepEqual(got["error"], want["error"]) || got["request_id"] == "" {
				t.Errorf("HTTP %d %s; want HTTP %d with error %v", a.Status, a.Raw, tt.status, want["error"])
			}
			if _, has := got["data"]; has {
				t.Errorf("error envelope has data: %s", a.Raw)
			}
			if tt.status == 429 && a.Header.Get("Retry-After") != "2" {
				t.Errorf("Retry-After = %q, want 2", a.Header.Get("Retry-After"))
			}
		})
	}
}

func TestFixtureDirectory(t *testing.T) {
	s := newTestServer(t, Options{})
	exact := []struct{ path, req, resp string }{
		{"/channel/info", "channel_info.request.json", "channel_info.response.json"},
		{"/channel/infos", "channel_infos.request.json", "channel_infos.response.json"},
	}
	for _, e := range exact {
		var got any
		post(t, s, e.path, string(fixture(t, e.req))).ok(t, &got)
		if want := fixtureJSON(t, e.resp)["data"]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, documented %v", e.path, got, want)
		}
	}
	var member map[string]any
	post(t, s, "/member/info", string(fixture(t, "member_info.request.json"))).ok(t, &member)
	// The documented example lacks status, which the spec's member profile
	// has (reference §9.2, vendor-clients fact 7).
	docMember := fixtureJSON(t, "member_info.response.json")["data"].(map[string]any)
	docMember["status"] = "enabled"
	sameShape(t, "/member/info", member, docMember)
	for _, k := range []string{"status", "account_role_ids", "account_locale", "domain", "phone", "avatar", "email_verified",
		"is_external", "country_code", "account_email", "account_avatar"} {
		if _, ok := member[k]; !ok {
			t.Errorf("/member/info lacks %q", k)
		}
	}
	if member["member_id"] != float64(DefaultKeyMemberID) || member["account_id"] != float64(DefaultAccountID) {
		t.Errorf("/member/info = %v", member)
	}
	var persons struct {
		Items []map[string]any `json:"items"`
	}
	post(t, s, "/person/infos", string(fixture(t, "person_infos.request.json"))).ok(t, &persons)
	docPersons := fixtureJSON(t, "person_infos.response.json")["data"].(map[string]any)["items"].([]any)
	if len(persons.Items) != 2 || persons.Items[0]["person_name"] != "Alice" || persons.Items[1]["person_name"] != "Bob" {
		t.Errorf("/person/infos = %v", persons.Items)
	}
	for _, p := range persons.Items {
		sameShape(t, "/person/infos item", p, docPersons[0].(map[string]any))
		if p["email_verified"] != true || p["phone_verified"] != false {
			t.Errorf("/person/infos item %v: want email_verified true, phone_verified false", p)
		}
	}
	var channels map[string]any
	post(t, s, "/channel/list", string(fixture(t, "channel_list.request.json"))).ok(t, &channels)
	sameShape(t, "/channel/list", channels, fixtureJSON(t, "channel_list.response.json")["data"].(map[string]any))
	var audit map[string]any
	post(t, s, "/audit/search", string(fixture(t, "audit_search.request.json"))).ok(t, &audit)
	sameShape(t, "/audit/search", audit, fixtureJSON(t, "audit_search.response.json")["data"].(map[string]any))
}

func TestFixtureAuditDocShape(t *testing.T) {
	s := newTestServer(t, Options{})
	inc := mustCreate(t, s, IncidentSpec{})
	post(t, s, "/incident/ack", map[string]any{"incident_ids": []string{inc.IncidentID}}).ok(t, nil)
	var audit struct {
		Docs []map[string]any `json:"docs"`
	}
	post(t, s, "/audit/search", map[string]any{"start_time": t0.Unix() - 60, "end_time": t0.Unix() + 60}).ok(t, &audit)
	doc := fixtureJSON(t, "audit_search.response.json")["data"].(map[string]any)["docs"].([]any)[0].(map[string]any)
	if len(audit.Docs) != 1 || audit.Docs[0]["operation"] != "incident:write:acknowledge" || audit.Docs[0]["member_id"] != float64(DefaultKeyMemberID) {
		t.Fatalf("audit = %v", audit.Docs)
	}
	sameShape(t, "audit doc", audit.Docs[0], doc)
	if ms := audit.Docs[0]["created_at"].(float64); ms != float64(t0.UnixMilli()) {
		t.Errorf("audit created_at = %v, want ms", ms)
	}
}

func TestFixturePaginationCursor(t *testing.T) {
	s := newTestServer(t, Options{})
	for range 25 {
		mustCreate(t, s, IncidentSpec{})
	}
	window := map[string]any{"start_time": t0.Unix() - 60, "end_time": t0.Unix() + 60, "limit": 20}
	var first map[string]any
	post(t, s, "/incident/list", window).ok(t, &first)
	delete(first, "items") // the documented fragment omits the rows
	sameShape(t, "cursor page", first, fixtureJSON(t, "pagination_cursor.response_data.json"))
	// The documented follow-up request: the cursor plus limit (and the window).
	var req map[string]any
	if err := json.Unmarshal(fixture(t, "pagination_cursor.request.json"), &req); err != nil {
		t.Fatal(err)
	}
	req["search_after_ctx"] = first["search_after_ctx"]
	req["start_time"], req["end_time"] = window["start_time"], window["end_time"]
	var second map[string]any
	post(t, s, "/incident/list", req).ok(t, &second)
	if len(second["items"].([]any)) != 5 || second["has_next_page"] != false {
		t.Errorf("second page = %d items, has_next_page %v; want 5, false", len(second["items"].([]any)), second["has_next_page"])
	}
	if _, has := second["search_after_ctx"]; has {
		t.Errorf("last page carries a cursor; documented: returned only when a next page exists")
	}
}
