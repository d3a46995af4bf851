package snowsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// shape is "string" or "object": the JSON type of a field's value.
func shape(v any) string {
	if _, ok := v.(map[string]any); ok {
		return "object"
	}
	if _, ok := v.(string); ok {
		return "string"
	}
	return "other"
}

func TestPostMatchesDocumentedResponse(t *testing.T) {
	s := newSim(t, Options{})
	a := s.call(t, "POST", "/api/now/table/incident",
		`{"short_description":"Unable to connect to office wifi","assignment_group":"`+ServiceDeskGroup+`","urgency":"2","impact":"2"}`)
	if a.status != http.StatusCreated {
		t.Fatalf("POST = %d %s", a.status, a.body)
	}
	got := result(t, a)
	if loc := a.header.Get("Location"); loc != s.ts.URL+"/api/now/table/incident/"+got["sys_id"].(string) {
		t.Fatalf("Location = %q", loc)
	}
	var doc struct{ Result map[string]any }
	if err := json.Unmarshal(fixture(t, "docs_table_post_incident_response_201.json"), &doc); err != nil {
		t.Fatal(err)
	}
	for k, want := range doc.Result {
		g, ok := got[k]
		if !ok {
			t.Errorf("field %s missing", k)
			continue
		}
		if shape(g) != shape(want) {
			t.Errorf("field %s: shape %s (%v), documented %s (%v)", k, shape(g), g, shape(want), want)
		}
	}
	for k, want := range map[string]string{"priority": "3", "state": "1", "incident_state": "1", "sys_mod_count": "0",
		"number": "INC0010001", "sys_created_by": DefaultUser, "sys_updated_by": DefaultUser, "comments": "", "active": "true",
		"sys_updated_on": "2026-01-15 12:00:00", "sys_class_name": "incident"} {
		if got[k] != want {
			t.Errorf("%s = %v, want %q", k, got[k], want)
		}
	}
	if len(got["sys_id"].(string)) != 32 {
		t.Errorf("sys_id %v is not 32 hex digits", got["sys_id"])
	}
	link := got["assignment_group"].(map[string]any)
	if link["link"] != s.ts.URL+"/api/now/table/sys_user_group/"+ServiceDeskGroup || link["value"] != ServiceDeskGroup {
		t.Errorf("assignment_group = %v", link)
	}
}

func TestPatchAndPutMatchDocumentedResponse(t *testing.T) {
	s := newSim(t, Options{})
	inc, err := s.CreateIncident(Alice, map[string]string{"short_description": "Exchange down?", "impact": "1", "urgency": "3"})
	if err != nil {
		t.Fatal(err)
	}
	id := inc["sys_id"]
	var doc struct{ Result map[string]any }
	if err := json.Unmarshal(fixture(t, "docs_table_patch_incident_response.json"), &doc); err != nil {
		t.Fatal(err)
	}
	for i, method := range []string{"PATCH", "PUT"} {
		s.Advance(time.Minute)
		a := s.call(t, method, "/api/now/table/incident/"+id, `{"urgency":"1","comments":"Elevating urgency, this is a blocking issue"}`)
		if a.status != http.StatusOK {
			t.Fatalf("%s = %d %s", method, a.status, a.body)
		}
		got := result(t, a)
		for k := range doc.Result {
			if _, ok := got[k]; !ok {
				t.Errorf("%s: field %s missing", method, k)
			}
		}
		want := map[string]any{"priority": "1", "urgency": "1", "comments": "", "sys_updated_by": DefaultUser,
			"sys_mod_count": []string{"1", "2"}[i], "sys_updated_on": s.Now().Format(internalLayout)}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %s = %v, want %v", method, k, got[k], w)
			}
		}
	}
	j := s.Journal(id)
	if len(j) != 2 || j[0]["sys_created_by"] != DefaultUser || j[0]["element"] != "comments" {
		t.Fatalf("journal = %v", j)
	}
	var rows struct{ Result []map[string]any }
	if err := json.Unmarshal(fixture(t, "demisto_sys_journal_field_rows.json"), &rows); err != nil {
		t.Fatal(err)
	}
	jr := results(t, s.call(t, "GET", "/api/now/table/sys_journal_field?sysparm_query=element_id="+id, ""))
	if len(jr) != 2 {
		t.Fatalf("journal rows = %v", jr)
	}
	if g, w := keys(jr[0].(map[string]any)), keys(rows.Result[0]); g != w {
		t.Fatalf("journal row columns %s, documented %s", g, w)
	}
}

