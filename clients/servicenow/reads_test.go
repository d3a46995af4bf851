package servicenow

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

func TestCreateUpdateAndReadBack(t *testing.T) {
	e := newEnv(t, snowsim.Options{})
	inc, err := e.c.Create(t.Context(), map[string]string{"short_description": "Checkout is down", "impact": "1", "urgency": "2",
		"correlation_id": "fd-42", "correlation_display": "Flashduty"})
	if err != nil {
		t.Fatal(err)
	}
	if inc.Number != "INC0010001" || inc.Priority != "2" || inc.State != "1" || inc.SysModCount != 0 || inc.SysCreatedBy != snowsim.DefaultUser ||
		!inc.SysUpdatedOn.Equal(t0) || inc.Columns["incident_state"] != "1" || inc.Columns["comments"] != "" {
		t.Fatalf("created = %+v", inc)
	}
	e.sim.Advance(time.Minute)
	up, err := e.c.Update(t.Context(), inc.SysID, map[string]string{"state": "6", "close_code": "Solution provided",
		"close_notes": "Resolved in Flashduty by alice", "comments": "Resolved in Flashduty"})
	if err != nil {
		t.Fatal(err)
	}
	if up.State != "6" || up.SysModCount != 1 || up.SysUpdatedBy != snowsim.DefaultUser || !up.SysUpdatedOn.Equal(t0.Add(time.Minute)) ||
		up.CloseCode != "Solution provided" || up.Columns["comments"] != "" {
		t.Fatalf("updated = %+v", up)
	}
	got, err := e.c.Get(t.Context(), inc.SysID)
	if err != nil || got.SysModCount != 1 || got.CorrelationID != "fd-42" || got.Columns["resolved_by"] == "" {
		t.Fatalf("get = %+v, %v", got, err)
	}
	found, err := e.c.FindByCorrelationIDs(t.Context(), []string{"fd-42", "fd-missing", "fd-42"})
	if err != nil || len(found) != 1 || found[0].SysID != inc.SysID {
		t.Fatalf("find = %+v, %v", found, err)
	}
}

