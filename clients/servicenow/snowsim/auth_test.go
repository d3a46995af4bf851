package snowsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// tokenRequest posts form to /oauth_token.do, with the client's id and
// secret as HTTP Basic (basic) or in the form body (post), or both.
func (s *sim) tokenRequest(t *testing.T, form url.Values, basic, post bool) answer {
	t.Helper()
	form = cloneForm(form)
	if post {
		form.Set("client_id", DefaultClientID)
		form.Set("client_secret", DefaultClientSecret)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.ts.URL+"/oauth_token.do", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(DefaultClientID, DefaultClientSecret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

func cloneForm(f url.Values) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = append([]string(nil), v...)
	}
	return out
}

var passwordGrant = url.Values{"grant_type": {"password"}, "username": {DefaultUser}, "password": {DefaultPassword}}

// accessToken returns the access token of a granted answer.
func accessToken(t *testing.T, a answer) string {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("grant refused: %d %s", a.status, a.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(a.body, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("grant answer %s: %v", a.body, err)
	}
	return tok.AccessToken
}

func isTokenRefusal(t *testing.T, a answer) bool {
	t.Helper()
	if a.status != http.StatusUnauthorized {
		return false
	}
	jsonEqual(t, a.body, []byte(`{"error_description":"access_denied","error":"server_error"}`))
	return true
}

func TestTokenClientAuthentication(t *testing.T) {
	s := newSim(t, Options{})
	clientCredentials := url.Values{"grant_type": {"client_credentials"}}
	for _, f := range []url.Values{passwordGrant, clientCredentials} {
		accessToken(t, s.tokenRequest(t, f, true, false))
		accessToken(t, s.tokenRequest(t, f, false, true))
		if a := s.tokenRequest(t, f, true, true); !isTokenRefusal(t, a) {
			t.Fatalf("client authenticated two ways at once: %d %s", a.status, a.body)
		}
		if a := s.tokenRequest(t, f, false, false); !isTokenRefusal(t, a) {
			t.Fatalf("no client authentication: %d %s", a.status, a.body)
		}
	}
	// A Basic header with a wrong secret, or a client_id in the body that
	// is not the header's, is refused.
	wrong := func(mod func(*http.Request, url.Values)) answer {
		f := cloneForm(passwordGrant)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.ts.URL+"/oauth_token.do", nil)
		mod(req, f)
		req.Body = io.NopCloser(strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return answer{resp.StatusCode, resp.Header, b}
	}
	if a := wrong(func(r *http.Request, _ url.Values) { r.SetBasicAuth(DefaultClientID, "nope") }); !isTokenRefusal(t, a) {
		t.Fatalf("wrong Basic secret: %d %s", a.status, a.body)
	}
	if a := wrong(func(r *http.Request, f url.Values) {
		r.SetBasicAuth(DefaultClientID, DefaultClientSecret)
		f.Set("client_id", "other")
	}); !isTokenRefusal(t, a) {
		t.Fatalf("client_id differing from the Basic header: %d %s", a.status, a.body)
	}

	if err := s.SetTokenClientAuth(ClientAuthBasic); err != nil {
		t.Fatal(err)
	}
	accessToken(t, s.tokenRequest(t, passwordGrant, true, false))
	if a := s.tokenRequest(t, passwordGrant, false, true); !isTokenRefusal(t, a) {
		t.Fatalf("basic only, form body: %d %s", a.status, a.body)
	}
	if err := s.SetTokenClientAuth(ClientAuthPost); err != nil {
		t.Fatal(err)
	}
	accessToken(t, s.tokenRequest(t, passwordGrant, false, true))
	if a := s.tokenRequest(t, passwordGrant, true, false); !isTokenRefusal(t, a) {
		t.Fatalf("post only, Basic: %d %s", a.status, a.body)
	}
	s.Reset() // configuration, like Options: kept
	if a := s.tokenRequest(t, passwordGrant, true, false); !isTokenRefusal(t, a) {
		t.Fatalf("post only after Reset, Basic: %d %s", a.status, a.body)
	}
	if err := s.SetTokenClientAuth(ClientAuthAny); err != nil {
		t.Fatal(err)
	}
	accessToken(t, s.tokenRequest(t, passwordGrant, true, false))
	if err := s.SetTokenClientAuth("header"); err == nil {
		t.Fatal("unknown client authentication accepted")
	}
	// Another simulator is not affected.
	other := newSim(t, Options{})
	accessToken(t, other.tokenRequest(t, passwordGrant, true, false))
}

func TestAPIAccessPolicy(t *testing.T) {
	s := newSim(t, Options{})
	bearer := "Bearer " + accessToken(t, s.tokenRequest(t, passwordGrant, false, true))
	const incidents, users = "/api/now/table/incident?sysparm_limit=1", "/api/now/table/sys_user?sysparm_limit=1"
	refused := func(a answer) bool {
		t.Helper()
		if a.status != http.StatusUnauthorized {
			return false
		}
		jsonEqual(t, a.body, fixture(t, "docs_error_401_user_not_authenticated.json"))
		if got := a.header.Get("WWW-Authenticate"); got != `BASIC realm="Service-now"` {
			t.Fatalf("WWW-Authenticate = %q", got)
		}
		return true
	}

	// OAuth refused everywhere: the grant still works, its token does not.
	if err := s.SetAPIAccessPolicy(APIAccessPolicy{Refuse: []AuthMethod{AuthOAuth}}); err != nil {
		t.Fatal(err)
	}
	fresh := "Bearer " + accessToken(t, s.tokenRequest(t, passwordGrant, true, false))
	for _, tok := range []string{bearer, fresh} {
		if a := s.call(t, "GET", incidents, "", tok); !refused(a) {
			t.Fatalf("OAuth under a policy without OAuth: %d %s", a.status, a.body)
		}
	}
	if a := s.call(t, "GET", incidents, ""); a.status != http.StatusOK {
		t.Fatalf("Basic under a policy without OAuth: %d %s", a.status, a.body)
	}

	// Basic refused on incident only: the login works on sys_user.
	if err := s.SetAPIAccessPolicy(APIAccessPolicy{Refuse: []AuthMethod{AuthBasic}, Tables: []string{"incident"}}); err != nil {
		t.Fatal(err)
	}
	if a := s.call(t, "GET", users, ""); a.status != http.StatusOK {
		t.Fatalf("Basic on sys_user: %d %s", a.status, a.body)
	}
	if a := s.call(t, "POST", "/api/now/table/incident", `{"short_description":"x"}`); !refused(a) {
		t.Fatalf("Basic write to incident: %d %s", a.status, a.body)
	}
	if a := s.call(t, "GET", "/api/now/v2/table/incident", ""); !refused(a) {
		t.Fatalf("Basic read of incident (v2): %d %s", a.status, a.body)
	}
	if a := s.call(t, "GET", incidents, "", bearer); a.status != http.StatusOK {
		t.Fatalf("OAuth on incident: %d %s", a.status, a.body)
	}
	// A wrong password is still a wrong password.
	if a := s.call(t, "GET", users, "", DefaultUser, "wrong"); !refused(a) {
		t.Fatalf("wrong password: %d %s", a.status, a.body)
	}

	// Lifted.
	if err := s.SetAPIAccessPolicy(APIAccessPolicy{}); err != nil {
		t.Fatal(err)
	}
	if a := s.call(t, "GET", incidents, ""); a.status != http.StatusOK {
		t.Fatalf("Basic after the policy was lifted: %d %s", a.status, a.body)
	}
	if err := s.SetAPIAccessPolicy(APIAccessPolicy{Refuse: []AuthMethod{"apikey"}}); err == nil {
		t.Fatal("unknown authentication method accepted")
	}
}
