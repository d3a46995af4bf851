package servicenow

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
	"github.com/snowduty/snowduty/clients/httpx/httpxtest"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

// tokenLog records how every token request carried the client id and
// secret and which grant it asked for ("basic:password", "post:refresh_token"),
// in front of next. refuse, when set, answers a token request itself.
type tokenLog struct {
	next   http.RoundTripper
	refuse func(way string) *http.Response
	mu     sync.Mutex
	log    []string
}

func (l *tokenLog) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path != "/oauth_token.do" {
		return l.next.RoundTrip(r)
	}
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	r.Body = io.NopCloser(bytes.NewReader(body))
	_, _, basic := r.BasicAuth()
	way := "none"
	switch post := form.Has("client_secret"); {
	case basic && post:
		way = "both"
	case basic:
		way = "basic"
	case post:
		way = "post"
	}
	l.mu.Lock()
	l.log = append(l.log, way+":"+form.Get("grant_type"))
	l.mu.Unlock()
	if l.refuse != nil {
		if resp := l.refuse(way); resp != nil {
			return resp, nil
		}
	}
	return l.next.RoundTrip(r)
}

func (l *tokenLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.log, ",")
}

func jsonResponse(status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json;charset=UTF-8"}},
		Body: io.NopCloser(strings.NewReader(body))}
}

// clientAuthEnv is newEnv with OAuth sending the client id and secret as
// way, the token requests logged.
func clientAuthEnv(t *testing.T, so snowsim.Options, way string, tweak ...func(*Options)) (*env, *tokenLog) {
	t.Helper()
	l := &tokenLog{}
	tweaks := append([]func(*Options){oauthOpts, func(o *Options) {
		o.OAuthClientAuth = way
		l.next, o.Transport = o.Transport, l
	}}, tweak...)
	return newEnv(t, so, tweaks...), l
}

func TestOAuthClientAuthBasicAndPost(t *testing.T) {
	for _, grant := range []string{"password", "client_credentials"} {
		for _, tc := range []struct {
			client string
			sim    snowsim.ClientAuth
			log    string // token requests, in order; %s is the grant
			fails  string // in the error when it fails
		}{
			{OAuthClientAuthBasic, snowsim.ClientAuthAny, "basic:%s", ""},
			{OAuthClientAuthPost, snowsim.ClientAuthAny, "post:%s", ""},
			{OAuthClientAuthAuto, snowsim.ClientAuthAny, "post:%s", ""},
			{OAuthClientAuthBasic, snowsim.ClientAuthBasic, "basic:%s", ""},
			{OAuthClientAuthPost, snowsim.ClientAuthPost, "post:%s", ""},
			{OAuthClientAuthAuto, snowsim.ClientAuthPost, "post:%s", ""},
			{OAuthClientAuthAuto, snowsim.ClientAuthBasic, "post:%s,basic:%s", ""},
			// A fixed way is not changed; the one re-authentication tries it again.
			{OAuthClientAuthBasic, snowsim.ClientAuthPost, "basic:%s,basic:%s", "with the client id and secret sent as HTTP Basic"},
			{OAuthClientAuthPost, snowsim.ClientAuthBasic, "post:%s,post:%s", "with the client id and secret sent in the form body"},
		} {
			t.Run(grant+"/"+tc.client+"/sim-"+string(tc.sim), func(t *testing.T) {
				e, l := clientAuthEnv(t, snowsim.Options{}, tc.client, func(o *Options) {
					if grant == "client_credentials" {
						o.Username, o.Password = "", ""
					}
				})
				if err := e.sim.SetTokenClientAuth(tc.sim); err != nil {
					t.Fatal(err)
				}
				u, err := e.c.CurrentUser(t.Context())
				if want := strings.ReplaceAll(tc.log, "%s", grant); l.String() != want {
					t.Errorf("token requests %s, want %s", l, want)
				}
				if tc.fails == "" {
					if err != nil || u.UserName != snowsim.DefaultUser {
						t.Fatalf("current user = %+v, %v", u, err)
					}
					return
				}
				if ClassOf(err) != httpx.Unauthorized || !strings.Contains(err.Error(), tc.fails) ||
					!strings.Contains(err.Error(), "the token endpoint takes the client id and secret only") ||
					!strings.Contains(err.Error(), "SNOWDUTY_SERVICENOW_OAUTH_CLIENT_AUTH to auto") {
					t.Fatalf("err = %v", err)
				}
				if n := e.sim.Count("GET", "/api/now/table/sys_user"); n != 0 {
					t.Fatalf("API called without a token: %d", n)
				}
			})
		}
	}
}

