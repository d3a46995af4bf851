package fdsim

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// An account-level key acts as the account principal: /member/info refuses
// it with HTTP 400, /account/info answers, and its writes carry the account
// id in the feed, the incident and the audit log.
func TestAccountKeyAnswers(t *testing.T) {
	s := newTestServer(t, Options{})
	key, err := s.MintAccountKey("")
	if err != nil || key != "fdsim-account-key-1" {
		t.Fatalf("MintAccountKey = %q, %v", key, err)
	}

	a := postKey(t, s, "/member/info", key, map[string]any{})
	a.fails(t, http.StatusBadRequest, "InvalidParameter")
	if a.Env.RequestID == "" || a.Header.Get("Flashcat-Request-Id") != a.Env.RequestID || !contains(a.Env.Error.Message, "account principal") {
		t.Errorf("refusal = %s (header %q)", a.Raw, a.Header.Get("Flashcat-Request-Id"))
	}

	// /account/info answers every valid key alike.
	var byAccount, byMember map[string]any
	postKey(t, s, "/account/info", key, map[string]any{}).ok(t, &byAccount)
	post(t, s, "/account/info", map[string]any{}).ok(t, &byMember)
	if !reflect.DeepEqual(byAccount, byMember) {
		t.Errorf("/account/info differs by key: %v vs %v", byAccount, byMember)
	}
	if byAccount["account_id"] != float64(DefaultAccountID) || byAccount["account_name"] != "Acme Corp" {
		t.Errorf("/account/info = %v", byAccount)
	}
	// The spec's AccountInfo fields (those always present).
	for _, f := range []string{"account_id", "account_name", "avatar", "country_code", "created_at", "domain", "email", "extra_domains", "locale", "phone", "time_zone"} {
		if _, ok := byAccount[f]; !ok {
			t.Errorf("/account/info lacks %q: %v", f, byAccount)
		}
	}
	postKey(t, s, "/account/info", "wrong", map[string]any{}).fails(t, http.StatusUnauthorized, "Unauthorized")

	// Writes with the account key.
	var created struct {
		IncidentID string `json:"incident_id"`
	}
	postKey(t, s, "/incident/create", key, map[string]any{"incident_severity": "Info", "title": "Made with the account key"}).ok(t, &created)
	ids := map[string]any{"incident_ids": []string{created.IncidentID}}
	postKey(t, s, "/incident/ack", key, ids).ok(t, nil)
	postKey(t, s, "/incident/comment", key, map[string]any{"incident_ids": []string{created.IncidentID}, "comment": "as the account"}).ok(t, nil)
	postKey(t, s, "/incident/reset", key, map[string]any{"incident_id": created.IncidentID, "title": "Renamed by the account"}).ok(t, nil)
	postKey(t, s, "/incident/resolve", key, ids).ok(t, nil)
	inc, _ := s.Incident(created.IncidentID)
	if inc.CreatorID != DefaultAccountID || inc.CloserID != DefaultAccountID {
		t.Errorf("incident creator %d, closer %d; want the account id %d", inc.CreatorID, inc.CloserID, DefaultAccountID)
	}
	feed, _ := s.Feed(created.IncidentID)
	if len(feed) != 5 {
		t.Fatalf("feed = %+v", feed)
	}
	for _, it := range feed {
		if it.CreatorID != DefaultAccountID {
			t.Errorf("feed %s creator_id %d, want the account id %d", it.Type, it.CreatorID, DefaultAccountID)
		}
	}
	var audit struct {
		Docs []AuditDoc `json:"docs"`
	}
	post(t, s, "/audit/search", map[string]any{"start_time": t0.Unix() - 60, "end_time": t0.Unix() + 60}).ok(t, &audit)
	if len(audit.Docs) != 5 {
		t.Fatalf("audit = %+v", audit.Docs)
	}
	for _, d := range audit.Docs {
		if d.MemberID != DefaultAccountID || d.MemberName != "Acme Corp" {
			t.Errorf("audit %s by %d (%q), want the account %d", d.Operation, d.MemberID, d.MemberName, DefaultAccountID)
		}
	}
	// The audit filter by person finds the account principal's writes.
	post(t, s, "/audit/search", map[string]any{"start_time": t0.Unix() - 60, "end_time": t0.Unix() + 60, "person_id": DefaultAccountID}).ok(t, &audit)
	if len(audit.Docs) != 5 {
		t.Errorf("audit for person_id = account id: %d docs, want 5", len(audit.Docs))
	}
	// The account principal is a person, "as": "account".
	var persons struct {
		Items []person `json:"items"`
	}
	post(t, s, "/person/infos", map[string]any{"person_ids": []int64{DefaultAccountID, AliceID}}).ok(t, &persons)
	if len(persons.Items) != 2 || persons.Items[0].As != "account" || persons.Items[0].PersonName != "Acme Corp" || persons.Items[1].As != "member" {
		t.Errorf("/person/infos = %+v", persons.Items)
	}

	// The member key is unchanged: /member/info answers and writes carry
	// the member id.
	var me map[string]any
	post(t, s, "/member/info", map[string]any{}).ok(t, &me)
	if me["member_id"] != float64(DefaultKeyMemberID) {
		t.Errorf("/member/info with the member key = %v", me)
	}
	post(t, s, "/incident/comment", map[string]any{"incident_ids": []string{created.IncidentID}, "comment": "as the member"}).ok(t, nil)
	feed, _ = s.Feed(created.IncidentID)
	if last := feed[len(feed)-1]; last.CreatorID != DefaultKeyMemberID {
		t.Errorf("member-key comment by %d, want %d", last.CreatorID, DefaultKeyMemberID)
	}
}

