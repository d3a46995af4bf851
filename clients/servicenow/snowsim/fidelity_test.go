package snowsim

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// numbers lists the "number" of each row of a list answer.
func numbers(t *testing.T, a answer) string {
	t.Helper()
	var got []string
	for _, r := range results(t, a) {
		got = append(got, r.(map[string]any)["number"].(string))
	}
	return strings.Join(got, ",")
}

func TestDotWalkedAndJoinConditionsFilter(t *testing.T) {
	s := newSim(t, Options{})
	grouped, _ := s.CreateIncident(Bob, map[string]string{"short_description": "grouped", "assignment_group": ServiceDeskGroup})
	byAlice, _ := s.CreateIncident(Alice, map[string]string{"short_description": "alice's"})
	withCaller, _ := s.CreateIncident(Alice, map[string]string{"short_description": "called", "caller_id": DefaultUsers()[2].SysID})
	g, a, c := grouped["number"], byAlice["number"], withCaller["number"]
	tests := []struct{ query, want string }{
		{"assignment_group.name=Service Desk", g},
		{"assignment_group.nameSTARTSWITHService", g},
		{"assignment_group.name!=Service Desk", a + "," + c},
		{"assignment_group.nameISEMPTY", a + "," + c},
		{"assignment_group.name=No Such Group", ""},
		{"opened_by.user_name=bob", g},
		{"opened_by.user_name=alice^ORDERBYnumber", a + "," + c},
		{"opened_by.nameLIKEalice^caller_id.user_name=bob", c},
		{"opened_by.user_name=bob^ORcaller_id.user_name=bob", g + "," + c},
		// Unknown columns at the end of a walk, or walks through tables the
		// simulator does not hold, are still ignored.
		{"assignment_group.no_such_column=1", g + "," + a + "," + c},
		{"cmdb_ci.name=web01", g + "," + a + "," + c},
		// JOIN: incidents whose caller is an active sys_user named bob.
		{"JOINincident.caller_id=sys_user.sys_id!user_name=bob", c},
		{"JOINincident.caller_id=sys_user.sys_id!user_name=alice", ""},
		{"JOINincident.opened_by=sys_user.sys_id", g + "," + a + "," + c},
		{"JOINincident.caller_id=no_such_table.sys_id", g + "," + a + "," + c},
	}
	for _, tt := range tests {
		got := numbers(t, s.call(t, "GET", "/api/now/table/incident?sysparm_fields=number&sysparm_query="+url.QueryEscape(tt.query), ""))
		if got != tt.want {
			t.Errorf("%q = %s, want %s", tt.query, got, tt.want)
		}
	}
	// A query on sys_user dot-walks its own way: not a reference, ignored.
	if got := results(t, s.call(t, "GET", "/api/now/table/sys_user?sysparm_query=user_name.name=x", "")); len(got) != len(DefaultUsers()) {
		t.Errorf("walk through a non-reference = %d rows", len(got))
	}
	// An unknown dot-walk still counts as invalid for the strict setting...
	strict := newSim(t, Options{InvalidQueryReturnsNoRows: true})
	_, _ = strict.CreateIncident(Bob, map[string]string{"assignment_group": ServiceDeskGroup})
	if got := results(t, strict.call(t, "GET", "/api/now/table/incident?sysparm_query=assignment_group.no_such_column=1", "")); len(got) != 0 {
		t.Errorf("strict unknown dot-walk = %d rows", len(got))
	}
	// ...but a known one is a valid condition.
	if got := results(t, strict.call(t, "GET", "/api/now/table/incident?sysparm_query=assignment_group.name=Service+Desk", "")); len(got) != 1 {
		t.Errorf("strict dot-walk = %d rows", len(got))
	}
}