func keys[V any](m map[string]V) string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return strings.Join(k, ",")
}

func TestErrorBodiesMatchFixtures(t *testing.T) {
	s := newSim(t, Options{})
	inc, _ := s.CreateIncident(Alice, map[string]string{"short_description": "x"})

	a := s.call(t, "GET", "/api/now/table/incident", "", DefaultUser, "wrong")
	if a.status != 401 || a.header.Get("WWW-Authenticate") != `BASIC realm="Service-now"` || a.header.Get("Content-Type") != "application/json;charset=UTF-8" {
		t.Fatalf("401 = %d %v", a.status, a.header)
	}
	jsonEqual(t, a.body, fixture(t, "docs_error_401_user_not_authenticated.json"))
	jsonEqual(t, s.call(t, "GET", "/api/now/table/incident", "", "Bearer nope").body, fixture(t, "merge_dev_pdi_401_basic_auth.json"))

	a = s.call(t, "GET", "/api/now/v1/table/incident?sysparm_query=short_descriptionLIKEdescription_random", "")
	if a.status != 404 {
		t.Fatalf("v1 empty = %d", a.status)
	}
	jsonEqual(t, a.body, fixture(t, "kb0551763_v1_get_list_no_match_404.json"))
	for _, p := range []string{"/api/now/v2/table/incident", "/api/now/table/incident"} {
		a = s.call(t, "GET", p+"?sysparm_query=short_descriptionLIKEdescription_random", "")
		if a.status != 200 {
			t.Fatalf("%s empty = %d", p, a.status)
		}
		jsonEqual(t, a.body, fixture(t, "kb0551763_v2_get_list_no_match_200.json"))
	}

	a = s.call(t, "PATCH", "/api/now/table/incident/"+inc["sys_id"], `{"state":"6"}`)
	if a.status != 403 {
		t.Fatalf("resolve without close info = %d", a.status)
	}
	jsonEqual(t, a.body, fixture(t, "getint_403_data_policy_exception_resolve.json"))

	a = s.call(t, "GET", "/api/now/table/incident/0123456789abcdef0123456789abcdef", "")
	if a.status != 404 || !strings.Contains(string(a.body), "ACL restricts the record retrieval") {
		t.Fatalf("unknown sys_id = %d %s", a.status, a.body)
	}
	a = s.call(t, "PATCH", "/api/now/table/incident/0123456789abcdef0123456789abcdef", `{"state":"2"}`)
	if a.status != 404 {
		t.Fatalf("PATCH unknown sys_id = %d (must not upsert)", a.status)
	}
	a = s.call(t, "GET", "/api/now/table/sys_nonexistent", "")
	jsonEqual(t, a.body, []byte(`{"error":{"message":"Invalid table sys_nonexistent","detail":"Table sys_nonexistent does not exist"},"status":"failure"}`))

	if err := s.InjectFault(Fault{Kind: FaultRateLimit, RetryAfter: 7 * time.Second}); err != nil {
		t.Fatal(err)
	}
	a = s.call(t, "GET", "/api/now/table/incident", "")
	if a.status != 429 || a.header.Get("Retry-After") != "7" || a.header.Get("X-RateLimit-Limit") != "100" ||
		a.header.Get("X-RateLimit-Reset") != "1768482000" || a.header.Get("X-RateLimit-Rule") == "" {
		t.Fatalf("429 = %d %v", a.status, a.header)
	}
	jsonEqual(t, a.body, fixture(t, "docs_error_429_rate_limit_exceeded.json"))

	// Closed incidents are read-only for the (non-admin) integration user.
	if _, err := s.UpdateIncident(Alice, inc["sys_id"], map[string]string{"state": "7", "close_code": "Duplicate", "close_notes": "dup"}); err != nil {
		t.Fatal(err)
	}
	a = s.call(t, "PATCH", "/api/now/table/incident/"+inc["sys_id"], `{"state":"2"}`)
	jsonEqual(t, a.body, []byte(`{"error":{"message":"Operation Failed","detail":"ACL Exception Update Failed due to security constraints"},"status":"failure"}`))
	if a.status != 403 {
		t.Fatalf("PATCH closed = %d", a.status)
	}
	if a = s.call(t, "DELETE", "/api/now/table/incident/"+inc["sys_id"], ""); a.status != 204 || len(a.body) != 0 {
		t.Fatalf("DELETE = %d %q", a.status, a.body)
	}
}