func TestGetManyBatchesAndSkipsHidden(t *testing.T) {
	e := newEnv(t, snowsim.Options{})
	ids, _ := e.sim.CreateIncidents(snowsim.Alice, 230, map[string]string{"description": "d"})
	_ = e.sim.Hide("incident", ids[7])
	got, err := e.c.GetMany(t.Context(), append(ids, ids[0]), []string{"opened_at"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 229 || got[0].Columns["opened_at"] == "" || got[0].Description != "d" {
		t.Fatalf("got %d incidents: %+v", len(got), got[0])
	}
	// 100 sys_ids do not fit a 2,048-character URL: batches are as large
	// as fit, and no request is longer.
	reqs := e.sim.Requests()
	if len(reqs) < 4 || len(reqs) > 6 {
		t.Fatalf("%d requests for 230 ids, want 4 to 6 batches of as many as fit", len(reqs))
	}
	for _, r := range reqs {
		if n := len("https://dev00000.service-now.com" + r.Path + "?" + r.Query); n > MaxURLLength {
			t.Fatalf("a request of %d characters went out, over %d", n, MaxURLLength)
		}
	}
	if slices.ContainsFunc(got, func(i Incident) bool { return i.SysID == ids[7] }) {
		t.Fatal("hidden incident returned")
	}
}

func TestJournalForManyIncidents(t *testing.T) {
	e := newEnv(t, snowsim.Options{})
	ids, _ := e.sim.CreateIncidents(snowsim.Alice, 3, nil)
	_ = e.sim.AddComment(snowsim.Alice, ids[0], "old")
	e.sim.Advance(time.Minute)
	since := e.sim.Now()
	_ = e.sim.AddComment(snowsim.Bob, ids[0], "new <b>bold</b>")
	_ = e.sim.AddWorkNote(snowsim.Alice, ids[1], "internal")
	if _, err := e.c.Update(t.Context(), ids[2], map[string]string{"comments": "from sync"}); err != nil {
		t.Fatal(err)
	}
	got, err := e.c.Journal(t.Context(), JournalQuery{IncidentIDs: ids, Since: since, Elements: []string{"comments", "work_notes"}})
	if err != nil {
		t.Fatal(err)
	}
	var summary []string
	for _, j := range got {
		if j.SysID == "" || !j.CreatedOn.Equal(since) {
			t.Fatalf("entry = %+v", j)
		}
		summary = append(summary, j.ElementID[:4]+" "+j.Element+" "+j.CreatedBy+" "+j.Value)
	}
	want := []string{ids[0][:4] + " comments bob new <b>bold</b>", ids[1][:4] + " work_notes alice internal", ids[2][:4] + " comments snowduty from sync"}
	slices.Sort(want)
	slices.Sort(summary)
	if strings.Join(summary, "\n") != strings.Join(want, "\n") {
		t.Fatalf("journal =\n%s\nwant\n%s", strings.Join(summary, "\n"), strings.Join(want, "\n"))
	}
	only, _ := e.c.Journal(t.Context(), JournalQuery{IncidentIDs: ids})
	if len(only) != 3 {
		t.Fatalf("comments only, all time = %d entries, want 3", len(only))
	}
	if n := e.sim.Count("GET", "/api/now/table/sys_journal_field"); n > 4 {
		t.Fatalf("journal took %d requests", n)
	}
}

func TestDictionaryChoicesAndUser(t *testing.T) {
	e := newEnv(t, snowsim.Options{CustomColumns: []snowsim.Column{{Name: "u_flashduty_url", Label: "Flashduty URL", MaxLength: 1024}}})
	defs, err := e.c.Dictionary(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]FieldDef{}
	for _, d := range defs {
		byName[d.Element] = d
	}
	if d := byName["close_code"]; d.Table != "incident" || d.Label != "Resolution code" || d.Type != "choice" {
		t.Fatalf("close_code = %+v", d)
	}
	if d := byName["short_description"]; d.Table != "task" || d.Type != "string" || d.MaxLength != 160 {
		t.Fatalf("short_description = %+v", d)
	}
	if d := byName["u_flashduty_url"]; d.Label != "Flashduty URL" || d.MaxLength != 1024 {
		t.Fatalf("custom = %+v", d)
	}
	if d := byName["caller_id"]; d.Type != "reference" || d.Reference != "sys_user" {
		t.Fatalf("caller_id = %+v", d)
	}
	ch, err := e.c.Choices(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, c := range ch {
		if c.Element == "state" {
			states = append(states, c.Value+"="+c.Label)
		}
	}
	if strings.Join(states, ",") != "1=New,2=In Progress,3=On Hold,6=Resolved,7=Closed,8=Canceled" || len(ch) != 6+10+4 {
		t.Fatalf("choices = %v (%d)", states, len(ch))
	}
	u, err := e.c.CurrentUser(t.Context())
	if err != nil || u.UserName != snowsim.DefaultUser || u.Name != "Snowduty Integration" || u.DateFormat != "MM-dd-yyyy" {
		t.Fatalf("user = %+v, %v", u, err)
	}
}

func TestObserverSeesEveryRequest(t *testing.T) {
	e := newEnv(t, snowsim.Options{})
	ids, _ := e.sim.CreateIncidents(snowsim.Alice, 2, nil)
	_, _ = e.c.Get(t.Context(), ids[0])
	_, _ = e.c.Update(t.Context(), ids[0], map[string]string{"urgency": "2"})
	_, _ = e.c.Get(t.Context(), "0123456789abcdef0123456789abcdef")
	obs := e.calls.All()
	want := []string{"GET /api/now/table/incident/{sys_id} 200 ok", "PATCH /api/now/table/incident/{sys_id} 200 ok", "GET /api/now/table/incident/{sys_id} 404 not_found"}
	if len(obs) != len(want) {
		t.Fatalf("observer saw %d calls: %+v", len(obs), obs)
	}
	for i, c := range obs {
		if got := c.Method + " " + c.Endpoint + " " + strconv.Itoa(c.Status) + " " + string(c.Class); got != want[i] || c.API != "servicenow" {
			t.Errorf("call %d = %s, want %s", i, got, want[i])
		}
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStatusTable classifies every documented answer, fed verbatim from the
// fixtures where one exists.
func TestStatusTable(t *testing.T) {
	partial := []byte(`{"result":[{"name":"` + strings.TrimPrefix(string(readFixture(t, "kb0778443_http200_truncated_result_with_error_tail.txt")), "..."))
	tests := []struct {
		name      string
		status    int
		ctype     string
		body      []byte
		header    map[string]string
		class     httpx.Class
		message   string
		mandatory string
	}{
		{"401", 401, "application/json;charset=UTF-8", readFixture(t, "merge_dev_pdi_401_basic_auth.json"), nil, httpx.Unauthorized, "User Not Authenticated", ""},
		{"403 ACL", 403, "application/json", []byte(`{"error":{"message":"Operation Failed","detail":"ACL Exception Update Failed due to security constraints"},"status":"failure"}`), nil, httpx.Forbidden, "Operation Failed", ""},
		{"403 query ACL, detail null", 403, "application/json", []byte(`{"error":{"message":"Insufficient rights to query records","detail":null},"status":"failure"}`), nil, httpx.Forbidden, "Insufficient rights to query records", ""},
		{"403 table ACL", 403, "application/json", readFixture(t, "kb0744425_aggregate_api_403_insufficient_rights.json"), nil, httpx.Forbidden, "Insufficient rights to query records", ""},
		{"403 data policy", 403, "application/json", readFixture(t, "getint_403_data_policy_exception_resolve.json"), nil, httpx.DataPolicy, "Operation Failed", "Resolution code|Close notes"},
		{"403 data policy, one field", 403, "application/json", []byte(`{"error":{"message":"Operation Failed","detail":"Data Policy Exception: Short description is mandatory"},"status":"failure"}`), nil, httpx.DataPolicy, "", "Short description"},
		{"404", 404, "application/json", readFixture(t, "kb0551763_v1_get_list_no_match_404.json"), nil, httpx.NotFound, "No Record found", ""},
		{"400", 400, "application/json", readFixture(t, "kb0747638_error_payload_too_large.json"), nil, httpx.BadRequest, "Exception while reading request", ""},
		{"429", 429, "application/json", readFixture(t, "docs_error_429_rate_limit_exceeded.json"), map[string]string{"Retry-After": "5", "X-RateLimit-Limit": "100"}, httpx.RateLimited, "Rate limit exceeded", ""},
		{"500", 500, "application/json", []byte(`{"error":{"message":"boom","detail":null},"status":"failure"}`), nil, httpx.Server, "boom", ""},
		{"502 HTML", 502, "text/html", []byte("<html>bad gateway</html>"), nil, httpx.Server, "HTML error page", ""},
		{"202 empty", 202, "", nil, nil, httpx.Server, "202 Accepted with no body", ""},
		{"200 hibernating", 200, "text/html", []byte("<html><head><title>Instance Hibernating page</title></head></html>"), nil, httpx.Hibernating, "Hibernating", ""},
		{"200 HTML", 200, "text/html;charset=UTF-8", []byte("<html>login</html>"), nil, httpx.BadResponse, "HTML instead of JSON", ""},
		{"200 text/plain", 200, "text/plain", []byte(`{"result":{}}`), nil, httpx.BadResponse, "unexpected content type", ""},
		{"200 partial result", 200, "application/json;charset=UTF-8", partial, nil, httpx.BadResponse, "Transaction cancelled: maximum execution time exceeded", ""},
		{"200 truncated JSON", 200, "application/json", []byte(`{"result":{"sys_id":"a`), nil, httpx.BadResponse, "could not be decoded", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if tt.ctype != "" {
					w.Header().Set("Content-Type", tt.ctype)
				}
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write(tt.body)
			}))
			defer srv.Close()
			c, err := New(Options{BaseURL: srv.URL, Username: "svc", Password: "a-long-password", MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Get(t.Context(), "0123456789abcdef0123456789abcdef")
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("err = %v", err)
			}
			if se.Class != tt.class || se.Status != tt.status || !strings.Contains(err.Error(), tt.message) || strings.Join(se.MandatoryFields, "|") != tt.mandatory {
				t.Fatalf("got class %s status %d mandatory %v: %v", se.Class, se.Status, se.MandatoryFields, err)
			}
			if se.Hint == "" {
				t.Fatal("no hint")
			}
		})
	}
}

func TestParsesDocumentedRecords(t *testing.T) {
	for _, tt := range []struct{ file, number, updated string }{
		{"docs_table_get_incident_by_sys_id.json", "INC0000046", "2015-11-01 22:37:27"},
		{"docs_table_patch_incident_response.json", "INC0000050", "2016-01-22 14:12:37"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			_, _ = w.Write(readFixture(t, tt.file))
		}))
		c, _ := New(Options{BaseURL: srv.URL, Username: "u", Password: "p"})
		inc, err := c.Get(t.Context(), "0123456789abcdef0123456789abcdef")
		srv.Close()
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if inc.Number != tt.number || inc.SysID == "" || (tt.updated != "" && FormatTime(inc.SysUpdatedOn) != tt.updated) {
			t.Fatalf("%s: %+v", tt.file, inc)
		}
		// Reference objects (links not excluded) still yield their value.
		if v := inc.Columns["sys_domain"]; v != "global" {
			t.Fatalf("%s: sys_domain = %q", tt.file, v)
		}
	}
}