func TestDotWalkedFields(t *testing.T) {
	s := newSim(t, Options{})
	inc, _ := s.CreateIncident(Bob, map[string]string{"assignment_group": ServiceDeskGroup})
	id := inc["sys_id"]
	path := "/api/now/table/incident/" + id + "?sysparm_fields=number,opened_by.name,opened_by.user_name,assignment_group.name,caller_id.name,opened_by.no_such,cmdb_ci.name"
	raw := result(t, s.call(t, "GET", path, ""))
	want := map[string]any{"number": inc["number"], "opened_by.name": "Bob Example", "opened_by.user_name": "bob", "assignment_group.name": "Service Desk", "caller_id.name": ""}
	if len(raw) != len(want) {
		t.Errorf("fields = %v, want %v", raw, want)
	}
	for k, w := range want {
		if raw[k] != w {
			t.Errorf("%s = %#v, want %#v", k, raw[k], w)
		}
	}
	all := result(t, s.call(t, "GET", path+"&sysparm_display_value=all", ""))
	if m, _ := all["opened_by.name"].(map[string]any); m["value"] != "Bob Example" || m["display_value"] != "Bob Example" {
		t.Errorf("display all opened_by.name = %v", all["opened_by.name"])
	}
	// A dot-walk ending in a reference renders like a reference.
	ref := result(t, s.call(t, "GET", "/api/now/table/incident/"+id+"?sysparm_fields=parent_incident.opened_by,sys_domain.name", ""))
	if ref["parent_incident.opened_by"] != "" || ref["sys_domain.name"] != "" {
		t.Errorf("empty walks = %v", ref)
	}
	list := results(t, s.call(t, "GET", "/api/now/table/incident?sysparm_fields=opened_by.name", ""))
	if len(list) != 1 || list[0].(map[string]any)["opened_by.name"] != "Bob Example" {
		t.Errorf("list dot-walked field = %v", list)
	}
}

func TestClientChosenSysID(t *testing.T) {
	s := newSim(t, Options{})
	const id = "0123456789abcdef0123456789abcdef"
	a := s.call(t, "POST", "/api/now/table/incident", `{"sys_id":"`+id+`","short_description":"chosen"}`)
	if a.status != 201 || result(t, a)["sys_id"] != id || !strings.HasSuffix(a.header.Get("Location"), "/"+id) {
		t.Fatalf("insert with sys_id = %d %s", a.status, a.body)
	}
	if a := s.call(t, "POST", "/api/now/table/incident", `{"sys_id":"`+id+`","short_description":"again"}`); a.status != 403 {
		t.Fatalf("second insert with the same sys_id = %d %s", a.status, a.body)
	}
	if got := results(t, s.call(t, "GET", "/api/now/table/incident", "")); len(got) != 1 {
		t.Fatalf("%d incidents after a retried insert", len(got))
	}
	if a := s.call(t, "POST", "/api/now/table/incident", `{"sys_id":"not-hex"}`); a.status != 400 {
		t.Fatalf("malformed sys_id = %d", a.status)
	}
}

func TestResolveUsesValuesOnTheRecord(t *testing.T) {
	s := newSim(t, Options{})
	inc, _ := s.CreateIncident(Alice, map[string]string{"close_code": "Solution provided", "close_notes": "fixed"})
	a := s.call(t, "PATCH", "/api/now/table/incident/"+inc["sys_id"], `{"state":"6"}`)
	if a.status != 200 || result(t, a)["state"] != "6" {
		t.Fatalf("resolve with close fields on the record = %d %s", a.status, a.body)
	}
	// Clearing one of them in the same PATCH is still refused.
	other, _ := s.CreateIncident(Alice, map[string]string{"close_code": "Solution provided", "close_notes": "fixed"})
	if a := s.call(t, "PATCH", "/api/now/table/incident/"+other["sys_id"], `{"state":"6","close_notes":""}`); a.status != 403 {
		t.Fatalf("resolve clearing close_notes = %d", a.status)
	}
}