func TestLinkHeaderMatchesRealFormat(t *testing.T) {
	s := newSim(t, Options{})
	if _, err := s.CreateIncidents(Alice, 28, nil); err != nil {
		t.Fatal(err)
	}
	// The fixture's request, transposed to incidents: same parameter
	// order, a comma inside sysparm_query and inside sysparm_fields.
	const fields = "sys_class_name,name,os,fqdn,os_version,host_name,ip_address,manufacturer"
	path := "/api/now/table/incident?sysparm_exclude_reference_link=true&sysparm_query=" + url.QueryEscape("stateIN1,2") +
		"&sysparm_display_value=true&sysparm_fields=" + fields + "&sysparm_limit=10"
	a := s.call(t, "GET", path, "")
	if a.status != 200 || len(results(t, a)) != 10 || a.header.Get("X-Total-Count") != "28" {
		t.Fatalf("page = %d total %q", a.status, a.header.Get("X-Total-Count"))
	}
	fx := string(fixture(t, "ansible_sn_inventory_issue15_link_header.txt"))
	var want string
	for _, line := range strings.Split(fx, "\n") {
		if v, ok := strings.CutPrefix(line, "Link: "); ok {
			want = v
		}
	}
	want = strings.NewReplacer(
		"https://xxxxxx.service-now.com", s.ts.URL,
		"cmdb_ci_server?", "incident?",
		"sys_class_nameINcmdb_ci_linux_server%2Ccmdb_ci_win_server", "stateIN1%2C2",
		"sysparm_offset=10000&", "sysparm_offset=10&",
		"sysparm_offset=20000&", "sysparm_offset=20&",
		"sysparm_limit=10000", "sysparm_limit=10",
	).Replace(want)
	if got := a.header.Get("Link"); got != want {
		t.Fatalf("Link\n got: %s\nwant: %s", got, want)
	}
	// A middle page has prev and next; no_count and suppress drop headers.
	a = s.call(t, "GET", "/api/now/table/incident?sysparm_limit=10&sysparm_offset=10", "")
	if l := a.header.Get("Link"); !strings.Contains(l, `sysparm_offset=0&sysparm_limit=10>;rel="prev"`) || !strings.Contains(l, `sysparm_offset=20&sysparm_limit=10>;rel="next"`) {
		t.Fatalf("middle Link = %s", l)
	}
	a = s.call(t, "GET", "/api/now/table/incident?sysparm_limit=10&sysparm_no_count=true&sysparm_suppress_pagination_header=true", "")
	if _, ok := a.header["X-Total-Count"]; ok || a.header.Get("Link") != "" {
		t.Fatalf("headers not suppressed: %v", a.header)
	}
	if a = s.call(t, "GET", "/api/now/table/incident?sysparm_offset=100", ""); len(results(t, a)) != 0 || a.status != 200 {
		t.Fatalf("offset past the end = %d %s", a.status, a.body)
	}
}