// TestOAuthClientAuthAutoFallsBackAndRemembers: in auto mode the form body
// is tried first; an endpoint that takes only HTTP Basic costs one refused
// request, once; refresh grants and later grants go as Basic at once, and
// the way is learned again if the endpoint changes.
func TestOAuthClientAuthAutoFallsBackAndRemembers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, l := clientAuthEnv(t, snowsim.Options{Now: time.Now}, OAuthClientAuthAuto)
		if err := e.sim.SetTokenClientAuth(snowsim.ClientAuthBasic); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := e.c.Changes(t.Context(), ChangeQuery{}); err != nil {
				t.Fatal(err)
			}
		}
		if got := l.String(); got != "post:password,basic:password" {
			t.Fatalf("token requests %s, want one refused form body, then Basic, then the cached token", got)
		}
		if n := strings.Count(e.logs.String(), "sending them so from now on"); n != 1 {
			t.Fatalf("%d log lines about the switch, want 1:\n%s", n, e.logs)
		}
		time.Sleep(1750 * time.Second) // renewal before expiry: a refresh grant, as Basic
		if _, err := e.c.Changes(t.Context(), ChangeQuery{}); err != nil {
			t.Fatal(err)
		}
		e.sim.ExpireTokens() // a 401, one re-authentication (refresh grant), as Basic
		if _, err := e.c.Changes(t.Context(), ChangeQuery{}); err != nil {
			t.Fatal(err)
		}
		// Past the refresh token's 100 days: its grant is refused (never
		// a reason to change ways) and the password grant goes as Basic.
		time.Sleep(101 * 24 * time.Hour)
		if _, err := e.c.Changes(t.Context(), ChangeQuery{}); err != nil {
			t.Fatal(err)
		}
		want := "post:password,basic:password,basic:refresh_token,basic:refresh_token,basic:refresh_token,basic:password"
		if got := l.String(); got != want {
			t.Fatalf("token requests\n %s\nwant\n %s", got, want)
		}
		// The instance now takes only the form body: learned again, once.
		if err := e.sim.SetTokenClientAuth(snowsim.ClientAuthPost); err != nil {
			t.Fatal(err)
		}
		time.Sleep(101 * 24 * time.Hour)
		for range 2 {
			if _, err := e.c.Changes(t.Context(), ChangeQuery{}); err != nil {
				t.Fatal(err)
			}
		}
		want += ",basic:refresh_token,basic:password,post:password"
		if got := l.String(); got != want {
			t.Fatalf("token requests\n %s\nwant\n %s", got, want)
		}
		if n := strings.Count(e.logs.String(), "sending them so from now on"); n != 2 {
			t.Fatalf("%d log lines about a switch, want 2:\n%s", n, e.logs)
		}
	})
}

// TestOAuthClientAuthInvalidClient: a token endpoint that follows RFC 6749
// §5.2 answers 400 invalid_client to a client authentication it does not
// take. That is Unauthorized and makes auto fall back; another 400 does not.
func TestOAuthClientAuthInvalidClient(t *testing.T) {
	refusePost := func(body string) func(string) *http.Response {
		return func(way string) *http.Response {
			if way == "post" {
				return jsonResponse(http.StatusBadRequest, body)
			}
			return nil
		}
	}
	const invalidClient = `{"error":"invalid_client","error_description":"Client authentication failed"}`

	e, l := clientAuthEnv(t, snowsim.Options{}, OAuthClientAuthAuto)
	l.refuse = refusePost(invalidClient)
	if _, err := e.c.CurrentUser(t.Context()); err != nil || l.String() != "post:password,basic:password" {
		t.Fatalf("auto after 400 invalid_client: %v, token requests %s", err, l)
	}

	e, l = clientAuthEnv(t, snowsim.Options{}, OAuthClientAuthPost)
	l.refuse = refusePost(invalidClient)
	_, err := e.c.CurrentUser(t.Context())
	if ClassOf(err) != httpx.Unauthorized || !strings.Contains(err.Error(), "(invalid_client)") || strings.Contains(err.Error(), "Client authentication failed") {
		t.Fatalf("post after 400 invalid_client: %v", err)
	}

	e, l = clientAuthEnv(t, snowsim.Options{}, OAuthClientAuthAuto)
	l.refuse = refusePost(`{"error":"unsupported_grant_type"}`)
	_, err = e.c.CurrentUser(t.Context())
	if ClassOf(err) != httpx.BadRequest || !strings.Contains(err.Error(), "refused the password grant (unsupported_grant_type)") || l.String() != "post:password" {
		t.Fatalf("auto after another 400: %v, token requests %s", err, l)
	}
}