func TestEmptyChoiceDisplaysNull(t *testing.T) {
	s := newSim(t, Options{})
	inc, _ := s.CreateIncident(Alice, nil)
	base := "/api/now/table/incident/" + inc["sys_id"] + "?sysparm_fields=close_code,contact_type,state,close_notes"
	tr := result(t, s.call(t, "GET", base+"&sysparm_display_value=true", ""))
	if v, ok := tr["close_code"]; !ok || v != nil || tr["state"] != "New" || tr["close_notes"] != "" {
		t.Errorf("display true = %#v", tr)
	}
	all := result(t, s.call(t, "GET", base+"&sysparm_display_value=all", ""))
	if m := all["contact_type"].(map[string]any); m["display_value"] != nil || m["value"] != "" {
		t.Errorf("display all contact_type = %#v", m)
	}
	if raw := result(t, s.call(t, "GET", base, "")); raw["close_code"] != "" {
		t.Errorf("raw close_code = %#v", raw["close_code"])
	}
}

func TestReferenceLinksKeepAPIVersion(t *testing.T) {
	s := newSim(t, Options{})
	inc, _ := s.CreateIncident(Alice, map[string]string{"assignment_group": ServiceDeskGroup})
	for path, want := range map[string]string{
		"/api/now/table/incident/":    s.ts.URL + "/api/now/table/sys_user_group/" + ServiceDeskGroup,
		"/api/now/v2/table/incident/": s.ts.URL + "/api/now/v2/table/sys_user_group/" + ServiceDeskGroup,
		"/api/now/v1/table/incident/": s.ts.URL + "/api/now/v1/table/sys_user_group/" + ServiceDeskGroup,
	} {
		r := result(t, s.call(t, "GET", path+inc["sys_id"]+"?sysparm_fields=assignment_group", ""))
		if got := r["assignment_group"].(map[string]any)["link"]; got != want {
			t.Errorf("%s link = %v, want %s", path, got, want)
		}
	}
}

func TestInputDisplayValue(t *testing.T) {
	s := newSim(t, Options{})
	a := s.call(t, "POST", "/api/now/table/incident?sysparm_input_display_value=true",
		`{"short_description":"by label","state":"In Progress","impact":"1 - High","assignment_group":"Service Desk","caller_id":"Bob Example","urgency":"2"}`)
	r := result(t, a)
	if a.status != 201 || r["state"] != "2" || r["impact"] != "1" || r["urgency"] != "2" || r["priority"] != "2" {
		t.Fatalf("labels on insert: %d state %v impact %v urgency %v priority %v", a.status, r["state"], r["impact"], r["urgency"], r["priority"])
	}
	if ag, _ := r["assignment_group"].(map[string]any); ag["value"] != ServiceDeskGroup {
		t.Fatalf("group by name = %v", r["assignment_group"])
	}
	if cl, _ := r["caller_id"].(map[string]any); cl["value"] != DefaultUsers()[2].SysID {
		t.Fatalf("user by name = %v", r["caller_id"])
	}
	id := r["sys_id"].(string)
	// The same labels without the parameter are stored as given.
	p := result(t, s.call(t, "PATCH", "/api/now/table/incident/"+id+"?sysparm_exclude_reference_link=true", `{"short_description":"In Progress"}`))
	if p["short_description"] != "In Progress" {
		t.Fatalf("plain PATCH = %v", p["short_description"])
	}
	p = result(t, s.call(t, "PATCH", "/api/now/table/incident/"+id+"?sysparm_input_display_value=true&sysparm_exclude_reference_link=true", `{"state":"On Hold","hold_reason":"Awaiting Vendor"}`))
	if p["state"] != "3" || p["hold_reason"] != "4" {
		t.Fatalf("labels on update = state %v hold_reason %v", p["state"], p["hold_reason"])
	}
}

