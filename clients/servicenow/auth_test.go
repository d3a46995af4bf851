package servicenow

import (
	"bytes"
	"encoding/base64"
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

func oauthOpts(o *Options) {
	o.ClientID, o.ClientSecret = snowsim.DefaultClientID, snowsim.DefaultClientSecret
}

func countEndpoint(e *env, method, endpoint string) int {
	n := 0
	for _, c := range e.calls.All() {
		if c.Method == method && c.Endpoint == endpoint {
			n++
		}
	}
	return n
}

func TestBasicAuthFailureSaysWhatToCheck(t *testing.T) {
	e := newEnv(t, snowsim.Options{}, func(o *Options) { o.Password = "wrong" })
	_, err := e.c.Get(t.Context(), "0123456789abcdef0123456789abcdef")
	if ClassOf(err) != httpx.Unauthorized || !strings.Contains(err.Error(), "Password needs reset") || !strings.Contains(err.Error(), "web services") {
		t.Fatalf("err = %v", err)
	}
	if n := len(e.sim.Requests()); n != 1 {
		t.Fatalf("basic 401 retried: %d requests", n)
	}
}

func TestOAuthPasswordGrantCachesRefreshesAndReauthenticates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A live simulator clock, so that the bubble's fake time expires tokens.
		grants := &grantLog{}
		e := newEnv(t, snowsim.Options{Now: time.Now}, oauthOpts, func(o *Options) { grants.next = o.Transport; o.Transport = grants })
		for range 3 {
			if _, err := e.c.Changes(t.Context(), ChangeQuery{}); err != nil {
				t.Fatal(err)
			}
		}
		if n := countEndpoint(e, "POST", "/oauth_token.do"); n != 1 {
			t.Fatalf("token fetched %d times for 3 calls, want 1 (cached)", n)
		}
		// Shortly before expiry (1799 s) the client renews on its own.
		time.Sleep(1750 * time.Second)
		if _, err := e.c.Changes(t.Context(), ChangeQuery{}); err != nil {
			t.Fatal(err)
		}
		if n := countEndpoint(e, "POST", "/oauth_token.do"); n != 2 {
			t.Fatalf("token not renewed before expiry: %d token calls", n)
		}
		if n := e.sim.Count("GET", "/api/now/table/incident"); n != 4 {
			t.Fatalf("renewal cost an API 401: %d list calls", n)
		}
		if g := grants.String(); g != "password,refresh_token" {
			t.Fatalf("grants = %s, want the password grant then a refresh", g)
		}
		// A token the instance forgot gets one re-authentication.
		e.sim.ExpireTokens()
		if _, err := e.c.Changes(t.Context(), ChangeQuery{}); err != nil {
			t.Fatal(err)
		}
		if n := countEndpoint(e, "POST", "/oauth_token.do"); n != 3 {
			t.Fatalf("no re-authentication after 401: %d token calls", n)
		}
		if n := e.sim.Count("GET", "/api/now/table/incident"); n != 6 {
			t.Fatalf("%d list calls, want 6 (one 401, one retry)", n)
		}
	})
}

func TestOAuthClientCredentialsAndBadSecret(t *testing.T) {
	e := newEnv(t, snowsim.Options{}, oauthOpts, func(o *Options) { o.Username, o.Password = "", "" })
	u, err := e.c.CurrentUser(t.Context())
	if err != nil || u.UserName != snowsim.DefaultUser || u.TimeZone != "America/Los_Angeles" {
		t.Fatalf("current user = %+v, %v", u, err)
	}
	bad := newEnv(t, snowsim.Options{}, oauthOpts, func(o *Options) { o.ClientSecret = "not-the-secret" })
	_, err = bad.c.Changes(t.Context(), ChangeQuery{})
	if ClassOf(err) != httpx.Unauthorized || !strings.Contains(err.Error(), "OAuth") || strings.Contains(err.Error(), "not-the-secret") ||
		!strings.Contains(err.Error(), "in the form body and as HTTP Basic") || strings.Contains(err.Error(), "access policy") {
		t.Fatalf("bad secret: %v", err)
	}
	if n := bad.sim.Count("GET", "/api/now/table/incident"); n != 0 {
		t.Fatalf("API called without a token: %d", n)
	}
	// auto: the form body, then HTTP Basic; and again for the one
	// re-authentication.
	if n := countEndpoint(bad, "POST", "/oauth_token.do"); n != 4 {
		t.Fatalf("token endpoint called %d times, want 4 (both ways, one re-authentication)", n)
	}
}

// TestSecretsNeverLeak runs failures against a hostile server that echoes
// the credentials it receives into its error bodies, and checks that no
// error text and no log line contains a password, client secret or token.
func TestSecretsNeverLeak(t *testing.T) {
	const password, secret, token = "Pa55^w0rd/+&=", "cl1ent-S3cret!", "tok-3c4f9e0a1b2c"
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.URL.Path == "/oauth_token.do" && r.PostForm.Get("grant_type") == "password" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"` + token + `","refresh_token":"r-` + token + `","expires_in":1799,"token_type":"Bearer"}`))
			return
		}
		echo := r.Header.Get("Authorization") + " " + r.PostForm.Encode() + " " + password
		if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			echo += " " + secret + " " + token // what an OAuth client knows
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		status := http.StatusInternalServerError
		if strings.Contains(r.URL.RawQuery, "sys_idIN") {
			status = http.StatusForbidden
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"error":{"message":"echo ` + strings.ReplaceAll(echo, `"`, `'`) + `","detail":"` + password + `"},"status":"failure"}`))
	}))
	defer hostile.Close()
	logs := &httpxtest.SyncBuffer{}
	for _, oauth := range []bool{false, true} {
		o := Options{BaseURL: hostile.URL, Username: "svc", Password: password, MaxAttempts: 2,
			Backoff: httpx.Backoff{Base: time.Millisecond, Max: time.Millisecond}, Logger: newLogger(logs)}
		if oauth {
			o.ClientID, o.ClientSecret = "cid", secret
		}
		c, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		var errs []error
		_, err = c.Get(t.Context(), "0123456789abcdef0123456789abcdef")
		errs = append(errs, err)
		_, err = c.GetMany(t.Context(), []string{"0123456789abcdef0123456789abcdef"}, nil)
		errs = append(errs, err)
		_, err = c.Create(t.Context(), map[string]string{"short_description": "x"})
		errs = append(errs, err)
		for _, err := range errs {
			if err == nil {
				t.Fatal("hostile server call succeeded")
			}
			for _, s := range []string{password, secret, token, base64.StdEncoding.EncodeToString([]byte("svc:" + password))} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error leaks %q: %v", s, err)
				}
			}
			if !strings.Contains(err.Error(), httpx.Redacted) {
				t.Fatalf("error was not redacted but should mention the echo: %v", err)
			}
		}
	}
	out := logs.String()
	if !strings.Contains(out, "retrying") {
		t.Fatal("no retry was logged; the log check checks nothing")
	}
	for _, s := range []string{password, secret, token} {
		if strings.Contains(out, s) {
			t.Fatalf("log leaks %q", s)
		}
	}
}

// grantLog records the grant_type of every token request.
type grantLog struct {
	next   http.RoundTripper
	mu     sync.Mutex
	grants []string
}

func (g *grantLog) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/oauth_token.do" {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		g.mu.Lock()
		g.grants = append(g.grants, form.Get("grant_type"))
		g.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return g.next.RoundTrip(r)
}

func (g *grantLog) String() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return strings.Join(g.grants, ",")
}