func TestOAuthClientAuthOption(t *testing.T) {
	for _, tc := range []struct {
		way, clientID, err string
	}{
		{"", "cid", ""},
		{OAuthClientAuthAuto, "c:id", ""}, // auto: the form body only
		{OAuthClientAuthPost, "c:id", ""},
		{OAuthClientAuthBasic, "c:id", "cannot be sent as HTTP Basic"},
		{"Basic", "cid", `"Basic" is not one of auto, basic, post`},
	} {
		o := Options{BaseURL: "https://dev00000.service-now.com", ClientID: tc.clientID, ClientSecret: "s", OAuthClientAuth: tc.way}
		_, err := New(o)
		if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("OAuthClientAuth %q, client id %q: err = %v, want %q", tc.way, tc.clientID, err, tc.err)
		}
	}
	o := Options{OAuthClientAuth: ""}
	if err := o.validate(); err == nil || o.OAuthClientAuth != "" {
		t.Fatalf("invalid options filled in: %+v", o)
	}
	o = Options{Username: "u", Password: "p"}
	if err := o.validate(); err != nil || o.OAuthClientAuth != DefaultOAuthClientAuth {
		t.Fatalf("default: %q, %v", o.OAuthClientAuth, err)
	}

	// A client id with ':' never goes as HTTP Basic, even in auto mode.
	l := &tokenLog{refuse: func(string) *http.Response { return jsonResponse(http.StatusUnauthorized, `{"error":"access_denied"}`) }}
	c, err := New(Options{BaseURL: "https://dev00000.service-now.com", ClientID: "c:id", ClientSecret: "s", Transport: l})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CurrentUser(t.Context()); ClassOf(err) != httpx.Unauthorized || l.String() != "post:client_credentials,post:client_credentials" {
		t.Fatalf("client id with ':': %v, token requests %s", err, l)
	}
}