func TestGzipWhenAsked(t *testing.T) {
	s := newSim(t, Options{})
	_, _ = s.CreateIncident(Alice, map[string]string{"short_description": "zip me"})
	req, _ := http.NewRequestWithContext(t.Context(), "GET", s.ts.URL+"/api/now/table/incident", nil)
	req.SetBasicAuth(DefaultUser, DefaultPassword)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Content-Length") != "" || resp.Header.Get("X-Total-Count") != "1" {
		t.Fatalf("headers = %v", resp.Header)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(zr)
	if !bytes.Contains(b, []byte(`"zip me"`)) {
		t.Fatalf("body = %s", b)
	}
	// net/http's own transport asks for gzip and decompresses transparently.
	a := s.call(t, "GET", "/api/now/table/incident", "")
	if a.status != 200 || !bytes.Contains(a.body, []byte(`"zip me"`)) {
		t.Fatalf("transparent gzip = %d %s", a.status, a.body)
	}
	// The in-process transport sends no Accept-Encoding of its own, so a
	// client on it reads plain JSON; asking explicitly gets gzip there too.
	hc := &http.Client{Transport: s.Transport()}
	for _, ask := range []bool{false, true} {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://sim.test/api/now/table/incident", nil)
		req.SetBasicAuth(DefaultUser, DefaultPassword)
		if ask {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if got := resp.Header.Get("Content-Encoding"); (got == "gzip") != ask || (!ask && !bytes.Contains(b, []byte(`"zip me"`))) {
			t.Fatalf("in process, asked %v: Content-Encoding %q body %.60q", ask, got, b)
		}
	}
	// Empty answers stay empty and uncompressed.
	id := results(t, a)[0].(map[string]any)["sys_id"].(string)
	req, _ = http.NewRequestWithContext(t.Context(), "DELETE", s.ts.URL+"/api/now/table/incident/"+id, nil)
	req.SetBasicAuth(DefaultUser, DefaultPassword)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("DELETE = %d %v", resp.StatusCode, resp.Header)
	}
}

func TestOverLongURLGetsHTML414(t *testing.T) {
	s := newSim(t, Options{})
	long := "/api/now/table/incident?sysparm_query=numberIN" + strings.Repeat("INC0000001,", DefaultMaxURLLength/11)
	a := s.call(t, "GET", long, "")
	if a.status != http.StatusRequestURITooLong || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !bytes.HasPrefix(bytes.TrimSpace(a.body), []byte("<html>")) {
		t.Fatalf("over-long URL = %d %s %.80s", a.status, a.header.Get("Content-Type"), a.body)
	}
	if n := s.Count("GET", "/api/now/table/incident"); n != 1 {
		t.Fatalf("refused call counted %d times", n)
	}
	// 2,048 characters, the budget snowduty keeps to, pass.
	ok := "/api/now/table/incident?sysparm_query=numberIN" + strings.Repeat("INC0000001,", 180)
	if len(ok) > 2048 {
		t.Fatal("test URL too long")
	}
	if a := s.call(t, "GET", ok, ""); a.status != 200 {
		t.Fatalf("2,048-character URL = %d", a.status)
	}
	// The limit is configurable, and can be switched off.
	small := newSim(t, Options{MaxURLLength: 100})
	if a := small.call(t, "GET", "/api/now/table/incident?sysparm_query="+strings.Repeat("a", 100), ""); a.status != 414 {
		t.Fatalf("MaxURLLength 100 = %d", a.status)
	}
	off := newSim(t, Options{MaxURLLength: -1})
	if a := off.call(t, "GET", long, ""); a.status != 200 {
		t.Fatalf("no limit = %d", a.status)
	}
}

func TestInsertDefaultsCategoryInquiry(t *testing.T) {
	s := newSim(t, Options{})
	if r := result(t, s.call(t, "POST", "/api/now/table/incident", `{"short_description":"x"}`)); r["category"] != "inquiry" {
		t.Fatalf("category = %v", r["category"])
	}
	if r := result(t, s.call(t, "POST", "/api/now/table/incident", `{"category":"network"}`)); r["category"] != "network" {
		t.Fatalf("explicit category = %v", r["category"])
	}
}