func TestOptionsValidation(t *testing.T) {
	valid := func() Options {
		return Options{BaseURL: "https://dev1.service-now.com", Username: "svc", Password: "pw"}
	}
	tests := []struct {
		name  string
		tweak func(*Options)
		want  string
	}{
		{"valid basic", func(*Options) {}, ""},
		{"valid client credentials", func(o *Options) { o.Username, o.Password, o.ClientID, o.ClientSecret = "", "", "id", "s" }, ""},
		{"no credentials", func(o *Options) { o.Username, o.Password = "", "" }, "credentials missing"},
		{"password only", func(o *Options) { o.Username = "" }, "username is empty"},
		{"username only", func(o *Options) { o.Password = "" }, "password is empty"},
		{"client id only", func(o *Options) { o.ClientID = "id" }, "CLIENT_SECRET"},
		{"negative timeout", func(o *Options) { o.Timeout = -time.Second }, "timeout must not be negative"},
		{"negative attempts", func(o *Options) { o.MaxAttempts = -1 }, "max attempts"},
		{"http to a remote host", func(o *Options) { o.BaseURL = "http://dev1.service-now.com" }, "SNOWDUTY_SERVICENOW_URL"},
		{"missing CA file", func(o *Options) { o.CAFile = "/nonexistent/ca.pem" }, "CA bundle"},
	}
	for _, tt := range tests {
		o := valid()
		tt.tweak(&o)
		_, err := New(o)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("%s: error leaks the password: %v", tt.name, err)
		}
	}
}