// Options.AccountKey is an account-level key from the start, and survives
// Reset; minted keys do not. An account key equal to AppKey makes the only
// key account-level.
func TestAccountKeyOptionsAndReset(t *testing.T) {
	s := newTestServer(t, Options{AccountKey: "acct"})
	postKey(t, s, "/member/info", "acct", map[string]any{}).fails(t, http.StatusBadRequest, "InvalidParameter")
	minted, err := s.MintAccountKey("minted")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := s.MintAccountKey("minted"); err != nil || again != minted {
		t.Errorf("minting the same account key again = %q, %v", again, err)
	}
	if _, err := s.MintAccountKey(s.AppKey()); err == nil {
		t.Errorf("the member key was turned into an account key")
	}
	want := []AppKeyInfo{{"acct", KeyAccountLevel, DefaultAccountID}, {DefaultAppKey, KeyMemberLevel, DefaultKeyMemberID}, {"minted", KeyAccountLevel, DefaultAccountID}}
	if got := s.AppKeys(); !reflect.DeepEqual(got, want) {
		t.Errorf("AppKeys = %+v, want %+v", got, want)
	}
	s.Reset()
	postKey(t, s, "/account/info", "acct", map[string]any{}).ok(t, nil)
	postKey(t, s, "/account/info", "minted", map[string]any{}).fails(t, http.StatusUnauthorized, "Unauthorized")
	if k, _ := s.MintAccountKey(""); k != "fdsim-account-key-1" {
		t.Errorf("after Reset the first minted key is %q", k)
	}

	only := newTestServer(t, Options{AccountKey: DefaultAppKey})
	post(t, only, "/member/info", map[string]any{}).fails(t, http.StatusBadRequest, "InvalidParameter")
}