func TestDisplayValues(t *testing.T) {
	s := newSim(t, Options{})
	inc, _ := s.CreateIncident(Alice, map[string]string{"short_description": "disk", "assignment_group": ServiceDeskGroup})
	s.Advance(time.Hour)
	if err := s.AddComment(Bob, inc["sys_id"], "first"); err != nil {
		t.Fatal(err)
	}
	id := inc["sys_id"]
	all := result(t, s.call(t, "GET", "/api/now/table/incident/"+id+"?sysparm_display_value=all&sysparm_exclude_reference_link=true", ""))
	// The integration user is in US Pacific time with MM-dd-yyyy dates.
	want := map[string]map[string]any{
		"sys_created_on":   {"display_value": "01-15-2026 04:00:00", "value": "2026-01-15 12:00:00"},
		"impact":           {"display_value": "3 - Low", "value": "3"},
		"state":            {"display_value": "New", "value": "1"},
		"sla_due":          {"display_value": "UNKNOWN", "value": ""},
		"assignment_group": {"display_value": "Service Desk", "value": ServiceDeskGroup},
		"caller_id":        {"display_value": "", "value": ""},
		"comments":         {"display_value": "01-15-2026 05:00:00 - Bob Example (Additional comments)\nfirst\n\n", "value": ""},
	}
	for k, w := range want {
		g, _ := all[k].(map[string]any)
		if len(g) != len(w) || g["display_value"] != w["display_value"] || g["value"] != w["value"] {
			t.Errorf("all %s = %v, want %v", k, all[k], w)
		}
	}
	var doc struct{ Result []map[string]any }
	if err := json.Unmarshal(fixture(t, "demisto_sc_task_display_value_all_exclude_reference_link.json"), &doc); err != nil {
		t.Fatal(err)
	}
	for k, v := range doc.Result[0] {
		if g, ok := all[k]; ok && shape(g) != shape(v) {
			t.Errorf("all %s: shape %s, documented %s", k, shape(g), shape(v))
		}
	}
	tr := result(t, s.call(t, "GET", "/api/now/table/incident/"+id+"?sysparm_display_value=true", ""))
	if tr["state"] != "New" || tr["sys_updated_on"] != "01-15-2026 05:00:00" || tr["activity_due"] != "UNKNOWN" {
		t.Fatalf("display true = state %v updated %v due %v", tr["state"], tr["sys_updated_on"], tr["activity_due"])
	}
	ag := tr["assignment_group"].(map[string]any)
	if ag["display_value"] != "Service Desk" || ag["link"] == nil || ag["value"] != nil {
		t.Fatalf("display true reference = %v", ag)
	}
	raw := result(t, s.call(t, "GET", "/api/now/table/incident/"+id, ""))
	if raw["sys_updated_on"] != "2026-01-15 13:00:00" || raw["comments"] != "" || raw["caller_id"] != "" {
		t.Fatalf("raw = %v %v %v", raw["sys_updated_on"], raw["comments"], raw["caller_id"])
	}
}

func TestDictionaryAndChoices(t *testing.T) {
	s := newSim(t, Options{CustomColumns: []Column{{Name: "u_flashduty_url", MaxLength: 1024}}})
	a := s.call(t, "GET", "/api/now/table/sys_dictionary?sysparm_query=nameINincident,task^elementISNOTEMPTY^active=true&sysparm_fields=name,element,column_label,internal_type,max_length", "")
	rows := results(t, a)
	found := map[string]map[string]any{}
	for _, r := range rows {
		m := r.(map[string]any)
		found[m["element"].(string)] = m
	}
	cc := found["close_code"]
	if cc["name"] != "incident" || cc["column_label"] != "Resolution code" {
		t.Fatalf("close_code = %v", cc)
	}
	if it, ok := cc["internal_type"].(map[string]any); !ok || it["value"] != "choice" || !strings.HasSuffix(it["link"].(string), "/api/now/table/sys_glide_object/choice") {
		t.Fatalf("internal_type must be a reference object by default: %v", cc["internal_type"])
	}
	if found["short_description"]["name"] != "task" || found["u_flashduty_url"]["max_length"] != "1024" {
		t.Fatalf("inheritance/custom: %v %v", found["short_description"], found["u_flashduty_url"])
	}
	rows = results(t, s.call(t, "GET", "/api/now/table/sys_choice?sysparm_query=name=incident^element=state^ORDERBYsequence&sysparm_fields=value,label", ""))
	var got []string
	for _, r := range rows {
		m := r.(map[string]any)
		got = append(got, m["value"].(string)+"="+m["label"].(string))
	}
	if strings.Join(got, ",") != "1=New,2=In Progress,3=On Hold,6=Resolved,7=Closed,8=Canceled" {
		t.Fatalf("state choices = %v", got)
	}
}