// TestOAuthClientAuthSecretsNeverLeak: token endpoints that refuse one way
// and echo what they received, then API errors that echo the token, leave
// no client secret, password, token or Basic header of the client in any
// error or log line.
func TestOAuthClientAuthSecretsNeverLeak(t *testing.T) {
	const password, secret, token, cid = "Pa55^w0rd/+&=", "cl1ent-S3cret!", "tok-3c4f9e0a1b2c", "cid"
	basicHeader := base64.StdEncoding.EncodeToString([]byte(cid + ":" + secret))
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		echo := strings.ReplaceAll(r.Header.Get("Authorization")+" "+r.PostForm.Encode()+" "+secret+" "+password+" "+basicHeader, `"`, `'`)
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		if r.URL.Path == "/oauth_token.do" {
			if id, s, ok := r.BasicAuth(); ok && id == cid && s == secret {
				_, _ = w.Write([]byte(`{"access_token":"` + token + `","refresh_token":"r-` + token + `","expires_in":1799,"token_type":"Bearer"}`))
				return
			}
			status := http.StatusUnauthorized
			if r.PostForm.Get("username") == "down" {
				status = http.StatusServiceUnavailable
			}
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"error":"` + echo + `","error_description":"` + echo + `"}`))
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error":{"message":"echo ` + echo + " " + token + `","detail":"` + secret + `"},"status":"failure"}`))
	}))
	defer hostile.Close()
	logs := &httpxtest.SyncBuffer{}
	var errs []error
	for _, tc := range []struct{ way, user string }{
		{OAuthClientAuthAuto, "svc"},  // form body refused, Basic works, the API fails
		{OAuthClientAuthPost, "svc"},  // refused
		{OAuthClientAuthBasic, "svc"}, // works, the API fails
		{OAuthClientAuthAuto, "down"}, // the token endpoint fails (503, retried)
	} {
		c, err := New(Options{BaseURL: hostile.URL, Username: tc.user, Password: password, ClientID: cid, ClientSecret: secret,
			OAuthClientAuth: tc.way, MaxAttempts: 2, Backoff: httpx.Backoff{Base: time.Millisecond, Max: time.Millisecond}, Logger: newLogger(logs)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Get(t.Context(), "0123456789abcdef0123456789abcdef")
		errs = append(errs, err)
		_, err = c.Create(t.Context(), map[string]string{"short_description": "x"})
		errs = append(errs, err)
	}
	for _, err := range errs {
		var se *Error
		if !errors.As(err, &se) {
			t.Fatalf("hostile server call did not fail as an *Error: %v", err)
		}
		for _, s := range []string{password, secret, token, basicHeader} {
			if strings.Contains(err.Error(), s) {
				t.Fatalf("error leaks %q: %v", s, err)
			}
		}
	}
	out := logs.String()
	if !strings.Contains(out, "retrying") || !strings.Contains(out, "sending them so from now on") {
		t.Fatalf("no retry or switch was logged; the log check checks nothing:\n%s", out)
	}
	for _, s := range []string{password, secret, token, basicHeader} {
		if strings.Contains(out, s) {
			t.Fatalf("log leaks %q", s)
		}
	}
}

// TestAuthenticatorExplains401 checks the hint each authenticator gives a
// Table API 401 that ends a call: after a token grant or a Basic call that
// worked, a REST API access policy; otherwise the credentials.
func TestAuthenticatorExplains401(t *testing.T) {
	e := newEnv(t, snowsim.Options{}, oauthOpts)
	if err := e.sim.SetAPIAccessPolicy(snowsim.APIAccessPolicy{Refuse: []snowsim.AuthMethod{snowsim.AuthOAuth}}); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.Changes(t.Context(), ChangeQuery{})
	if ClassOf(err) != httpx.Unauthorized {
		t.Fatalf("OAuth under a policy without OAuth: %v", err)
	}
	// The one re-authentication happened: a second grant, a second request.
	if tokens, lists := countEndpoint(e, "POST", "/oauth_token.do"), e.sim.Count("GET", "/api/now/table/incident"); tokens != 2 || lists != 2 {
		t.Fatalf("%d token and %d list requests, want 2 and 2", tokens, lists)
	}
	got := &Error{}
	if e.c.auth.explain401(got); got.Hint != hintPolicyOAuth401 {
		t.Fatalf("OAuth 401 after a grant: hint %q", got.Hint)
	}
	if (&oauth{c: e.c}).explain401(got); got.Hint != hintOAuth401 {
		t.Fatalf("OAuth 401 before any grant: hint %q", got.Hint)
	}

	b := newEnv(t, snowsim.Options{})
	a := newAuthenticator(b.c)
	if a.explain401(got); got.Hint != hintBasic401 {
		t.Fatalf("Basic 401 before any call worked: hint %q", got.Hint)
	}
	a.accepted()
	if a.explain401(got); got.Hint != hintPolicyBasic401 {
		t.Fatalf("Basic 401 after a call worked: hint %q", got.Hint)
	}
	for _, h := range []string{hintPolicyOAuth401, hintPolicyBasic401} {
		if !strings.Contains(h, "REST API Access Policies") || strings.Contains(h, "check the username and password") {
			t.Fatalf("policy hint %q", h)
		}
		if !AccessPolicyDenied(fmt.Errorf("wrapped: %w", &Error{Class: httpx.Unauthorized, Hint: h})) {
			t.Fatalf("AccessPolicyDenied misses hint %q", h)
		}
	}
	if AccessPolicyDenied(&Error{Class: httpx.Unauthorized, Hint: hintBasic401}) || AccessPolicyDenied(nil) {
		t.Fatal("AccessPolicyDenied for credentials")
	}
}