// Minting through the control API.
func TestAccountKeyControlAPI(t *testing.T) {
	s := newTestServer(t, Options{})
	code, out := ctl(t, s, "POST", "/_sim/keys", `{"kind": "account"}`)
	if code != http.StatusOK || out["app_key"] != "fdsim-account-key-1" || out["kind"] != "account" || out["person_id"] != float64(DefaultAccountID) {
		t.Fatalf("POST /_sim/keys = %d %v", code, out)
	}
	if code, out := ctl(t, s, "POST", "/_sim/keys", ""); code != http.StatusOK || out["app_key"] != "fdsim-account-key-2" {
		t.Errorf("POST /_sim/keys with no body = %d %v", code, out)
	}
	if code, out := ctl(t, s, "POST", "/_sim/keys", `{"app_key": "my-account-key"}`); code != http.StatusOK || out["app_key"] != "my-account-key" {
		t.Errorf("POST /_sim/keys with a chosen key = %d %v", code, out)
	}
	postKey(t, s, "/member/info", "my-account-key", "{}").fails(t, http.StatusBadRequest, "InvalidParameter")
	if code, out := ctl(t, s, "POST", "/_sim/keys", `{"kind": "member"}`); code != http.StatusBadRequest || !contains(out["error"].(string), `"account"`) {
		t.Errorf("POST /_sim/keys kind member = %d %v", code, out)
	}
	if code, _ := ctl(t, s, "POST", "/_sim/keys", `{"app_key": "`+DefaultAppKey+`"}`); code != http.StatusBadRequest {
		t.Errorf("minting the member key as an account key = %d", code)
	}
	if code, _ := ctl(t, s, "POST", "/_sim/keys", `{"bogus": 1}`); code != http.StatusBadRequest {
		t.Errorf("an unknown field = %d, want 400", code)
	}
	req := httptest.NewRequest("GET", "/_sim/keys", nil)
	rec := newRecorder(s, req)
	if rec.Code != http.StatusOK || strings.Count(rec.Body.String(), `"kind":"account"`) != 3 || !contains(rec.Body.String(), `"kind":"member"`) {
		t.Errorf("GET /_sim/keys = %d %s", rec.Code, rec.Body)
	}
	// Control calls are not Open API calls.
	if n := s.Count("POST", "/member/info"); n != 1 {
		t.Errorf("/member/info counted %d times", n)
	}
}

// A bodyless POST without a Content-Type is accepted on the parameterless
// endpoints (go-flashduty sends /member/info so; vendor-clients fact 2); a
// wrong Content-Type, or a body without one, is still InvalidContentType.
func TestBodylessPost(t *testing.T) {
	s := newTestServer(t, Options{AccountKey: "acct"})
	send := func(path, key, ct, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, path+"?app_key="+key, strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		return newRecorder(s, req)
	}
	for _, path := range []string{"/member/info", "/account/info", "/field/list", "/channel/list"} {
		if rec := send(path, s.AppKey(), "", ""); rec.Code != http.StatusOK || !contains(rec.Body.String(), `"data":`) {
			t.Errorf("bodyless POST %s = %d %s", path, rec.Code, rec.Body)
		}
	}
	if rec := send("/account/info", "acct", "", ""); rec.Code != http.StatusOK || !contains(rec.Body.String(), `"account_id":2451002751131`) {
		t.Errorf("bodyless POST /account/info with the account key = %d %s", rec.Code, rec.Body)
	}
	if rec := send("/member/info", "acct", "", ""); rec.Code != http.StatusBadRequest || !contains(rec.Body.String(), "InvalidParameter") {
		t.Errorf("bodyless POST /member/info with the account key = %d %s", rec.Code, rec.Body)
	}
	// An endpoint with required parameters says which is missing.
	if rec := send("/incident/info", s.AppKey(), "", ""); rec.Code != http.StatusBadRequest || contains(rec.Body.String(), "InvalidContentType") {
		t.Errorf("bodyless POST /incident/info = %d %s", rec.Code, rec.Body)
	}
	if rec := send("/member/info", s.AppKey(), "text/plain", ""); rec.Code != http.StatusBadRequest || !contains(rec.Body.String(), "InvalidContentType") {
		t.Errorf("wrong Content-Type = %d %s", rec.Code, rec.Body)
	}
	if rec := send("/member/info", s.AppKey(), "", "{}"); rec.Code != http.StatusBadRequest || !contains(rec.Body.String(), "InvalidContentType") {
		t.Errorf("a body without Content-Type = %d %s", rec.Code, rec.Body)
	}
	// The key is checked first.
	if rec := send("/member/info", "wrong", "", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("bodyless POST with a wrong key = %d %s", rec.Code, rec.Body)
	}
}