func TestOAuthTokenEndpoint(t *testing.T) {
	s := newSim(t, Options{})
	post := func(form url.Values) answer {
		resp, err := http.PostForm(s.ts.URL+"/oauth_token.do", form)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return answer{resp.StatusCode, resp.Header, b}
	}
	a := post(url.Values{"grant_type": {"password"}, "client_id": {DefaultClientID}, "client_secret": {DefaultClientSecret}, "username": {DefaultUser}, "password": {DefaultPassword}})
	var tok map[string]any
	if err := json.Unmarshal(a.body, &tok); err != nil || a.status != 200 {
		t.Fatalf("token = %d %s", a.status, a.body)
	}
	var doc map[string]any
	_ = json.Unmarshal(fixture(t, "docs_oauth_token_password_grant_response.json"), &doc)
	if keys(tok) != keys(doc) || tok["expires_in"] != float64(1799) || tok["token_type"] != "Bearer" {
		t.Fatalf("token answer %v, documented keys %s", tok, keys(doc))
	}
	if a := s.call(t, "GET", "/api/now/table/incident", "", "Bearer "+tok["access_token"].(string)); a.status != 200 {
		t.Fatalf("bearer = %d", a.status)
	}
	s.Advance(1800 * time.Second)
	if a := s.call(t, "GET", "/api/now/table/incident", "", "Bearer "+tok["access_token"].(string)); a.status != 401 {
		t.Fatalf("expired bearer = %d", a.status)
	}
	a = post(url.Values{"grant_type": {"refresh_token"}, "client_id": {DefaultClientID}, "client_secret": {DefaultClientSecret}, "refresh_token": {tok["refresh_token"].(string)}})
	if a.status != 200 {
		t.Fatalf("refresh = %d", a.status)
	}
	a = post(url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultClientID}, "client_secret": {"wrong"}})
	if a.status != 401 {
		t.Fatalf("bad secret = %d", a.status)
	}
	jsonEqual(t, a.body, []byte(`{"error_description":"access_denied","error":"server_error"}`))
}

func TestAutoCloseAndBusinessRules(t *testing.T) {
	s := newSim(t, Options{AutoCloseAfter: 24 * time.Hour})
	inc, _ := s.CreateIncident(Alice, map[string]string{"short_description": "x", "impact": "2", "urgency": "1"})
	if inc["priority"] != "2" {
		t.Fatalf("priority 2x1 = %s", inc["priority"])
	}
	if _, err := s.UpdateIncident(Alice, inc["sys_id"], map[string]string{"state": "3"}); err == nil || !strings.Contains(err.Error(), "On hold reason") {
		t.Fatalf("on hold without reason: %v", err)
	}
	r, err := s.UpdateIncident(Alice, inc["sys_id"], map[string]string{"state": "6", "close_code": "Solution provided", "close_notes": "done"})
	if err != nil || r["incident_state"] != "6" || r["resolved_at"] == "" || r["sys_mod_count"] != "1" {
		t.Fatalf("resolve: %v %v", r, err)
	}
	// A save that changes nothing does not bump sys_mod_count.
	if r, _ = s.UpdateIncident(Alice, inc["sys_id"], map[string]string{"state": "6"}); r["sys_mod_count"] != "1" {
		t.Fatalf("no-op update bumped sys_mod_count to %s", r["sys_mod_count"])
	}
	s.Advance(23 * time.Hour)
	if r, _ := s.Incident(inc["sys_id"]); r["state"] != "6" {
		t.Fatal("closed too early")
	}
	s.Advance(time.Hour)
	r, _ = s.Incident(inc["sys_id"])
	if r["state"] != "7" || r["sys_updated_by"] != System || r["active"] != "false" {
		t.Fatalf("auto-close: state %s by %s active %s", r["state"], r["sys_updated_by"], r["active"])
	}
}
